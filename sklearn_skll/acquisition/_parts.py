"""A fitted classifier and imputer, and the predictions every criterion needs.

The ranker predicts with one pair of parts (fitted on every training row);
the learned criterion also with one pair per cross-fitting fold. Both go
through :class:`_Parts`, so a fold predicts exactly as the ranker does.
"""

import copy
import warnings

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.parallel import Parallel, delayed

from .._base import SEED_MAX
from .._threads import single_threaded_job

#: Most stacked rows (candidate x draw) built and predicted at once (bounds memory).
_CHUNK = 65536


def _entropy(p):
    """Shannon entropy (nats) along the last axis; 0 log 0 = 0."""
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return -terms.sum(axis=-1)


def _p_change(p0, proba):
    """Fraction of the draws whose predicted class differs from the current one.

    ``p0`` (n, C) the current probabilities, ``proba`` (n, K, C) per draw.
    """
    return (proba.argmax(axis=2) != p0.argmax(axis=1)[:, None]).mean(axis=1)


@single_threaded_job
def _one_draw(imputer, X, seed):
    """One posterior draw: ``imputer`` reseeded, its fitted state shared."""
    imp = copy.copy(imputer)
    params = imp.get_params(deep=False)
    if "sample_posterior" in params:
        imp.set_params(sample_posterior=True)
    if "random_state" in params:
        imp.set_params(random_state=int(seed))
    if hasattr(imp, "random_state_"):  # IterativeImputer draws from this
        imp.random_state_ = np.random.RandomState(int(seed))
    return np.asarray(imp.transform(X), dtype=np.float64)


def mean_imputer(imputer):
    """A shallow copy of a fitted imputer that gives its deterministic output."""
    imp = copy.copy(imputer)
    if "sample_posterior" in imp.get_params(deep=False):
        imp.set_params(sample_posterior=False)
    return imp


def fill(imputer, Xa, wrap):
    """``Xa`` with every missing block filled by ``imputer``'s deterministic output."""
    Xa = np.asarray(Xa, dtype=np.float64)
    if not np.isnan(Xa).any():
        return Xa
    return np.asarray(mean_imputer(imputer).transform(wrap(Xa)), dtype=np.float64)


class _Parts:
    """Fitted ``estimator`` and ``imputer``; probabilities over ``classes``.

    ``columns`` are the column names ``fit`` saw (None for an array): the
    parts get a DataFrame when they were fitted on one.
    """

    def __init__(self, estimator, imputer, classes, columns):
        self.estimator = estimator
        self.imputer = imputer
        self.classes = classes
        self.columns = columns
        self.takes_nan = bool(get_tags(estimator).input_tags.allow_nan)
        # A fold's classifier may have seen fewer classes than the ranker's.
        own = np.asarray(estimator.classes_)
        self._at = np.searchsorted(classes, own)

    def wrap(self, Xa):
        """``Xa`` in the container ``fit`` saw (names matter to selectors)."""
        if self.columns is not None and not isinstance(Xa, pd.DataFrame):
            return pd.DataFrame(Xa, columns=self.columns)
        return Xa

    def fill(self, Xa):
        """Fill every missing block with the imputer's deterministic output."""
        return fill(self.imputer, Xa, self.wrap)

    def proba(self, Xa):
        """Predicted probabilities; blocks still missing are NaN or filled."""
        out = np.zeros((Xa.shape[0], len(self.classes)))
        for start in range(0, Xa.shape[0], _CHUNK):
            part = Xa[start : start + _CHUNK]
            if not self.takes_nan:
                part = self.fill(part)
            p = self.estimator.predict_proba(self.wrap(part))
            out[start : start + part.shape[0], self._at] = p
        return out

    def draws(self, Xa, rng, n_draws, n_jobs=None):
        """``n_draws`` completed copies of ``Xa``: (n_draws, n_rows, n_features)."""
        rng = check_random_state(rng)
        seeds = rng.randint(SEED_MAX, size=n_draws)
        X = self.wrap(Xa)
        if hasattr(self.imputer, "sample"):  # the package's multi-draw API
            imp = copy.copy(self.imputer)
            if "random_state" in imp.get_params(deep=False):
                imp.set_params(random_state=int(seeds[0]))
            return np.asarray(imp.sample(X, n_draws=n_draws), dtype=np.float64)
        posterior = "sample_posterior" in self.imputer.get_params(deep=False)
        if not posterior and n_draws > 1:
            warnings.warn(
                f"The imputer {type(self.imputer).__name__} has neither a "
                "`sample` method nor a `sample_posterior` parameter, so its "
                f"draws are identical and `gain_std` is 0. Got n_draws="
                f"{n_draws} identical draws instead.",
                UserWarning,
                stacklevel=4,
            )
        draws = Parallel(n_jobs=n_jobs)(
            delayed(_one_draw)(self.imputer, X, seed) for seed in seeds
        )
        return np.stack(draws)

    def draw_proba(self, Xa, rows, blocks, rng, n_draws, n_jobs=None):
        """Probabilities with each candidate's block replaced by imputer draws.

        Parameters
        ----------
        Xa : ndarray of shape (n_rows, n_features)
        rows : ndarray of int, shape (n_candidates,)
            The row of ``Xa`` of each candidate.
        blocks : list of ndarray of int
            The columns of each candidate's block.

        Returns
        -------
        p0 : ndarray of shape (n_candidates, n_classes)
            The current prediction of each candidate's row.
        proba : ndarray of shape (n_candidates, n_draws, n_classes)
        """
        need = np.unique(rows)
        at = np.searchsorted(need, rows)
        p0 = self.proba(Xa[need])[at]
        draws = self.draws(Xa[need], rng, n_draws, n_jobs)  # (K, len(need), f)
        n, K = rows.size, draws.shape[0]
        proba = np.empty((n, K, len(self.classes)))
        step = max(1, _CHUNK // K)  # candidates per batch (bounds memory)
        for start in range(0, n, step):
            stop = min(n, start + step)
            stacked = np.repeat(Xa[rows[start:stop]][:, None, :], K, axis=1)
            for c in range(start, stop):
                cols = blocks[c]
                stacked[c - start][:, cols] = draws[:, at[c]][:, cols]
            proba[start:stop] = self.proba(
                stacked.reshape((stop - start) * K, -1)
            ).reshape(stop - start, K, -1)
        return p0, proba
