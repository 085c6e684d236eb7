"""The package's statistics, in one place.

Every comparison of strategies is *paired*: the strategies of one seed train
on the same rows and are scored on the same test rows, so the difference is
taken seed by seed and its mean gets a Student-t interval over the seeds
(``mean +- t * sd / sqrt(n)``, ``n - 1`` degrees of freedom). An interval
that holds 0 is "no difference", in words. The budget layer, the plots, the
command line and the scripts under ``bench/`` all import these functions;
none of them computes an interval of its own.

- :func:`mean_interval`: mean and Student-t interval of values (over seeds);
- :func:`paired_interval`: the same for paired differences, by name;
- :func:`resampled_paired_interval`: paired differences over repeated
  random splits of one data set, widened for their correlation (measured,
  or Nadeau and Bengio's heuristic);
- :func:`detectable_difference`: the smallest true difference an interval
  of a given width finds 4 times in 5;
- :func:`verdict`: "better", "worse" or "no difference" from an interval;
- :func:`format_interval`: ``"+1.2 [-0.3, +2.7]"``, the way reports print it;
- :func:`paired_differences`: one row per cell and strategy, paired by seed
  to a reference strategy (what ``budget.summarize(reference=...)`` returns);
- :func:`fit_log_curve`: the learning-curve fit ``a + b log(rows)``.
"""

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "VERDICTS",
    "detectable_difference",
    "fit_log_curve",
    "format_interval",
    "mean_interval",
    "most_frequent",
    "paired_differences",
    "paired_interval",
    "resampled_paired_interval",
    "sort_cells",
    "verdict",
]

#: The verdict words, in the order: the interval lies above 0, below 0, holds 0.
VERDICTS = ("better", "worse", "no difference")


