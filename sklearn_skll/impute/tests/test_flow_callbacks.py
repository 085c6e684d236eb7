"""skorch callbacks in FlowImputer's epoch loop."""

import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
    MlflowLogger,
)
from skorch.history import History

from sklearn_skll.impute import FlowImputer

MODALITIES = {"a": [0, 1], "b": [2, 3]}
FAST = dict(
    modalities=MODALITIES,
    latent_dim=4,
    n_flows=2,
    hidden_dim=8,
    max_epochs=5,
    random_state=0,
)


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def make_data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    t = rng.normal(size=(n, 1))
    X = np.hstack([t, t, -t, -t]) + 0.1 * rng.normal(size=(n, 4))
    X[:20, 2:] = np.nan
    return X, (t[:, 0] > 0).astype(int)


class Recorder(Callback):
    """Logs into a list it is given (a fit runs a shallow copy)."""

    def __init__(self, log):
        self.log = log

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.log.append(("train_begin", X.shape, net))

    def on_epoch_begin(self, net, **kwargs):
        self.log.append("epoch_begin")

    def on_epoch_end(self, net, **kwargs):
        self.log.append("epoch_end")
        net.history.record("my_score", -net.history[-1, "valid_transfer"])

    def on_train_end(self, net, **kwargs):
        self.log.append("train_end")


def step_lr(gamma):
    return LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=gamma)


def test_epoch_hooks_run_and_record_into_the_history():
    X, y = make_data()
    log = []
    plain = FlowImputer(**FAST).fit(X, y)
    imp = FlowImputer(callbacks=[Recorder(log)], **FAST).fit(X, y)
    (_, shape, net), *calls = log
    assert calls == ["epoch_begin", "epoch_end"] * 5 + ["train_end"]
    assert shape == X.shape
    assert net.module_ is imp.module_ and net.history is imp.history_
    assert isinstance(net.optimizer_, torch.optim.Optimizer)
    assert net.latent_dim == 4  # the imputer's own attributes
    assert isinstance(imp.history_, History)
    assert imp.history_[:, "my_score"] == [
        -v for v in imp.history_[:, "valid_transfer"]
    ]
    # Callbacks that only read change nothing.
    np.testing.assert_array_equal(imp.transform(X), plain.transform(X))
    assert imp.history_[:, "train_loss"] == plain.history_[:, "train_loss"]


def test_lr_scheduler_per_epoch():
    X, y = make_data()
    params = dict(FAST, validation_fraction=0)
    imp = FlowImputer(callbacks=[("lr", step_lr(0.5))], **params).fit(X, y)
    np.testing.assert_allclose(
        imp.history_[:, "event_lr"], [1e-3 * 0.5**k for k in range(5)]
    )
    # A rate of 0 after the first epoch freezes the parameters.
    frozen = FlowImputer(callbacks=[step_lr(0.0)], **params).fit(X, y)
    one = FlowImputer(**dict(params, max_epochs=1)).fit(X, y)
    for a, b in zip(frozen.module_.parameters(), one.module_.parameters()):
        assert torch.equal(a, b)


def test_skorch_early_stopping_stops_the_loop():
    X, y = make_data()
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    imp = FlowImputer(callbacks=[stop], **dict(FAST, max_epochs=50)).fit(X, y)
    assert imp.n_iter_ == 2 == len(imp.history_)  # no epoch beats the first by 10
    assert np.isfinite(imp.transform(X)).all()


def test_batch_level_callbacks_warn():
    X, y = make_data()
    with pytest.warns(UserWarning, match="'GradientNormClipping'.*not called"):
        FlowImputer(callbacks=[GradientNormClipping(1.0)], **FAST).fit(X, y)


def test_callback_params_and_pickling():
    X, y = make_data()
    imp = FlowImputer(callbacks=[("lr", step_lr(0.5))], **FAST)
    assert imp.get_params()["callbacks__lr__gamma"] == 0.5
    imp.set_params(callbacks__lr__gamma=0.1).fit(X, y)
    assert imp.history_[1, "event_lr"] == pytest.approx(1e-4)
    loaded = pickle.loads(pickle.dumps(imp))
    assert isinstance(loaded.history_, History)
    assert loaded.history_ == imp.history_
    np.testing.assert_array_equal(loaded.transform(X), imp.transform(X))


def test_mlflow_logger_without_artifacts(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    X, y = make_data()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.tracking.MlflowClient()
    experiment = client.create_experiment("flow", artifact_location=str(tmp_path))
    run = client.create_run(experiment)
    logger = MlflowLogger(run=run, client=client, create_artifact=False)
    imp = FlowImputer(callbacks=[logger], **FAST).fit(X, y)
    logged = client.get_metric_history(run.info.run_id, "valid_transfer")
    np.testing.assert_allclose(
        [m.value for m in logged], imp.history_[:, "valid_transfer"]
    )
