"""Continued training: warm_start=True and partial_fit."""

import pickle

import numpy as np
import pytest
import torch

from sklearn_skll.neural import MultimodalNetClassifier

MODALITIES = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}
#: Dropout and modality dropout draw from torch's stream every batch.
PARAMS = dict(
    modalities=MODALITIES,
    batch_size=32,
    modality_dropout=0.2,
    validation_fraction=0,
    random_state=0,
)


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def make_data(n=200, seed=0, n_classes=3):
    rng = np.random.RandomState(seed)
    y = rng.randint(n_classes, size=n)
    X = rng.normal(size=(n, 9))
    X[:, 0] += 2 * y
    X[:, 5] += 2 * y
    X[:50, 5:] = np.nan
    return X, y


def assert_same_fit(a, b, X):
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history_[:, "train_loss"] == b.history_[:, "train_loss"]
    assert a.history_[:, "epoch"] == b.history_[:, "epoch"]
    assert a.n_iter_ == b.n_iter_


@pytest.mark.parametrize("fusion", ["concat", "attention", "moe"])
def test_warm_start_resumes_exactly(fusion):
    X, y = make_data()
    whole = MultimodalNetClassifier(fusion=fusion, max_epochs=7, **PARAMS).fit(X, y)
    part = MultimodalNetClassifier(
        fusion=fusion, max_epochs=3, warm_start=True, **PARAMS
    ).fit(X, y)
    module = part.net_.module_
    part.set_params(max_epochs=4).fit(X, y)
    assert part.net_.module_ is module  # trained further, not rebuilt
    assert_same_fit(part, whole, X)


def test_partial_fit_resumes_exactly():
    X, y = make_data()
    whole = MultimodalNetClassifier(max_epochs=6, **PARAMS).fit(X, y)
    part = MultimodalNetClassifier(max_epochs=2, **PARAMS).fit(X, y)
    for _ in range(4):
        part.partial_fit(X, y)
    assert_same_fit(part, whole, X)
    # From scratch: the first call sets the net up as fit does.
    steps = MultimodalNetClassifier(**PARAMS)
    for _ in range(6):
        steps.partial_fit(X, y, classes=[0, 1, 2])
    assert_same_fit(steps, whole, X)


def test_without_the_random_stream_the_resume_would_differ(monkeypatch):
    """The exact resumes above depend on carrying torch's random stream."""
    X, y = make_data()
    whole = MultimodalNetClassifier(max_epochs=4, **PARAMS).fit(X, y)
    part = MultimodalNetClassifier(max_epochs=2, warm_start=True, **PARAMS).fit(X, y)
    monkeypatch.delattr(part, "_rng_state")  # as a model saved without it
    part.fit(X, y)
    assert part.history_[:, "epoch"] == whole.history_[:, "epoch"]
    assert part.history_[-1, "train_loss"] != whole.history_[-1, "train_loss"]


def test_training_generators_on_cpu_and_cuda(monkeypatch):
    """A CPU generator, and one on the training GPU for the masks (mocked:
    served by CPU generators), seeded as torch.manual_seed seeds torch's;
    a continued fit takes both back where the last call left them."""
    devices = []

    def generator(device="cpu"):
        devices.append(torch.device(device))
        return real()

    real = torch.Generator
    monkeypatch.setattr(torch, "Generator", generator)
    clf = MultimodalNetClassifier(**PARAMS)
    fresh = real().manual_seed(5).get_state()
    cpu, cuda = clf._generators("cuda:1", 5)
    assert devices == [torch.device("cpu"), torch.device("cuda", 1)]
    assert torch.equal(cpu.get_state(), fresh) and torch.equal(cuda.get_state(), fresh)
    torch.rand(3, generator=cpu), torch.rand(7, generator=cuda)
    clf._rng_state = [gen.get_state().numpy().copy() for gen in (cpu, cuda)]
    again = clf._generators("cuda:1", 5, continued=True)
    for gen, state in zip(again, clf._rng_state):
        assert np.array_equal(gen.get_state().numpy(), state)
    assert not torch.equal(again[0].get_state(), again[1].get_state())
    assert len(clf._generators("cpu", 5)) == 1


def test_continued_fit_keeps_what_was_learned():
    X, y = make_data()
    clf = MultimodalNetClassifier(max_epochs=3, warm_start=True, **PARAMS).fit(X, y)
    mean, scale, missing = clf.mean_, clf.scale_, clf.net_.module_.encoders.missing
    steps = {float(s["step"]) for s in clf.net_.optimizer_.state.values()}
    X2, y2 = make_data(seed=1)
    X2 = X2 * 3 + 5  # other statistics: the standardization stays the first fit's
    clf.set_params(max_epochs=2).fit(X2, y2)
    assert clf.mean_ is mean and clf.scale_ is scale
    assert clf.net_.module_.encoders.missing is missing
    batches = -(-200 // 32)
    after = {float(s["step"]) for s in clf.net_.optimizer_.state.values()}
    assert steps == {3.0 * batches} and after == {5.0 * batches}
    assert clf.history_[:, "epoch"] == [1, 2, 3, 4, 5]


def test_warm_start_with_early_stopping():
    X, y = make_data()
    params = dict(PARAMS, validation_fraction=0.2, patience=2, lr=0.05)
    clf = MultimodalNetClassifier(max_epochs=30, warm_start=True, **params).fit(X, y)
    first = clf.n_iter_
    clf.fit(X, y)
    # Each call runs its own early stopping; epochs go on counting.
    assert clf.n_iter_ > first
    assert clf.history_[:, "epoch"] == list(range(1, clf.n_iter_ + 1))
    assert first < clf.best_epoch_ <= clf.n_iter_
    assert clf.history_[first, "valid_loss_best"]  # afresh: its first epoch is best


def test_partial_fit_classes():
    X, y = make_data(n_classes=2)
    clf = MultimodalNetClassifier(**PARAMS)
    with pytest.raises(ValueError, match="`classes` must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1, 2])  # 2 is not in y yet
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (200, 3)
    clf.partial_fit(X[50:70], np.full(20, 2), classes=[7])  # ignored after the first
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    with pytest.raises(
        ValueError, match=r"labels outside the net's classes \[0, 1, 2\]"
    ):
        clf.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="labels outside"):
        MultimodalNetClassifier(**PARAMS).partial_fit(X, y, classes=[0, 2])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :8], y)


def test_continued_fit_after_pickling():
    X, y = make_data()
    clf = MultimodalNetClassifier(max_epochs=2, warm_start=True, **PARAMS).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded._rng_state[0], clf._rng_state[0])
    loaded.fit(X, y)  # fresh AdamW moments, the same weights and history
    assert loaded.history_[:, "epoch"] == [1, 2, 3, 4]
    assert loaded.score(X, y) > 0.6


def test_continued_fit_on_another_device_raises(monkeypatch):
    X, y = make_data()
    clf = MultimodalNetClassifier(max_epochs=1, warm_start=True, **PARAMS).fit(X, y)
    monkeypatch.setattr(
        "sklearn_skll.neural._net.resolve_device", lambda device: "cuda"
    )
    with pytest.raises(ValueError, match="trains where the net is"):
        clf.fit(X, y)
