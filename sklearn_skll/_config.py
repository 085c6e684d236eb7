"""Package settings, scikit-learn style: ``get_config``, ``set_config``,
``config_context``.

The settings are per thread (like :func:`sklearn.get_config`): a new thread
starts from the defaults, ``set_config`` changes the calling thread's
settings.
"""

import os
import threading
from contextlib import contextmanager
from numbers import Integral

__all__ = ["config_context", "get_config", "set_config"]

_global_config = {"n_threads": "auto"}
_threadlocal = threading.local()


def _get_threadlocal_config():
    if not hasattr(_threadlocal, "config"):
        _threadlocal.config = _global_config.copy()
    return _threadlocal.config


def _check_n_threads(n_threads):
    if isinstance(n_threads, str) and n_threads in ("auto", "torch"):
        return n_threads
    if (
        isinstance(n_threads, Integral)
        and not isinstance(n_threads, bool)
        and (n_threads >= 1 or n_threads == -1)
    ):
        return int(n_threads)
    raise ValueError(
        "`n_threads` must be 'auto', 'torch', a positive int or -1 (every "
        f"core). Got {n_threads!r} instead."
    )


def get_config():
    """The current values of the package settings.

    Returns
    -------
    config : dict
        ``{"n_threads": ...}``; see :func:`set_config`.

    See Also
    --------
    set_config : Change the settings.
    config_context : Change them within a ``with`` block.

    Examples
    --------
    >>> import sklearn_skll
    >>> sklearn_skll.get_config()["n_threads"]
    'auto'
    """
    return _get_threadlocal_config().copy()


def set_config(n_threads=None):
    """Change the package settings of the calling thread.

    Parameters
    ----------
    n_threads : {"auto", "torch"}, int or None, default=None
        Intra-op threads of torch (:func:`torch.set_num_threads`) while a
        torch part of the package (:class:`~sklearn_skll.MultimodalNetClassifier`,
        :class:`~sklearn_skll.FlowImputer`) fits, predicts or transforms; the
        caller's torch setting is restored afterwards.

        - ``"auto"`` (default): one thread, whatever the machine's load.
          On an idle 2-core machine two threads take 0.5 to 0.8 times the
          time of one on batches of 1,024 rows and more; while other
          processes kept the cores busy they were 1.2 to 37 times slower
          (``bench/bench_threads.py``). The thread count also changes the
          order of floating-point sums, hence the fitted weights: a default
          that followed the load would give the same seed other results on
          a busy machine than on an idle one.
        - a positive int: that many threads; ``-1``: one per CPU core.
        - ``"torch"``: leave torch's own setting alone (the behaviour before
          this setting existed).
        - ``None``: keep the current value.

        Jobs run in parallel (``n_jobs``) by
        :class:`~sklearn_skll.ModalitySelector`,
        :func:`~sklearn_skll.budget.run_protocol`,
        :func:`~sklearn_skll.explain.modality_shap_values` and
        :class:`~sklearn_skll.acquisition.AcquisitionRanker` use one torch
        thread and one BLAS thread each, unless ``n_threads="torch"``.

    See Also
    --------
    get_config : The current settings.
    config_context : Change them within a ``with`` block.

    Examples
    --------
    >>> import sklearn_skll
    >>> sklearn_skll.set_config(n_threads=2)
    >>> sklearn_skll.get_config()["n_threads"]
    2
    >>> sklearn_skll.set_config(n_threads="auto")
    """
    config = _get_threadlocal_config()
    if n_threads is not None:
        config["n_threads"] = _check_n_threads(n_threads)


@contextmanager
def config_context(*, n_threads=None):
    """Change the package settings within a ``with`` block.

    The previous settings are restored on leaving the block, also when it
    raises. Blocks nest.

    Parameters
    ----------
    n_threads : {"auto", "torch"}, int or None, default=None
        See :func:`set_config`.

    Yields
    ------
    None

    See Also
    --------
    set_config : Change the settings for good.

    Examples
    --------
    >>> import sklearn_skll
    >>> with sklearn_skll.config_context(n_threads=2):
    ...     sklearn_skll.get_config()["n_threads"]
    2
    >>> sklearn_skll.get_config()["n_threads"]
    'auto'
    """
    old = get_config()
    set_config(n_threads=n_threads)
    try:
        yield
    finally:
        _get_threadlocal_config().update(old)


def _resolve_n_threads(n_threads):
    """Threads to give torch for one call; ``None`` leaves torch alone."""
    if n_threads == "torch":
        return None
    if n_threads == "auto":
        return 1
    if n_threads == -1:
        return os.cpu_count() or 1
    return n_threads