def mean_interval(values, confidence=0.95):
    """Mean and Student-t interval of the mean of ``values``.

    Non-finite values are left out. With one value the interval is
    undefined: ``(mean, nan, nan)``; with none, ``(nan, nan, nan)``. Values
    that are all equal give a zero-width interval.

    Parameters
    ----------
    values : array-like of float
    confidence : float, default=0.95

    Returns
    -------
    mean, low, high : float

    Examples
    --------
    >>> from sklearn_skll._stats import mean_interval
    >>> [round(float(v), 3) for v in mean_interval([0.02, 0.03, 0.01])]
    [0.02, -0.005, 0.045]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be in (0, 1). Got {confidence!r} instead.")
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = values.mean()
    if n == 1:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def paired_interval(diffs, confidence=0.95):
    """Mean and Student-t interval of paired differences (seed by seed).

    The same computation as :func:`mean_interval`, named for what it is
    applied to: ``metric(strategy) - metric(reference)`` on the same seeds.

    Returns
    -------
    mean, low, high : float
    """
    return mean_interval(diffs, confidence)


def resampled_paired_interval(
    diffs, n_test=None, n_train=None, confidence=0.95, *, correlation=None
):
    """Paired differences over repeated random splits of one data set.

    The splits share rows, so their differences are correlated and the plain
    interval of :func:`paired_interval` can be too narrow. With a correlation
    ``rho`` between two splits' differences, the variance of their mean over
    ``J`` splits is ``s^2 (1 / J + rho / (1 - rho))`` instead of ``s^2 / J``:
    the plain half-width times ``sqrt(1 + J rho / (1 - rho))``. Nadeau and
    Bengio's corrected resampled t-interval takes ``rho = n_test / (n_test +
    n_train)`` (so ``rho / (1 - rho) = n_test / n_train``), a heuristic that
    can be far too wide; a measured ``correlation`` replaces it.

    Parameters
    ----------
    diffs : array-like of float
        One paired difference per split.
    n_test, n_train : int, default=None
        Rows scored and rows trained on (or held apart from the scored
        rows) in each split; needed without ``correlation``.
    confidence : float, default=0.95
    correlation : float in [0, 1), default=None
        The correlation of two splits' differences, where it has been
        measured; None: Nadeau and Bengio's ``n_test / (n_test + n_train)``.

    Returns
    -------
    mean, low, high : float

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the generalization error",
       Machine Learning 52, 239-281, 2003.

    Examples
    --------
    >>> from sklearn_skll._stats import paired_interval, resampled_paired_interval
    >>> d = [0.02, 0.03, 0.01, 0.04]
    >>> plain = paired_interval(d)
    >>> wide = resampled_paired_interval(d, n_test=30, n_train=70)
    >>> ratio = (wide[2] - wide[1]) / (plain[2] - plain[1])
    >>> round(float(ratio), 3)  # sqrt(1 + 4 * 3 / 7)
    1.648
    >>> rho = resampled_paired_interval(d, correlation=0.5)
    >>> float(round((rho[2] - rho[1]) / (plain[2] - plain[1]), 3))  # sqrt(1 + 4)
    2.236
    """
    if correlation is None:
        if n_test is None or n_train is None:
            raise ValueError(
                "`n_test` and `n_train` are needed without `correlation`. Got "
                f"n_test={n_test!r}, n_train={n_train!r} instead."
            )
        term = n_test / n_train
    elif 0 <= correlation < 1:
        term = correlation / (1 - correlation)
    else:
        raise ValueError(
            f"`correlation` must be in [0, 1). Got {correlation!r} instead."
        )
    mean, low, high = paired_interval(diffs, confidence)
    if not np.isfinite(low):
        return mean, low, high
    n = int(np.isfinite(np.asarray(diffs, dtype=float)).sum())
    half = (high - low) / 2 * np.sqrt(1 + n * term)
    return mean, mean - half, mean + half


def detectable_difference(low, high, n, confidence=0.95, power=0.8):
    """The smallest true difference an interval of this width finds ``power``
    of the time.

    A difference is found when its interval lies above 0. With the interval
    ``[low, high]`` of a mean over ``n`` values (Student t, ``n - 1`` degrees
    of freedom) the standard error is ``se = half / t_confidence``; a true
    difference ``d`` gives an interval above 0 with probability ``power``
    when ``d = half + t_power * se``. A difference smaller than ``half`` is
    found less than half the time.

    Parameters
    ----------
    low, high : float
        An interval at level ``confidence``.
    n : int
        The values its mean is taken over.
    confidence : float, default=0.95
    power : float, default=0.8

    Returns
    -------
    difference : float
        NaN when the interval is undefined.

    Examples
    --------
    >>> from sklearn_skll._stats import detectable_difference
    >>> float(round(detectable_difference(-0.02, 0.02, n=20), 4))  # se 0.0096
    0.0282
    """
    if not (np.isfinite(low) and np.isfinite(high)) or n < 2:
        return np.nan
    half = (high - low) / 2
    se = half / stats.t.ppf(0.5 + confidence / 2, n - 1)
    return float(half + stats.t.ppf(power, n - 1) * se)


def verdict(low, high):
    """``"better"`` when the interval lies above 0, ``"worse"`` below, else
    ``"no difference"`` (also when the interval is undefined)."""
    if np.isfinite(low) and low > 0:
        return "better"
    if np.isfinite(high) and high < 0:
        return "worse"
    return "no difference"


def format_interval(mean, low, high, *, scale=1.0, digits=1):
    """``"+1.2 [-0.3, +2.7]"`` (signed, ``scale`` times the values); the
    mean alone when the interval is undefined."""
    text = f"{scale * mean:+.{digits}f}"
    if np.isfinite(low) and np.isfinite(high):
        text += f" [{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"
    return text


def fit_log_curve(n_rows, values):
    """Least squares of ``values = a + b * log(n_rows)``.

    Returns
    -------
    intercept, slope : float
        NaN when fewer than two distinct row counts are given.
    """
    x = np.log(np.asarray(n_rows, dtype=float))
    if np.unique(x).size < 2:
        return np.nan, np.nan
    slope, intercept = np.polyfit(x, np.asarray(values, dtype=float), 1)
    return intercept, slope


def most_frequent(values):
    """The most frequent non-missing value (the first in sort order on ties);
    "" when there is none."""
    values = values.dropna()
    return values.mode().iloc[0] if len(values) else ""


def sort_cells(table, order):
    """``table`` (index available, budget, strategy) sorted by cell, then by
    the strategies' ``order``."""
    return table.reindex(
        pd.MultiIndex.from_tuples(
            sorted(table.index, key=lambda t: (t[0], t[1], order.index(t[2]))),
            names=table.index.names,
        )
    )


