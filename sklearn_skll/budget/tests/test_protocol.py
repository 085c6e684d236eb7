"""Tests for the protocol runner (run_protocol, summarize)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from sklearn_skll.budget import run_protocol, summarize

from ._standins import BlockMeanImputer, UtilitySelector
from .test_budgeted import MODS, _data

PARAMS = {
    "selector": UtilitySelector(),
    "imputer": BlockMeanImputer(),
    "classifier": LogisticRegression(max_iter=200),
}


def test_run_protocol_rows_and_summary():
    X, y = _data(n=200)
    runs = run_protocol(
        X,
        y,
        MODS,
        available=(0.1, 0.3),
        budgets=(0.1, 0.3),
        strategies=("available_only", "uniform", "skll", "full"),
        seeds=2,
        estimator_params=PARAMS,
    )
    # 2 seeds x 2 availabilities x 2 budgets x 4 strategies.
    assert len(runs) == 32
    train = 140  # 30 % of 200 rows are the fixed test split
    one = runs[(runs.seed == 0) & (runs.available == 0.1) & (runs.budget == 0.1)]
    n_new = dict(zip(one.strategy, one.n_new))
    assert n_new == {"available_only": 0, "uniform": 4, "skll": 7, "full": 14}
    assert (one.n_available == int(0.1 * train)).all()
    # With 42 available rows the selector finds the informative pair.
    skll = runs[(runs.strategy == "skll") & (runs.available == 0.3)]
    assert set(skll.key_subset) == {"a+b"}
    # available_only is fitted once and repeated for every budget.
    only = runs[runs.strategy == "available_only"].sort_values(["seed", "available"])
    assert only.groupby(["seed", "available"]).accuracy.nunique().eq(1).all()

    table = summarize(runs)
    assert table.loc[(0.3, 0.1, "full"), "n_runs"] == 2
    assert table.loc[(0.3, 0.1, "full"), "mean"] == pytest.approx(
        runs.query(
            "available == 0.3 and budget == 0.1 and strategy == 'full'"
        ).accuracy.mean()
    )
    wide = summarize(runs, "f1_macro", layout="wide")
    assert list(wide.columns) == ["available_only", "uniform", "skll", "full"]
    assert "±" in wide.iloc[0, 0]


def test_run_protocol_is_reproducible_and_checks_strategies():
    X, y = _data(n=150)
    kwargs = dict(
        available=(0.2,),
        strategies=("uniform", "skll"),
        seeds=[3],
        estimator_params=PARAMS,
    )
    a = run_protocol(X, y, MODS, **kwargs)
    b = run_protocol(X, y, MODS, n_jobs=2, **kwargs)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    with pytest.raises(ValueError, match="strategies"):
        run_protocol(X, y, MODS, strategies=("random",), estimator_params=PARAMS)


def _hand_runs():
    """Two cells, four seeds; differences to uniform known by hand."""
    rows = []
    skll = {0.1: [0.02, 0.04, 0.03, 0.03], 0.3: [0.01, -0.01, 0.0, 0.0]}
    for avail in (0.1, 0.3):
        for seed in range(4):
            base = 0.70 + 0.05 * seed  # seeds move every strategy together
            for strategy, acc, n in (
                ("available_only", base - 0.01, 20),
                ("uniform", base, 24),
                ("skll", base + skll[avail][seed], 30),
            ):
                rows.append(
                    {
                        "seed": seed,
                        "available": avail,
                        "budget": 0.1,
                        "strategy": strategy,
                        "n_available": 20,
                        "n_new": n - 20,
                        "n_train": n,
                        "key_subset": "a",
                        "accuracy": acc,
                        "f1_macro": acc,
                        "fit_time": 0.0,
                    }
                )
    return pd.DataFrame(rows)


def test_summarize_paired_differences_known_by_hand():
    from scipy import stats

    runs = _hand_runs()
    table = summarize(runs, reference="uniform")
    assert "uniform" not in table.index.get_level_values("strategy")
    assert [c for c in table.columns if "diff" in c] == [
        "mean_diff",
        "diff_std",
        "diff_ci_low",
        "diff_ci_high",
    ]
    row = table.loc[(0.1, 0.1, "skll")]
    d = np.array([0.02, 0.04, 0.03, 0.03])
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert row["mean_diff"] == pytest.approx(0.03)
    assert row["diff_ci_low"] == pytest.approx(0.03 - half)
    assert row["diff_ci_high"] == pytest.approx(0.03 + half)
    assert (row["wins"], row["ties"], row["losses"]) == (4, 0, 0)
    assert row["verdict"] == "better" and row["n_seeds"] == 4
    assert row["n_train"] == 30 and row["reference_n_train"] == 24
    # The unpaired spread (seeds move both by 15 points) would hide this gain.
    assert summarize(runs).loc[(0.1, 0.1, "skll"), "std"] > 0.05

    row = table.loc[(0.3, 0.1, "skll")]
    assert row["mean_diff"] == pytest.approx(0.0)
    assert (row["wins"], row["ties"], row["losses"]) == (1, 2, 1)
    assert row["verdict"] == "no difference"
    assert table.loc[(0.1, 0.1, "available_only"), "verdict"] == "worse"
    assert table.loc[(0.1, 0.1, "available_only"), "diff_ci_high"] == pytest.approx(
        -0.01
    )


def test_summarize_paired_pairs_by_seed_and_keeps_old_layouts():
    runs = _hand_runs()
    # A seed the reference lacks is left out of the pairs, not misaligned.
    runs = runs[~((runs.strategy == "uniform") & (runs.seed == 3))]
    table = summarize(runs, reference="uniform")
    assert table.loc[(0.1, 0.1, "skll"), "n_seeds"] == 3
    assert table.loc[(0.1, 0.1, "skll"), "mean_diff"] == pytest.approx(0.03)
    # One seed: a difference but no interval.
    one = summarize(runs[runs.seed == 0], reference="uniform")
    assert np.isnan(one.loc[(0.1, 0.1, "skll"), "diff_ci_low"])
    assert one.loc[(0.1, 0.1, "skll"), "verdict"] == "no difference"
    wide = summarize(_hand_runs(), reference="available_only", layout="wide")
    assert list(wide.columns) == ["uniform", "skll"]
    assert wide.loc[(0.1, 0.1), "uniform"] == "+1.00 [+1.00, +1.00]"
    # Without a reference the layouts are as before.
    assert list(summarize(runs).columns) == [
        "mean",
        "std",
        "n_runs",
        "n_train",
        "key_subset",
    ]
    with pytest.raises(ValueError, match="`reference`"):
        summarize(runs, reference="greedy")


def test_run_protocol_fits_the_selector_once_per_seed_and_availability(monkeypatch):
    from sklearn_skll.planning import _simulation

    X, y = _data(n=150)
    kwargs = dict(
        available=(0.2, 0.4),
        budgets=(0.1, 0.3),
        strategies=("uniform", "skll"),
        seeds=2,
        estimator_params=PARAMS,
    )
    fits = []
    original = UtilitySelector.fit
    monkeypatch.setattr(
        UtilitySelector,
        "fit",
        lambda self, X, y: fits.append(1) or original(self, X, y),
    )
    cached = run_protocol(X, y, MODS, **kwargs)
    # 2 seeds x 2 availabilities, not x 2 budgets.
    assert len(fits) == 4
    assert not _simulation._SELECTOR_CACHE

    def refit(self, X, y):
        self.selector_ = clone(self.selector).fit(X, y)
        return self

    monkeypatch.setattr(_simulation.FitOnce, "fit", refit)
    fresh = run_protocol(X, y, MODS, **kwargs)
    assert len(fits) == 4 + 8
    cols = ["accuracy", "n_train", "key_subset"]
    pd.testing.assert_frame_equal(cached[cols], fresh[cols])


def test_run_protocol_with_a_rare_class_and_the_real_selector():
    """Folds adapt: a class with 1-2 available rows never stops the protocol."""
    import warnings

    from sklearn_skll.selection import ModalitySelector

    X, y = _data(n=300)
    y = y.copy()
    y[::25] = 2  # 12 rows of a rare third class (4 %)
    params = {
        "selector": ModalitySelector(n_repeats=1, cv=3),
        "imputer": BlockMeanImputer(),
        "classifier": LogisticRegression(max_iter=200),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = run_protocol(
            X,
            y,
            MODS,
            available=(0.05, 0.1, 0.3),
            budgets=(0.1,),
            strategies=("uniform", "skll"),
            seeds=2,
            estimator_params={**params, "key": "paper"},
        )
    assert len(runs) == 2 * 3 * 2
    skll = runs[runs.strategy == "skll"]
    assert (skll.key_subset.str.count(r"\+") == 1).all()  # the pairs of M - 1 = 2


def test_run_protocol_fits_the_given_imputer_only_where_it_generates(monkeypatch):
    from sklearn_skll import BudgetedMultimodalClassifier
    from sklearn_skll.budget._protocol import TEST_RANDOM_STATE, TEST_SIZE

    X, y = _data(n=150)
    fits = []
    original = BlockMeanImputer.fit
    monkeypatch.setattr(
        BlockMeanImputer,
        "fit",
        lambda self, X, y=None: fits.append(1) or original(self, X, y),
    )
    strategies = ("available_only", "uniform", "skll", "full")
    runs = run_protocol(
        X,
        y,
        MODS,
        available=(0.3,),
        budgets=(0.3,),
        strategies=strategies,
        seeds=2,
        estimator_params=PARAMS,
    )
    # Only the two skll runs fill missing blocks with the given imputer.
    assert len(fits) == 2
    assert set(runs.loc[runs.strategy == "skll", "imputer"]) == {"BlockMeanImputer"}
    assert set(runs.loc[runs.strategy != "skll", "imputer"]) == {""}
    # The stand-in changes nothing: every strategy scores as a direct fit
    # with the given imputer on the protocol's split.
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        np.arange(y.size),
        test_size=TEST_SIZE,
        stratify=y,
        random_state=TEST_RANDOM_STATE,
    )
    for row in runs.itertuples():
        est = BudgetedMultimodalClassifier(
            modalities=MODS,
            available=0.3,
            budget=0.3,
            strategy=row.strategy,
            random_state=row.seed,
            **PARAMS,
        ).fit(X[train], y[train])
        assert est.score(X[test], y[test]) == pytest.approx(row.accuracy)
