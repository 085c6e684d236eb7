"""Thread budget of every torch call and of every parallel job.

``torch_threads`` sets ``torch.set_num_threads`` from the package setting
``n_threads`` (:func:`sklearn_skll.set_config`) and restores the caller's
value afterwards, also when the body raises. ``torch.set_num_interop_threads``
is never called: torch allows it once per process.
"""

import functools
import threading
from contextlib import contextmanager

from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from ._config import _resolve_n_threads, config_context, get_config

__all__ = [
    "job_threads",
    "single_threaded_job",
    "torch_threads",
    "with_torch_threads",
]

#: ``blas_limited``: this thread already runs under one BLAS thread
#: (:func:`job_threads`), so the jobs it runs need not set it again.
_STATE = threading.local()


@contextmanager
def torch_threads():
    """Run the body with the intra-op torch threads of ``n_threads``."""
    n_threads = _resolve_n_threads(get_config()["n_threads"])
    if n_threads is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    if previous == n_threads:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def with_torch_threads(method):
    """Decorate a fit / predict / transform method with :func:`torch_threads`."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with torch_threads():
            return method(*args, **kwargs)

    return wrapper


def single_threaded_job(func):
    """Decorate a function run by joblib: one torch and one BLAS thread.

    ``n_jobs`` workers each running as many threads as there are cores would
    oversubscribe the machine. With ``n_threads="torch"`` the job is left
    alone.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if get_config()["n_threads"] == "torch":
            return func(*args, **kwargs)
        with config_context(n_threads=1), _blas_limited(), torch_threads():
            return func(*args, **kwargs)

    return wrapper


@contextmanager
def _blas_limited():
    """One BLAS thread for the body, set once per thread however deep the nesting."""
    if getattr(_STATE, "blas_limited", False):
        yield
        return
    with _blas_one_thread():
        _STATE.blas_limited = True
        try:
            yield
        finally:
            _STATE.blas_limited = False


@contextmanager
def job_threads(n_jobs):
    """Around a ``Parallel(n_jobs)`` call: limit BLAS once if it runs in-process.

    Setting the BLAS limit costs a few milliseconds (``threadpoolctl`` scans
    the loaded libraries each time); a selector runs a thousand small jobs in
    one fit. When joblib runs the jobs sequentially in this thread, the limit
    is set once here and the jobs skip it; jobs sent to workers set their own.
    """
    if get_config()["n_threads"] == "torch" or effective_n_jobs(n_jobs) != 1:
        yield
        return
    with _blas_limited():
        yield


def _blas_one_thread():
    return threadpool_limits(1, user_api="blas")