_PAIRED_COLUMNS = [
    "available",
    "budget",
    "strategy",
    "mean",
    "reference_mean",
    "mean_diff",
    "diff_std",
    "diff_ci_low",
    "diff_ci_high",
    "n_seeds",
    "wins",
    "ties",
    "losses",
    "verdict",
    "n_train",
    "reference_n_train",
    "key_subset",
]


def paired_differences(runs, metric, reference, *, confidence=0.95, order=()):
    """One row per (available, budget, strategy != reference), paired by seed.

    Parameters
    ----------
    runs : DataFrame
        Columns ``seed``, ``available``, ``budget``, ``strategy``,
        ``n_train``, ``metric`` and optionally ``key_subset``.
    metric : str
    reference : str
        The strategy every other one is compared to, seed by seed.
    confidence : float, default=0.95
    order : sequence of str, default=()
        Strategies in the order of the rows within a cell; the others
        follow, sorted.

    Returns
    -------
    table : DataFrame
        Indexed by (available, budget, strategy); see
        ``sklearn_skll.budget.summarize`` for the columns.
    """
    order = [s for s in order if s in set(runs["strategy"])]
    order += sorted(set(runs["strategy"]) - set(order))
    cell = ["available", "budget"]
    ref = runs[runs["strategy"] == reference]
    ref = ref.groupby([*cell, "seed"])[[metric, "n_train"]].mean()
    rows = []
    for (avail, budget, strategy), group in runs.groupby(
        [*cell, "strategy"], sort=True
    ):
        if strategy == reference:
            continue
        mine = group.groupby("seed")[[metric, "n_train"]].mean()
        mine.index = pd.MultiIndex.from_product(
            [[avail], [budget], mine.index], names=[*cell, "seed"]
        )
        both = mine.merge(
            ref, left_index=True, right_index=True, suffixes=("", "_ref")
        ).dropna(subset=[metric, f"{metric}_ref"])
        diff = (both[metric] - both[f"{metric}_ref"]).to_numpy(dtype=float)
        n = diff.size
        mean, low, high = paired_interval(diff, confidence)
        std = diff.std(ddof=1) if n > 1 else np.nan
        # Accuracies of one test set are multiples of 1 / n_test: exact ties
        # are common, count them as ties rather than as wins or losses.
        tie = np.isclose(diff, 0.0, rtol=0.0, atol=1e-12)
        rows.append(
            {
                "available": avail,
                "budget": budget,
                "strategy": strategy,
                "mean": both[metric].mean() if n else np.nan,
                "reference_mean": both[f"{metric}_ref"].mean() if n else np.nan,
                "mean_diff": mean,
                "diff_std": std,
                "diff_ci_low": low,
                "diff_ci_high": high,
                "n_seeds": n,
                "wins": int(np.sum((diff > 0) & ~tie)),
                "ties": int(np.sum(tie)),
                "losses": int(np.sum((diff < 0) & ~tie)),
                "verdict": verdict(low, high),
                "n_train": both["n_train"].mean() if n else np.nan,
                "reference_n_train": both["n_train_ref"].mean() if n else np.nan,
                "key_subset": most_frequent(group["key_subset"])
                if "key_subset" in group
                else "",
            }
        )
    table = pd.DataFrame(rows, columns=_PAIRED_COLUMNS).set_index(
        ["available", "budget", "strategy"]
    )
    return sort_cells(table, order) if len(table) else table
