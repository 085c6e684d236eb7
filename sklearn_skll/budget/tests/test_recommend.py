import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklearn_skll import ModalitySelector
from sklearn_skll._stats import resampled_paired_interval
from sklearn_skll.budget import Recommendation, make_plan, recommend
from sklearn_skll.datasets import make_multimodal_classification
from sklearn_skll.exceptions import BudgetError, ModalityError
from sklearn_skll.planning import RECOMMEND_STRATEGIES, decide


@pytest.fixture(scope="module")
def pilot():
    data = make_multimodal_classification(n_samples=120, random_state=0)
    return data.data, data.target, data.modalities


@pytest.fixture(scope="module")
def rec(pilot):
    X, y, mods = pilot
    return recommend(
        X, y, modalities=mods, budget=0.3, n_train=600, n_repeats=6, random_state=0
    )


def test_the_recommendation_is_a_strategy_with_estimates(rec, pilot):
    X, y, mods = pilot
    assert isinstance(rec, Recommendation)
    assert rec.strategy in RECOMMEND_STRATEGIES
    est = rec.estimates
    assert list(est.index) == list(RECOMMEND_STRATEGIES)
    assert {"accuracy", "rows_bought", "diff", "diff_ci_low", "diff_ci_high"} <= set(
        est.columns
    )
    assert est.loc["uniform", "verdict"] == "reference"
    for s in ("available_only", "skll", "skll_no_generation"):
        low, mean, high = est.loc[s, ["diff_ci_low", "diff", "diff_ci_high"]]
        assert low <= mean <= high
    # The rows each strategy buys are the real plan's, at n_train.
    plan = make_plan(list(mods), 0.3, key_subset=rec.candidate_key, n_reference=600)
    assert est.loc["uniform", "rows_bought"] == plan.n_new_rows("uniform")
    assert est.loc["skll", "rows_bought"] == plan.n_new_rows("skll")
    assert est.loc["available_only", "rows_bought"] == 0
    # The key is one of the proper subsets; it is reported only with SK-LL.
    assert 0 < len(rec.candidate_key) < len(mods)
    assert (rec.key is not None) == (rec.strategy in ("skll", "skll_no_generation"))
    # The simulation scaled every purchase to the same multiple of its pilot.
    g = rec.geometry
    for s in ("uniform", "skll"):
        real = est.loc[s, "rows_bought"] / len(y)
        assert est.loc[s, "simulated_rows"] == pytest.approx(real * g["n_small"], abs=1)


def test_same_seed_same_recommendation(rec, pilot):
    X, y, mods = pilot
    again = recommend(
        X, y, modalities=mods, budget=0.3, n_train=600, n_repeats=6, random_state=0
    )
    pd.testing.assert_frame_equal(rec.estimates, again.estimates)
    assert rec.verdict == again.verdict


def test_the_report_leads_with_the_recommendation(rec, tmp_path):
    text = rec.to_markdown()
    lines = text.splitlines()
    assert lines[0] == "# Recommendation"
    assert lines[2] == f"**{rec.verdict}**"
    assert "Cost of one observation per modality" in text
    assert "(the default: 1 each)" in text
    assert text.index("## Estimates") < text.index("## Is more data worth it here?")
    paths = rec.save(tmp_path)
    names = {p.name for p in paths}
    assert {"results.md", "results.csv", "results.json"} <= names
    assert "paired_differences.png" in names
    assert all(p.exists() for p in paths)


def test_decision_rule_keeps_uniform_unless_an_interval_lies_above_zero():
    def frame(rows):
        return pd.DataFrame(
            rows, columns=["strategy", "accuracy", "diff", "diff_ci_low"]
        ).set_index("strategy")

    tie = frame(
        [
            ("uniform", 0.80, np.nan, np.nan),
            ("skll", 0.85, 0.05, -0.01),
            ("available_only", 0.70, -0.10, -0.2),
        ]
    )
    assert decide(tie) == "uniform"
    better = frame(
        [
            ("uniform", 0.80, np.nan, np.nan),
            ("skll", 0.83, 0.03, 0.01),
            ("skll_no_generation", 0.84, 0.04, 0.02),
        ]
    )
    assert decide(better) == "skll_no_generation"
    assert decide(tie.drop(index="uniform")) == "skll"


def test_the_pilot_must_be_complete_and_smaller_than_the_population(pilot):
    X, y, mods = pilot
    X = X.copy()
    with pytest.raises(BudgetError, match="n_train"):
        recommend(X, y, modalities=mods, budget=0.3, n_train=len(y))
    X.iloc[3, :8] = np.nan  # the whole `informative` block
    with pytest.raises(ModalityError, match="complete rows"):
        recommend(X, y, modalities=mods, budget=0.3, n_train=600)
    with pytest.raises(ValueError, match="estimator_params"):
        recommend(
            X.dropna(),
            y[X.notna().all(axis=1)],
            modalities=mods,
            budget=0.3,
            n_train=600,
            estimator_params={"strategy": "skll"},
        )


