"""Tests for run_benchmark and its report (BenchmarkResult)."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils import Bunch

from sklearn_skll.budget import BenchmarkResult, run_benchmark

from ._standins import BlockMeanImputer, UtilitySelector
from .test_budgeted import MODS, _data

PARAMS = {
    "selector": UtilitySelector(),
    "imputer": BlockMeanImputer(),
    "classifier": LogisticRegression(max_iter=200),
}


def _bunch(n=200):
    X, y = _data(n=n)
    return Bunch(data=X, target=y, modalities=MODS, name="toy")


def test_run_benchmark_on_tiny_settings(tmp_path):
    result = run_benchmark(
        _bunch(),
        available=(0.1, 0.3),
        budgets=(0.1, 0.3),
        strategies=("available_only", "uniform", "skll", "full"),
        seeds=2,
        shapley=False,
        estimator_params=PARAMS,
    )
    assert result.dataset == "toy" and result.n_test == 60 and result.n_seeds == 2
    # 2 seeds x 2 availabilities x 2 budgets x 4 strategies.
    assert len(result.runs) == 32
    assert set(result.paired.index.get_level_values("strategy")) == {
        "available_only",
        "skll",
        "full",
    }
    # The learning curve: the available_only runs (14 and 42 rows) and a
    # half and three quarters of the smallest (a quarter, 3 rows, is too few:
    # 2 per class).
    assert sorted(result.learning_curve["n_rows"].unique()) == [7, 10, 14, 42]
    only = result.runs[
        (result.runs.strategy == "available_only") & (result.runs.budget == 0.1)
    ]
    at_14 = result.learning_curve[result.learning_curve.n_rows == 14]
    np.testing.assert_array_equal(
        at_14.sort_values("seed").accuracy,
        only[only.n_available == 14].sort_values("seed").accuracy,
    )
    stakes = result.stakes.set_index(["available", "budget"])
    assert stakes.loc[(0.1, 0.1), "n_available"] == 14
    assert stakes.loc[(0.1, 0.1), "rows_uniform"] == 14 + 4
    assert stakes.loc[(0.1, 0.1), "rows_skll"] == 14 + 7
    assert stakes.loc[(0.1, 0.1), "extra_rows"] == 3

    paths = result.save(tmp_path)
    names = sorted(p.name for p in paths)
    assert names == [
        "budget_curve.png",
        "learning_curve.png",
        "paired_differences.png",
        "results.csv",
        "results.json",
        "results.md",
    ]
    assert all(p.stat().st_size > 0 for p in paths)
    meta = json.loads((tmp_path / "results.json").read_text())
    assert len(meta["runs"]) == 32 and len(meta["paired"]) == 12
    report = (tmp_path / "results.md").read_text()
    # The paired table comes first, with a verdict per cell.
    assert (
        report.index("## Paired differences to uniform")
        < report.index("## Is more data worth it here?")
        < report.index("## Accuracy per strategy")
    )
    assert report.count("SK-LL") >= 4
    # Counts are integers, not 14.0000.
    assert "| 21 vs 18 |" in report and ".0000" not in report


def _hand_result(slope_per_doubling):
    """Known learning curve a + b log2(n) and known paired differences."""
    rows = []
    for seed in range(5):
        for strategy, n, bonus in (
            ("available_only", 20, 0.0),
            ("uniform", 25, 0.0),
            ("skll", 40, 0.02 + 0.002 * seed),
        ):
            acc = 0.6 + slope_per_doubling * np.log2(n) + 0.01 * seed + bonus
            rows.append(
                {
                    "seed": seed,
                    "available": 0.1,
                    "budget": 0.1,
                    "strategy": strategy,
                    "n_available": 20,
                    "n_new": n - 20,
                    "n_train": n,
                    "key_subset": "a+b",
                    "accuracy": acc,
                    "f1_macro": acc,
                    "fit_time": 0.0,
                }
            )
    runs = pd.DataFrame(rows)
    curve = pd.DataFrame(
        [
            {
                "seed": s,
                "n_rows": n,
                "accuracy": 0.6
                + slope_per_doubling * np.log2(n)
                + 0.01 * s
                + 0.001 * ((s + n) % 3),
            }
            for s in range(5)
            for n in (5, 10, 20)
        ]
    )
    return BenchmarkResult(
        dataset="hand",
        runs=runs,
        reference="uniform",
        learning_curve=curve,
        selector=None,
        n_test=100,
        wall_time=1.0,
        n_undefined_notes=0,
        settings={
            "available": [0.1],
            "budgets": [0.1],
            "classifier": "logreg",
            "parts": "fast",
        },
    )


def test_report_verdicts_and_stakes_known_by_hand():
    steep = _hand_result(0.05)
    verdicts = steep.verdicts()
    text = verdicts[(0.1, 0.1, "skll")]
    # 5 points per doubling x log2(40 / 25) + 2.4 points of bonus.
    assert text.startswith("SK-LL beats uniform by 5.8 points [")
    assert text.endswith("wins/ties/losses 5/0/0")
    assert verdicts[(0.1, 0.1, "available_only")].startswith(
        "available only loses to uniform by 1.6 points"
    )
    stake = steep.stakes.iloc[0]
    # 5 points per doubling; SK-LL's 40 rows vs uniform's 25.
    assert stake["slope"] == pytest.approx(0.05, abs=1e-3)
    assert stake["stake"] == pytest.approx(0.05 * np.log2(40 / 25), abs=1e-3)
    (sentence,) = steep.stake_sentences()
    # What the curve allows sits next to what SK-LL measured, never alone.
    assert "more rows could matter here" in sentence
    assert "measured, SK-LL beats uniform (+5.8 [" in sentence
    # The report leads with the bottom line in words.
    assert steep.bottom_line().startswith("Measured better than uniform: SK-LL beats")
    assert steep.to_markdown().splitlines()[2].startswith("**Measured better")
    assert "SK-LL buys 20 rows, uniform 5" in sentence

    flat = _hand_result(0.0)
    (sentence,) = flat.stake_sentences()
    assert "the curve is flat" in sentence
    assert "no strategy can differ much here" in sentence
    report = flat.to_markdown()
    assert report.index("Paired differences") < report.index("the curve is flat")


def test_run_benchmark_reports_what_the_auto_imputer_chose(monkeypatch, tmp_path):
    from .test_budgeted import _fast_flow_default

    _fast_flow_default(monkeypatch)
    result = run_benchmark(
        _bunch(),
        available=(0.3,),
        budgets=(0.3,),
        strategies=("uniform", "skll"),
        seeds=2,
        classifier="hgb",
        imputer="auto",
        shapley=False,
        learning_curve=False,
        estimator_params={"selector": UtilitySelector()},
    )
    skll = result.runs[result.runs.strategy == "skll"]
    candidates = {"none", "gaussian", "iterative", "flow"}
    assert set(skll["imputer"]) <= candidates
    scores = skll[[f"imputer_score_{c}" for c in sorted(candidates)]]
    assert scores.notna().all().all() and scores.stack().between(0, 1).all()
    # Each run chose its best-scoring candidate (ties: the cheaper).
    for row, chosen in zip(scores.itertuples(index=False), skll["imputer"]):
        assert getattr(row, f"imputer_score_{chosen}") == max(row)
    assert (result.runs.loc[result.runs.strategy == "uniform", "imputer"] == "").all()
    choices = result.imputer_choices()
    assert len(choices) == 1 and choices["strategy"].iloc[0] == "skll"
    counts = [int(part.split()[-1]) for part in choices["chosen"].iloc[0].split(", ")]
    assert sum(counts) == choices["n_seeds"].iloc[0] == 2
    assert choices["score_none"].iloc[0] == pytest.approx(
        skll["imputer_score_none"].mean()
    )
    text = result.to_markdown()
    assert "## Imputer chosen by `imputer='auto'`" in text
    written = result.save(tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["imputer_choices"]
    assert tmp_path / "results.md" in written
    # Without "auto" nothing is reported.
    plain = run_benchmark(
        _bunch(),
        available=(0.3,),
        budgets=(0.3,),
        strategies=("uniform", "skll"),
        seeds=1,
        shapley=False,
        learning_curve=False,
        estimator_params=PARAMS,
    )
    assert plain.imputer_choices() is None
    assert "Imputer chosen" not in plain.to_markdown()
    with pytest.raises(ValueError, match="`imputer` must be one of"):
        run_benchmark(_bunch(), imputer="knn", seeds=1)


def test_a_budget_beyond_the_pool_is_reported_not_fatal():
    # 50 % available and a 100 % budget with a cheap key: SK-LL's rows
    # outnumber the pool, which it buys whole; the report says what is left.
    from sklearn_skll.datasets import make_multimodal_classification
    from sklearn_skll.exceptions import BudgetWarning

    data = make_multimodal_classification(n_samples=120, random_state=0)
    costs = {m: 1.0 for m in data.modalities}
    costs["noise"] = costs["redundant"] = 20.0
    with pytest.warns(BudgetWarning, match="whole pool"):
        result = run_benchmark(
            data,
            available=(0.5,),
            budgets=(1.0,),
            strategies=("uniform", "skll"),
            seeds=2,
            classifier="logreg",
            learning_curve=False,
            shapley=False,
            estimator_params={"costs": costs},
        )
    skll = result.runs[result.runs["strategy"] == "skll"]
    assert (skll["unspent_budget"] > 0).all()
    assert (skll["n_available"] + skll["n_new"] == skll["n_train"]).all()
    assert "The pool ran out" in result.bottom_line()
    assert "unspent" in result.to_markdown()
