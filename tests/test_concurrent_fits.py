"""Torch fits running at once in threads of one process.

joblib's threading backend, a Dask worker with several threads or a
``ThreadPoolExecutor`` run fits side by side in one process, where torch's
default random generator is shared: each fit must draw from generators of
its own, so that the same ``random_state`` gives the same result whatever
runs beside it, and the caller's torch random state is never touched.
"""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklearn_skll.datasets import make_multimodal_classification
from sklearn_skll.impute import FlowImputer
from sklearn_skll.neural import MultimodalNetClassifier

BUNCH = make_multimodal_classification(240, random_state=0, as_frame=False)
X, Y, MODS = BUNCH.data, BUNCH.target, BUNCH.modalities
X_MISSING = X.copy()
X_MISSING[:50, MODS[list(MODS)[1]]] = np.nan
X_MISSING[50:80, MODS[list(MODS)[0]]] = np.nan

#: Every kind of draw: initial weights, batch order, dropout in the
#: attention head, modality dropout, and the flow's source subsets.
NET = dict(
    modalities=MODS,
    fusion="attention",
    dropout=0.3,
    modality_dropout=0.3,
    max_epochs=6,
    batch_size=64,
    validation_fraction=0,
)
FLOW = dict(modalities=MODS, n_flows=2, hidden_dim=16, max_epochs=4, batch_size=64)


def fit_net(seed):
    clf = MultimodalNetClassifier(**NET, random_state=seed).fit(X_MISSING, Y)
    return clf.predict_proba(X_MISSING), clf.history_[:, "train_loss"]


def fit_flow(seed):
    imp = FlowImputer(**FLOW, random_state=seed).fit(X_MISSING, Y)
    return imp.transform(X_MISSING), imp.history_[:, "train_loss"]


JOBS = [(fit_net, 0), (fit_net, 1), (fit_flow, 0), (fit_net, 0)]


def run(job):
    fit, seed = job
    return fit(seed)


def test_fits_in_threads_give_the_results_of_fits_one_at_a_time():
    alone = [run(job) for job in JOBS]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(run, JOBS))
        for (values, losses), (want, want_losses) in zip(together, alone):
            np.testing.assert_array_equal(values, want)
            assert losses == want_losses
    assert not np.array_equal(alone[0][0], alone[1][0])  # the seed matters


class RecordTorchState(Callback):
    """torch's default random state at the end of every epoch."""

    def __init__(self, states):
        self.states = states

    def on_epoch_end(self, net, **kwargs):
        self.states.append(torch.random.get_rng_state())


@pytest.mark.parametrize("estimator", ["net", "flow"])
def test_fits_never_seed_nor_draw_from_torchs_default_generator(estimator):
    """Not only restored afterwards: the caller's state stays as it is
    during the fit too (other threads may be drawing from it)."""
    states = []
    callbacks = [RecordTorchState(states)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(123)
        before = torch.random.get_rng_state()
        if estimator == "net":
            clf = MultimodalNetClassifier(**NET, random_state=0, callbacks=callbacks)
            clf.fit(X_MISSING, Y).partial_fit(X_MISSING, Y)
            clf.set_params(warm_start=True, max_epochs=1).fit(X_MISSING, Y)
            pickle.loads(pickle.dumps(clf)).predict_proba(X_MISSING)
        else:
            imp = FlowImputer(
                **FLOW, sample_posterior=True, random_state=0, callbacks=callbacks
            )
            imp.fit_transform(X_MISSING, Y)
            imp.sample(X_MISSING, n_draws=2)
            pickle.loads(pickle.dumps(imp)).transform(X_MISSING)
        after = torch.random.get_rng_state()
    assert len(states) >= 4
    assert all(torch.equal(state, before) for state in states)
    assert torch.equal(after, before)