def test_small_multiclass_pilots_with_costs_get_an_answer():
    rng = np.random.RandomState(0)
    n, k = 30, 5
    y = np.repeat(np.arange(k), n // k)
    X = rng.normal(size=(n, 6)) + y[:, None] * 0.5
    mods = {"a": [0, 1], "b": [2, 3], "c": [4, 5]}
    rec = recommend(
        X,
        y,
        modalities=mods,
        budget=0.5,
        n_train=300,
        costs={"a": 10.0, "b": 1.0, "c": 0.5},
        n_repeats=4,
        random_state=0,
    )
    assert rec.strategy in RECOMMEND_STRATEGIES
    assert "a 10, b 1, c 0.5" in rec.to_markdown()
    # A pilot too small to split: the simplest strategy, said openly.
    tiny = recommend(
        X[:6], np.array([0, 1] * 3), modalities=mods, budget=0.3, n_train=50
    )
    assert tiny.strategy == "uniform"
    assert "too small" in tiny.verdict


def test_one_modality_has_no_key(pilot):
    X, y, _ = pilot
    rec = recommend(
        X, y, modalities={"all": slice(None)}, budget=0.3, n_train=600, n_repeats=3
    )
    assert list(rec.estimates.index) == ["uniform", "available_only"]
    assert rec.key is None and rec.candidate_key is None
    assert any("one modality" in n for n in rec.notes)


def test_a_budget_beyond_the_population_buys_it_all_and_says_so(pilot):
    X, y, mods = pilot
    rec = recommend(
        X, y, modalities=mods, budget=1.0, n_train=150, n_repeats=3, random_state=0
    )
    assert rec.estimates["rows_bought"].max() == 30
    assert any("unspent" in n for n in rec.notes)


def test_a_cheap_informative_key_on_a_large_pilot_is_recommended():
    # Two cheap modalities (cost 1 each) carry the signal in 300 columns; the
    # expensive ones (cost 5 and 10) are a noisy copy of one and noise. The
    # key's rows cost 2 against 17 for a complete row, so the budget buys 8.5
    # times as many, and on 300 pilot rows the gain is large enough to see.
    spec = {
        "clinical": {"n_features": 150, "role": "informative", "class_sep": 1.0},
        "labs": {"n_features": 150, "role": "informative", "class_sep": 1.0},
        "assay": {"n_features": 2, "role": "redundant", "copy_of": "clinical"},
        "imaging": {"n_features": 2, "role": "noise"},
    }
    data = make_multimodal_classification(300, modalities=spec, random_state=0)
    rec = recommend(
        data.data,
        data.target,
        modalities=data.modalities,
        budget=0.1,
        n_train=3000,
        costs={"clinical": 1, "labs": 1, "assay": 5, "imaging": 10},
        learning_curve=False,
        random_state=0,
    )
    assert rec.candidate_key == ("clinical", "labs")
    assert rec.strategy in ("skll", "skll_no_generation")
    assert rec.key == ("clinical", "labs")
    chosen = rec.estimates.loc[rec.strategy]
    assert chosen["diff_ci_low"] > 0 and chosen["verdict"] == "better"
    assert rec.verdict.startswith(f"Buy {chosen['rows_bought']:.0f} rows carrying only")
    # The interval it decides on is narrower than Nadeau and Bengio's, which
    # would have kept complete rows here; what it could detect is reported.
    runs = rec.runs.pivot(index="repeat", columns="strategy", values="accuracy")
    diff = runs[rec.strategy] - runs["uniform"]
    g = rec.geometry
    _, nb_low, _ = resampled_paired_interval(diff, g["n_valid"], g["n_rest"])
    assert nb_low < 0 < chosen["diff_ci_low"]
    assert 0 < chosen["detectable"] < 0.1


def test_the_detectable_difference_is_reported_when_uniform_is_kept(rec):
    est = rec.estimates.drop(index="uniform")
    low, high = est["diff_ci_low"], est["diff_ci_high"]
    # Found 4 times in 5: more than the half-width, less than the full width.
    assert (
        (est["detectable"] > (high - low) / 2) & (est["detectable"] < high - low)
    ).all()
    if rec.strategy == "uniform":
        assert "4 times in 5 only from about" in rec.verdict
    assert "found 4 in 5 from (points)" in rec.estimates_frame().columns


def test_the_key_is_chosen_as_the_budgeted_classifier_chooses_it(pilot):
    X, y, mods = pilot
    paper = ModalitySelector(key="paper")
    # a selector whose key rule conflicts with the one recommend simulates is
    # the budgeted classifier's error, not silently replaced
    with pytest.raises(ValueError, match="key='paper'.*conflicts"):
        recommend(
            X,
            y,
            modalities=mods,
            budget=0.3,
            n_train=600,
            n_repeats=3,
            estimator_params={"selector": paper},
        )
    rec = recommend(
        X,
        y,
        modalities=mods,
        budget=0.3,
        n_train=600,
        n_repeats=3,
        estimator_params={"selector": paper, "key": "paper"},
        random_state=0,
    )
    fitted = (
        clone(paper)
        .set_params(modalities=mods, random_state=rec.selector.random_state)
        .fit(X, y)
    )
    assert rec.candidate_key == tuple(fitted.key_subset_)
