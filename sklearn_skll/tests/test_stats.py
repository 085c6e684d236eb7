"""The one statistics module gives the numbers the package printed before."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_skll import _stats


def _t_reference(values, confidence=0.95):
    """The Student-t interval as the package wrote it out before ``_stats``."""
    values = np.asarray(values, dtype=float)
    n = values.size
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return values.mean(), values.mean() - half, values.mean() + half


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_mean_interval_is_the_student_t_interval(confidence):
    values = np.random.RandomState(0).normal(0.02, 0.03, size=7)
    assert_allclose(
        _stats.mean_interval(values, confidence), _t_reference(values, confidence)
    )
    assert _stats.paired_interval(values, confidence) == _stats.mean_interval(
        values, confidence
    )


def test_mean_interval_edge_cases():
    assert np.isnan(_stats.mean_interval([])).all()
    mean, low, high = _stats.mean_interval([0.3, np.nan])
    assert mean == 0.3 and np.isnan(low) and np.isnan(high)
    assert _stats.mean_interval([0.1, 0.1, 0.1]) == pytest.approx((0.1, 0.1, 0.1))
    with pytest.raises(ValueError, match="`confidence`"):
        _stats.mean_interval([1.0, 2.0], confidence=1.5)


@pytest.mark.parametrize(
    "low, high, word",
    [
        (0.01, 0.03, "better"),
        (-0.03, -0.01, "worse"),
        (-0.01, 0.02, "no difference"),
        (0.0, 0.02, "no difference"),
        (np.nan, np.nan, "no difference"),
    ],
)
def test_verdict_words(low, high, word):
    assert _stats.verdict(low, high) == word
    assert word in _stats.VERDICTS


def test_format_interval():
    assert _stats.format_interval(0.02, -0.005, 0.045, scale=100) == "+2.0 [-0.5, +4.5]"
    assert _stats.format_interval(0.02, np.nan, np.nan, scale=100, digits=2) == "+2.00"


def test_fit_log_curve_is_least_squares_on_log_rows():
    rows = np.array([10, 20, 40, 80, 10, 20, 40, 80])
    acc = np.array([0.60, 0.66, 0.70, 0.73, 0.58, 0.65, 0.71, 0.72])
    slope, intercept = np.polyfit(np.log(rows), acc, 1)
    assert_allclose(_stats.fit_log_curve(rows, acc), (intercept, slope))
    assert np.isnan(_stats.fit_log_curve([10, 10], [0.5, 0.6])).all()


def test_paired_differences_pairs_by_seed():
    rng = np.random.RandomState(1)
    seeds = np.arange(6)
    ref = rng.uniform(0.6, 0.8, size=6)
    diff = rng.normal(0.01, 0.02, size=6)
    runs = pd.DataFrame(
        {
            "seed": np.r_[seeds, seeds],
            "available": 0.1,
            "budget": 0.3,
            "strategy": ["uniform"] * 6 + ["skll"] * 6,
            "n_train": [30] * 6 + [40] * 6,
            "key_subset": [""] * 6 + ["a+b"] * 6,
            "accuracy": np.r_[ref, ref + diff],
        }
    )
    row = _stats.paired_differences(runs, "accuracy", "uniform").iloc[0]
    assert_allclose(
        [row["mean_diff"], row["diff_ci_low"], row["diff_ci_high"]],
        _t_reference(diff),
    )
    assert row["n_seeds"] == 6 and row["key_subset"] == "a+b"
    assert row["wins"] + row["ties"] + row["losses"] == 6
    assert row["verdict"] == _stats.verdict(row["diff_ci_low"], row["diff_ci_high"])


def test_plots_and_reports_use_the_same_interval():
    from sklearn_skll.plotting import _mean_ci

    values = [0.71, 0.74, 0.69, 0.73]
    mean, low, high = _t_reference(values)
    assert_allclose(_mean_ci(values), (mean, (high - low) / 2))


def test_resampled_interval_widens_the_plain_one_by_the_overlap():
    diffs = np.random.RandomState(1).normal(0.01, 0.02, size=20)
    mean, low, high = _stats.paired_interval(diffs)
    m, lo, hi = _stats.resampled_paired_interval(diffs, n_test=30, n_train=70)
    assert m == mean
    # Nadeau and Bengio: variance s^2 (1/J + n_test/n_train) instead of s^2/J.
    assert_allclose((hi - lo) / (high - low), np.sqrt(1 + 20 * 30 / 70))
    one = _stats.resampled_paired_interval([0.1], n_test=3, n_train=7)
    assert one[0] == 0.1 and np.isnan(one[1]) and np.isnan(one[2])


def test_a_measured_correlation_replaces_the_overlap_heuristic():
    diffs = np.random.RandomState(1).normal(0.01, 0.02, size=20)
    mean, low, high = _stats.paired_interval(diffs)
    m, lo, hi = _stats.resampled_paired_interval(diffs, correlation=0.03)
    assert m == mean
    # Variance s^2 (1/J + rho / (1 - rho)).
    assert_allclose((hi - lo) / (high - low), np.sqrt(1 + 20 * 0.03 / 0.97))
    assert _stats.resampled_paired_interval(diffs, correlation=0.0)[1] == low
    with pytest.raises(ValueError, match="correlation"):
        _stats.resampled_paired_interval(diffs, correlation=1.0)
    with pytest.raises(ValueError, match="n_test"):
        _stats.resampled_paired_interval(diffs)


def test_the_detectable_difference_is_found_as_often_as_it_says():
    # Simulated means of 20 values: a true difference equal to the detectable
    # one gives an interval above 0 about 80 % of the time.
    rng = np.random.RandomState(0)
    sd, n = 0.05, 20
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    target = _stats.detectable_difference(-half, half, n)
    assert half < target < 2 * half
    found = [
        _stats.mean_interval(rng.normal(target, sd, size=n))[1] > 0 for _ in range(2000)
    ]
    assert 0.7 < np.mean(found) < 0.9
    assert np.isnan(_stats.detectable_difference(np.nan, np.nan, n))
