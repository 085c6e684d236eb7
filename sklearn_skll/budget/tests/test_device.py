"""One device end to end: BudgetedMultimodalClassifier(device=...) reaches every
torch part, the parts it builds and the parts it is given (CUDA mocked)."""

import numpy as np
import pytest

from sklearn_skll import BudgetedMultimodalClassifier, ModalitySelector
from sklearn_skll.budget import fast_parts
from sklearn_skll.impute import _flow_imputer
from sklearn_skll.neural import MultimodalNetClassifier, _net

MODS = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6]}


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    return rng.randn(n, 7) + y[:, None], y


@pytest.fixture
def mock_cuda(monkeypatch):
    """'cuda' is accepted and served by the CPU; every request is recorded."""
    requests = []

    def resolve(device, param="device"):
        requests.append(device)
        return "cpu"

    monkeypatch.setattr(_net, "resolve_device", resolve)
    monkeypatch.setattr(_flow_imputer, "resolve_device", resolve)
    from sklearn_skll.budget import _budgeted

    monkeypatch.setattr(_budgeted, "resolve_device", resolve)
    return requests


def _fast(parts):
    parts["selector"].set_params(estimator__max_epochs=2)
    parts["imputer"].set_params(max_epochs=2)
    parts["classifier"].set_params(max_epochs=2)
    return parts


def test_one_device_reaches_every_part_given(mock_cuda):
    X, y = _data()
    # fast_parts' selector is linear at these sizes; give it the net to follow
    # the device through every torch part
    net_selector = ModalitySelector(
        MultimodalNetClassifier(device="cpu"), utility="masked", cv=3, n_repeats=1
    )
    parts = _fast({**fast_parts(MODS), "selector": net_selector})  # for the CPU
    with pytest.warns(UserWarning, match="replaced by.*device='cuda'"):
        clf = BudgetedMultimodalClassifier(
            modalities=MODS,
            available=0.5,
            budget=0.2,
            device="cuda",
            random_state=0,
            **parts,
        ).fit(X, y)
    assert clf.selector_.estimator.device == "cuda"
    assert clf.selector_.estimator_.device == "cuda"
    assert clf.imputer_.device == "cuda"
    assert clf.classifier_.device == "cuda"
    # Every torch fit asked for CUDA: the selector's nets (one per fold of
    # the masked engine), the imputer and the classifier.
    assert mock_cuda and set(mock_cuda) == {"cuda"}
    n_folds = parts["selector"].cv
    assert len(mock_cuda) >= 1 + n_folds + 2
    # The parts passed in are not changed.
    assert parts["classifier"].device == "cpu"


def test_parts_built_by_default_get_the_device():
    clf = BudgetedMultimodalClassifier(modalities=MODS, device="cuda", random_state=0)
    from sklearn_skll.budget._budgeted import (
        _default_classifier,
        _default_flow,
        _default_selector,
    )

    small = clf._make_part(None, lambda: _default_selector(MODS, "cuda", None, 0), 0)
    assert small.estimator is None  # linear up to 1,000 rows: no torch part
    # The default imputer has no torch part; the flow (imputer="auto") has.
    for default in (
        lambda: _default_selector(MODS, "cuda", None, 0, n_samples=5000),
        lambda: _default_flow(MODS, "cuda", 0),
        lambda: _default_classifier(MODS, "cuda", 0),
    ):
        part = clf._make_part(None, default, 0)
        devices = {
            v
            for k, v in part.get_params(deep=True).items()
            if k.rsplit("__", 1)[-1] == "device"
        }
        assert devices == {"cuda"}


def test_same_device_no_warning(recwarn):
    clf = BudgetedMultimodalClassifier(modalities=MODS, device="cpu")
    selector = ModalitySelector(MultimodalNetClassifier(device="cpu"))
    clf._make_part(selector, None, 0, role="selector")
    assert not [w for w in recwarn if "replaced" in str(w.message)]


def test_net_history_has_float_losses_read_once_per_epoch():
    X, y = _data(80)
    net = MultimodalNetClassifier(
        modalities=MODS, max_epochs=2, batch_size=16, random_state=0
    ).fit(X, y)
    batches = net.history_[-1]["batches"]
    train = [b["train_loss"] for b in batches if "train_loss" in b]
    assert train and all(isinstance(v, float) for v in train)
    assert net.history_[-1]["train_loss"] == pytest.approx(
        np.average(
            train, weights=[b["train_batch_size"] for b in batches if "train_loss" in b]
        )
    )
