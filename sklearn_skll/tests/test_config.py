"""Package settings and the thread budget around every torch call."""

import threading

import numpy as np
import pytest
import torch

import sklearn_skll
from sklearn_skll import (
    FlowImputer,
    MultimodalNetClassifier,
    config_context,
    get_config,
    set_config,
)
from sklearn_skll._threads import single_threaded_job, torch_threads

MODALITIES = {"a": [0, 1], "b": [2, 3]}


@pytest.fixture
def caller_threads():
    """The caller runs torch with 3 threads; restored after the test."""
    previous = torch.get_num_threads()
    torch.set_num_threads(3)
    yield 3
    torch.set_num_threads(previous)


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + X[:, 2] > 0).astype(int)
    X[:10, 2:] = np.nan
    return X, y


def record_threads(monkeypatch, cls, name, seen):
    original = getattr(cls, name)

    def recorded(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, recorded)


def test_defaults_and_public_names():
    assert get_config() == {"n_threads": "auto"}
    assert {"config_context", "get_config", "set_config"} <= set(sklearn_skll.__all__)


def test_config_context_nests_and_restores():
    with config_context(n_threads=2):
        assert get_config()["n_threads"] == 2
        with config_context(n_threads="torch"):
            assert get_config()["n_threads"] == "torch"
            with config_context():  # None keeps the value
                assert get_config()["n_threads"] == "torch"
        assert get_config()["n_threads"] == 2
    assert get_config()["n_threads"] == "auto"


def test_config_context_restores_after_an_exception():
    with pytest.raises(RuntimeError, match="boom"), config_context(n_threads=2):
        raise RuntimeError("boom")
    assert get_config()["n_threads"] == "auto"


def test_set_config_changes_and_keeps():
    try:
        set_config(n_threads=-1)
        assert get_config()["n_threads"] == -1
        set_config()  # None keeps the value
        assert get_config()["n_threads"] == -1
    finally:
        set_config(n_threads="auto")
    assert get_config()["n_threads"] == "auto"


@pytest.mark.parametrize("bad", [0, -2, 1.5, "all", True, "1"])
def test_invalid_n_threads_raises(bad):
    with pytest.raises(ValueError, match=r"`n_threads` must be .* Got .* instead\."):
        set_config(n_threads=bad)
    with pytest.raises(ValueError, match="`n_threads`"), config_context(n_threads=bad):
        pass  # pragma: no cover
    assert get_config()["n_threads"] == "auto"


def test_settings_are_per_thread():
    seen = []
    with config_context(n_threads=2):
        worker = threading.Thread(target=lambda: seen.append(get_config()))
        worker.start()
        worker.join()
    assert seen == [{"n_threads": "auto"}]


@pytest.mark.parametrize(
    "n_threads, expected", [("auto", 1), (2, 2), (-1, None), ("torch", 3)]
)
def test_torch_threads_sets_and_restores(caller_threads, n_threads, expected):
    import os

    expected = os.cpu_count() if expected is None else expected
    with config_context(n_threads=n_threads), torch_threads():
        assert torch.get_num_threads() == expected
    assert torch.get_num_threads() == caller_threads


def test_net_fit_and_predict_run_on_one_thread(caller_threads, data, monkeypatch):
    X, y = data
    seen = []
    record_threads(monkeypatch, MultimodalNetClassifier, "_train", seen)
    record_threads(monkeypatch, MultimodalNetClassifier, "_net_inputs", seen)
    clf = MultimodalNetClassifier(modalities=MODALITIES, max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert torch.get_num_threads() == caller_threads
    clf.predict(X)
    assert torch.get_num_threads() == caller_threads
    with config_context(n_threads=2):
        clf.predict_proba(X)
    # fit: the inputs of the training and validation rows, then training;
    # predict on one thread; predict_proba under n_threads=2 on two
    assert seen == [1, 1, 1, 1, 2]
    assert torch.get_num_threads() == caller_threads


def test_caller_threads_restored_after_an_error(caller_threads, data):
    X, y = data
    clf = MultimodalNetClassifier(modalities=MODALITIES, max_epochs=2)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, np.zeros_like(y))  # raises inside the thread budget
    assert torch.get_num_threads() == caller_threads
    clf.fit(X, y)
    with pytest.raises(ValueError):
        clf.predict_proba(X[:, :3])
    assert torch.get_num_threads() == caller_threads


def test_flow_imputer_runs_on_one_thread(caller_threads, data, monkeypatch):
    X, y = data
    seen = []
    record_threads(monkeypatch, FlowImputer, "_train", seen)
    record_threads(monkeypatch, FlowImputer, "_generate_chunk", seen)
    imputer = FlowImputer(modalities=MODALITIES, max_epochs=2, random_state=0)
    out = imputer.fit(X, y).transform(X)
    assert not np.isnan(out).any()
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == caller_threads


@single_threaded_job
def _job():
    from threadpoolctl import threadpool_info

    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return get_config()["n_threads"], torch.get_num_threads(), blas


def test_parallel_jobs_get_one_thread(caller_threads):
    with config_context(n_threads=2):
        n_threads, torch_n, blas = _job()
    assert (n_threads, torch_n) == (1, 1)
    assert all(n == 1 for n in blas)
    assert torch.get_num_threads() == caller_threads
    with config_context(n_threads="torch"):
        assert _job()[:2] == ("torch", caller_threads)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_job_threads_limits_blas_once_for_sequential_jobs(monkeypatch):
    from joblib import Parallel, delayed

    from sklearn_skll import _threads

    calls = []
    real = _threads._blas_one_thread

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(_threads, "_blas_one_thread", counting)
    before = _blas_threads()
    with _threads.job_threads(1):
        results = Parallel(n_jobs=1)(delayed(_job)() for _ in range(5))
    # One limit for the five in-process jobs, each of which still runs on
    # one BLAS and one torch thread; the caller's BLAS threads come back.
    assert len(calls) == 1
    assert all(r[:2] == (1, 1) and all(n == 1 for n in r[2]) for r in results)
    assert _blas_threads() == before
    # Nested jobs reuse the limit of the job around them.
    calls.clear()
    single_threaded_job(lambda: [_job() for _ in range(3)])()
    assert len(calls) == 1
    assert _blas_threads() == before


def test_job_threads_leaves_parallel_jobs_to_set_their_own(monkeypatch):
    from sklearn_skll import _threads

    calls = []
    monkeypatch.setattr(_threads, "_blas_one_thread", lambda: calls.append(1))
    with _threads.job_threads(2):
        pass
    with config_context(n_threads="torch"), _threads.job_threads(1):
        pass
    assert calls == []
