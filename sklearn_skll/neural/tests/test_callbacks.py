"""skorch callbacks in MultimodalNetClassifier: parameters, hooks, the skorch world."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_get_params_invariance,
    check_set_params,
)
from skorch.callbacks import (
    Callback,
    Checkpoint,
    EpochScoring,
    GradientNormClipping,
    LoadInitState,
    LRScheduler,
    MlflowLogger,
    ProgressBar,
)
from skorch.history import History

from sklearn_skll._callbacks import named_callbacks, uses_batch_hooks
from sklearn_skll.neural import MultimodalNetClassifier

MODALITIES = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}
FAST = dict(modalities=MODALITIES, max_epochs=4, batch_size=32, random_state=0)


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def make_data(n=240, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(3, size=n)
    X = rng.normal(size=(n, 9))
    X[:, 0] += 2 * y
    X[:, 5] += 2 * y
    X[:60, 5:] = np.nan
    X[60:90, :3] = np.nan
    return X, y


def step_lr(gamma=0.5, **kwargs):
    return LRScheduler(
        policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=gamma, **kwargs
    )


class Recorder(Callback):
    """Counts every hook call; records the gradient norm before each step."""

    def __init__(self):
        self.calls = {}
        self.grad_norms = []

    def _count(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._count("on_train_begin")
        self.X_keys, self.y_codes = sorted(X), np.unique(y.numpy())

    def on_epoch_end(self, net, **kwargs):
        self._count("on_epoch_end")

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        self._count(f"on_batch_begin_{'train' if training else 'valid'}")

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self._count("on_grad_computed")
        grads = [p.grad.detach().reshape(-1) for _, p in named_parameters]
        self.grad_norms.append(float(torch.cat(grads).norm()))

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        self._count(f"on_batch_end_{'train' if training else 'valid'}")
        assert net.history[
            -1, "batches", -1, "train_loss" if training else "valid_loss"
        ]
        assert float(loss.detach()) > 0


class IdleBatchHook(Callback):
    """Overrides a batch hook that does nothing: forces the hooked loop."""

    def on_batch_end(self, net, **kwargs):
        pass


# ------------------------------------------------------------- parameter
def test_callbacks_are_named_as_in_skorch():
    named = named_callbacks(
        [ProgressBar(), ("lr", step_lr()), ProgressBar(), EpochScoring("f1")]
    )
    assert [name for name, _ in named] == [
        "ProgressBar_1",
        "lr",
        "ProgressBar_2",
        "EpochScoring",
    ]
    with pytest.raises(ValueError, match="names must be unique"):
        named_callbacks([("a", ProgressBar()), ("a", ProgressBar())])
    with pytest.raises(ValueError, match="position 1"):
        named_callbacks([ProgressBar(), "progress"])
    with pytest.raises(ValueError, match="entry 'p'"):
        named_callbacks([("p", 3)])
    with pytest.raises(TypeError, match="list"):
        named_callbacks(ProgressBar())


def test_own_callback_names_are_reserved():
    X, y = make_data()
    clf = MultimodalNetClassifier(callbacks=[("early_stopping", ProgressBar())], **FAST)
    with pytest.raises(ValueError, match="'early_stopping' is taken"):
        clf.fit(X, y)


def test_get_params_set_params_and_clone():
    clf = MultimodalNetClassifier(callbacks=[("lr", step_lr()), ProgressBar()])
    params = clf.get_params()
    assert params["callbacks__lr__gamma"] == 0.5
    assert params["callbacks__lr__policy"] is torch.optim.lr_scheduler.StepLR
    assert isinstance(params["callbacks__ProgressBar"], ProgressBar)
    assert "callbacks__lr" not in clf.get_params(deep=False)

    clf.set_params(callbacks__lr__gamma=0.1, callbacks__ProgressBar=None, lr=0.01)
    assert clf.get_params()["callbacks__lr__gamma"] == 0.1
    assert clf.get_params()["callbacks__ProgressBar"] is None
    assert clf.lr == 0.01
    with pytest.raises(ValueError, match="no callback is named 'nope'"):
        clf.set_params(callbacks__nope__x=1)
    with pytest.raises(ValueError, match="set an instance"):
        clf.set_params(callbacks__ProgressBar__postfix_keys=[])

    copy = clone(clf)
    assert copy.get_params()["callbacks__lr__gamma"] == 0.1
    assert copy.callbacks[0][1] is not clf.callbacks[0][1]
    for check in (
        check_get_params_invariance,
        check_set_params,
        check_estimator_cloneable,
    ):
        check(type(clf).__name__, clf)


def test_fit_leaves_the_callbacks_parameter_as_given():
    X, y = make_data()
    scheduler = step_lr()
    clf = MultimodalNetClassifier(callbacks=[("lr", scheduler)], **FAST).fit(X, y)
    assert clf.callbacks[0][1] is scheduler
    assert not hasattr(scheduler, "lr_scheduler_")  # no training state
    fitted = dict(clf.net_.callbacks_)["lr"]
    assert fitted.lr_scheduler_.optimizer is clf.net_.optimizer_
    plain = MultimodalNetClassifier(**FAST).fit(X, y)
    # Pickled without the optimizer and weights a fitted scheduler holds.
    assert len(pickle.dumps(clf)) < 1.05 * len(pickle.dumps(plain))


def test_set_params_reaches_the_fit():
    X, y = make_data()
    clf = MultimodalNetClassifier(callbacks=[("lr", step_lr())], **FAST)
    clf.set_params(callbacks__lr__gamma=0.1).fit(X, y)
    np.testing.assert_allclose(
        clf.history_[:, "event_lr"], [1e-3 * 0.1**k for k in range(4)]
    )


def test_grid_search_over_a_callback_parameter():
    X, y = make_data()
    clf = MultimodalNetClassifier(callbacks=[("lr", step_lr())], **FAST)
    search = GridSearchCV(clf, {"callbacks__lr__gamma": [0.0, 1.0]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["callbacks__lr__gamma"] == 1.0  # 0 stops learning


# ------------------------------------------------------------------ hooks
def test_batch_hooks_are_detected():
    assert uses_batch_hooks(ProgressBar)  # a class: judged by its hooks
    assert uses_batch_hooks(ProgressBar())
    assert uses_batch_hooks(GradientNormClipping())
    assert uses_batch_hooks(EpochScoring("accuracy"))
    assert uses_batch_hooks(IdleBatchHook())
    assert not uses_batch_hooks(step_lr())  # steps per epoch
    assert uses_batch_hooks(step_lr(step_every="batch"))
    assert not uses_batch_hooks(MlflowLogger(run=object(), client=object()))
    assert not uses_batch_hooks(Callback())


@pytest.mark.parametrize("fusion", ["concat", "attention"])
def test_hooked_loop_trains_exactly_like_the_fast_loop(fusion):
    X, y = make_data()
    params = dict(FAST, fusion=fusion, modality_dropout=0.2)
    fast = MultimodalNetClassifier(**params).fit(X, y)
    recorder = Recorder()
    hooked = MultimodalNetClassifier(callbacks=[recorder], **params).fit(X, y)
    assert not fast.net_.batch_hooked() and hooked.net_.batch_hooked()
    np.testing.assert_array_equal(fast.predict_proba(X), hooked.predict_proba(X))
    for key in ("train_loss", "valid_loss", "valid_acc"):
        assert fast.history_[:, key] == hooked.history_[:, key]
    assert fast.history_[:, "batches"] == hooked.history_[:, "batches"]

    n_train = 240 - 24  # the validation split holds 10 %
    batches = -(-n_train // 32)
    # The fit ran a copy; what it set on itself is in net_.callbacks_.
    fitted = dict(hooked.net_.callbacks_)["Recorder"]
    assert fitted is not recorder and not hasattr(recorder, "X_keys")
    assert recorder.calls == {
        "on_train_begin": 1,
        "on_epoch_end": 4,
        "on_batch_begin_train": 4 * batches,
        "on_grad_computed": 4 * batches,
        "on_batch_end_train": 4 * batches,
        "on_batch_begin_valid": 4,
        "on_batch_end_valid": 4,
    }
    # skorch's view of the data: a dict of tensors, class codes
    assert fitted.X_keys == ["mask", "x"]
    np.testing.assert_array_equal(fitted.y_codes, [0, 1, 2])


# --------------------------------------------------------- skorch callbacks
def test_lr_scheduler_epoch_step():
    X, y = make_data()
    params = dict(FAST, validation_fraction=0)
    clf = MultimodalNetClassifier(callbacks=[("lr", step_lr(0.5))], **params)
    clf.fit(X, y)
    assert not clf.net_.batch_hooked()  # the fast loop: no batch hook needed
    np.testing.assert_allclose(
        clf.history_[:, "event_lr"], [1e-3 * 0.5**k for k in range(4)]
    )
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5**4)
    # With the rate at 0 after the first epoch, later epochs change nothing.
    frozen = MultimodalNetClassifier(callbacks=[step_lr(0.0)], **params).fit(X, y)
    one = MultimodalNetClassifier(**dict(params, max_epochs=1)).fit(X, y)
    np.testing.assert_array_equal(frozen.predict_proba(X), one.predict_proba(X))


def test_lr_scheduler_batch_step():
    X, y = make_data()
    clf = MultimodalNetClassifier(
        callbacks=[("lr", step_lr(0.9, step_every="batch"))], **FAST
    )
    clf.fit(X, y)
    assert clf.net_.batch_hooked()
    rates = [
        b["event_lr"]
        for epoch in clf.history_
        for b in epoch["batches"]
        if "event_lr" in b
    ]
    n_steps = sum(clf.history_[:, "train_batch_count"])
    assert len(rates) == n_steps
    np.testing.assert_allclose(rates, [1e-3 * 0.9**k for k in range(n_steps)])
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(
        1e-3 * 0.9**n_steps
    )


def test_gradient_norm_clipping():
    X, y = make_data()
    free, clipped = Recorder(), Recorder()
    MultimodalNetClassifier(callbacks=[free], **FAST).fit(X, y)
    # Callbacks run in order: the recorder sees the clipped gradients.
    MultimodalNetClassifier(
        callbacks=[GradientNormClipping(gradient_clip_value=0.05), clipped], **FAST
    ).fit(X, y)
    assert max(free.grad_norms) > 0.5
    assert max(clipped.grad_norms) <= 0.05 * (1 + 1e-5)


@pytest.mark.parametrize("use_caching", [True, False])
def test_epoch_scoring(use_caching):
    X, y = make_data()
    clf = MultimodalNetClassifier(
        callbacks=[
            EpochScoring(
                "accuracy", lower_is_better=False, name="acc", use_caching=use_caching
            ),
            EpochScoring("f1_macro", lower_is_better=False, use_caching=use_caching),
            EpochScoring(
                "accuracy", on_train=True, name="train_acc", lower_is_better=False
            ),
        ],
        **FAST,
    ).fit(X, y)
    history = clf.history_
    # Accuracy on the validation rows, as the net's own valid_acc.
    assert history[:, "acc"] == history[:, "valid_acc"]
    assert len(history[:, "f1_macro"]) == 4
    assert all(0 <= s <= 1 for s in history[:, "f1_macro"] + history[:, "train_acc"])
    assert history[:, "acc_best"][0] is True


def test_checkpoint_and_load_init_state_resume_an_interrupted_fit(tmp_path):
    X, y = make_data()

    class Crash(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 3:
                raise RuntimeError("the machine went down")

    class Spy(Callback):
        def on_train_begin(self, net, **kwargs):
            self.weights = {k: v.clone() for k, v in net.module_.state_dict().items()}
            state = net.optimizer_.state_dict()["state"]
            self.steps = {float(s["step"]) for s in state.values()}
            self.epochs = len(net.history)

    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))  # every epoch
    params = dict(FAST, max_epochs=6)
    with pytest.raises(RuntimeError, match="went down"):
        MultimodalNetClassifier(callbacks=[checkpoint, Crash()], **params).fit(X, y)
    saved = torch.load(tmp_path / "params.pt", weights_only=True)

    resumed = MultimodalNetClassifier(
        callbacks=[checkpoint, LoadInitState(checkpoint), Spy()],
        **dict(params, max_epochs=3),
    ).fit(X, y)
    spy = dict(resumed.net_.callbacks_)["Spy"]
    # It starts where the crashed fit's last checkpoint left it ...
    assert spy.epochs == 3
    for key, value in saved.items():
        assert torch.equal(spy.weights[key], value)
    batches = resumed.history_[0, "train_batch_count"]
    assert spy.steps == {3.0 * batches}
    # ... and runs max_epochs more, counted on.
    assert resumed.history_[:, "epoch"] == [1, 2, 3, 4, 5, 6]
    assert resumed.n_iter_ == 6
    assert 4 <= resumed.best_epoch_ <= 6  # early stopping restarts with the fit


def test_mlflow_logger(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    X, y = make_data()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = mlflow.tracking.MlflowClient()
    experiment = client.create_experiment("net", artifact_location=str(tmp_path))
    run = client.create_run(experiment)
    clf = MultimodalNetClassifier(
        callbacks=[MlflowLogger(run=run, client=client, create_artifact=False)], **FAST
    ).fit(X, y)
    assert not clf.net_.batch_hooked()
    logged = client.get_metric_history(run.info.run_id, "valid_loss")
    np.testing.assert_allclose([m.value for m in logged], clf.history_[:, "valid_loss"])


def test_progress_bar():
    X, y = make_data()
    progress = ProgressBar()

    class Spy(Callback):  # runs before the bar is closed at the epoch's end
        counts = []

        def on_epoch_end(self, net, **kwargs):
            bar = dict(net.callbacks_)["ProgressBar"].pbar_
            self.counts.append((bar.n, bar.total, "valid_loss" in bar.postfix))

    clf = MultimodalNetClassifier(callbacks=[Spy(), progress], **FAST).fit(X, y)
    assert clf.net_.batch_hooked()
    batches = clf.history_[0, "train_batch_count"] + 1  # and one validation batch
    assert Spy.counts == [(batches, batches, True)] * 4


def test_history_is_skorchs():
    X, y = make_data()
    clf = MultimodalNetClassifier(
        callbacks=[EpochScoring("accuracy", lower_is_better=False, name="acc")], **FAST
    ).fit(X, y)
    assert isinstance(clf.history_, History)
    assert clf.history_ is clf.net_.history
    assert len(clf.history_) == clf.n_iter_ == 4
    row = clf.history_[-1]
    for key in (
        "epoch",
        "train_loss",
        "valid_loss",
        "valid_acc",
        "acc",
        "dur",
        "batches",
    ):
        assert key in row
    train = [batch for batch in row["batches"] if "train_loss" in batch]
    assert len(train) == row["train_batch_count"] == 7
    assert train[-1]["train_batch_size"] == (240 - 24) % 32
