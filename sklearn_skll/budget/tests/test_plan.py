"""Tests for acquisition plans (make_plan, AcquisitionPlan)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sklearn_skll.budget import AcquisitionPlan, make_plan
from sklearn_skll.exceptions import BudgetError

NAMES = ["text", "audio", "video"]


def test_paper_example_equal_costs():
    # Section 4.1: B = 10 %, three modalities -> uniform +3.33 % complete rows,
    # a key pair +5 % pairs (third generated), the upper bound +10 %.
    plan = make_plan(NAMES, 0.1, key_subset=["text", "audio"], n_reference=1200)
    assert plan.budget_cost == pytest.approx(120.0)
    assert plan.uniform.n_new_rows_exact == pytest.approx(40.0)
    assert plan.uniform.fraction == pytest.approx(0.1 / 3)
    assert round(100 * plan.uniform.fraction, 2) == 3.33
    assert plan.skll.n_new_rows == 60
    assert plan.skll.fraction == pytest.approx(0.05)
    assert plan.skll.modalities == ("text", "audio")
    assert plan.skll.generated == ("video",)
    assert plan.full.n_new_rows == 120
    assert plan.full.fraction == pytest.approx(0.1)
    # The paper: 10 % available + 10 % budget -> baseline trains on 13.33 %,
    # the upper bound on 20 % of the full-modality data.
    assert 0.1 + plan.uniform.fraction == pytest.approx(0.1333, abs=1e-4)
    assert 0.1 + plan.full.fraction == pytest.approx(0.2)
    # What the budget pays: the whole budget, except flooring losses.
    assert plan.skll.total_cost == pytest.approx(120.0)
    assert plan.uniform.total_cost == pytest.approx(120.0)
    assert plan.full.total_cost == pytest.approx(3 * 120.0)


def test_floor_and_exact_row_counts():
    plan = make_plan(NAMES, 0.1, key_subset=["text", "audio"], n_reference=1000)
    assert plan.uniform.n_new_rows_exact == pytest.approx(100 / 3)
    assert plan.uniform.n_new_rows == 33
    assert plan.uniform.total_cost == pytest.approx(99.0)
    # 0.3 * 1000 is 300.00000000000006 in floating point: still 150 rows.
    plan = make_plan(NAMES, 0.3, key_subset=["text", "audio"], n_reference=1000)
    assert plan.skll.n_new_rows == 150
    plan = make_plan(NAMES, 0.7, key_subset=["text", "audio"], n_reference=10)
    assert plan.full.n_new_rows == 7


def test_absolute_budget_in_cost_units():
    plan = make_plan(NAMES, 30, key_subset=["video"])
    assert plan.budget_cost == 30.0
    assert plan.uniform.n_new_rows == 10
    assert plan.skll.n_new_rows == 30
    assert plan.full.n_new_rows == 30
    assert plan.skll.fraction is None
    assert np.isnan(plan.to_frame().loc["skll", "fraction"])


def test_unequal_costs_only_relative_costs_matter():
    costs = {"text": 1.0, "audio": 2.0, "video": 9.0}
    plan = make_plan(
        NAMES, 0.1, key_subset=["text", "audio"], costs=costs, n_reference=1000
    )
    # B = 0.1 * 1000 * mean cost (4) = 400 cost units.
    assert plan.budget_cost == pytest.approx(400.0)
    assert plan.skll.cost_per_row == 3.0
    assert plan.skll.n_new_rows == 133
    # Uniform and full keep the paper's fractions whatever the costs.
    assert plan.uniform.fraction == pytest.approx(0.1 / 3)
    assert plan.full.fraction == pytest.approx(0.1)
    scaled = make_plan(
        NAMES,
        0.1,
        key_subset=["text", "audio"],
        costs={k: 100 * v for k, v in costs.items()},
        n_reference=1000,
    )
    assert scaled.skll.n_new_rows_exact == pytest.approx(plan.skll.n_new_rows_exact)
    assert scaled.uniform.n_new_rows_exact == pytest.approx(
        plan.uniform.n_new_rows_exact
    )


def _utilities():
    return {
        frozenset(["text"]): 0.20,
        frozenset(["audio"]): 0.05,
        frozenset(["video"]): 0.10,
        frozenset(["text", "audio"]): 0.25,
        frozenset(["text", "video"]): 0.30,
        frozenset(["audio", "video"]): 0.12,
        frozenset(NAMES): 0.32,
    }


def test_key_chosen_by_utility_with_equal_costs():
    plan = make_plan(NAMES, 0.1, utilities=_utilities(), n_reference=1000)
    # Equal costs: the pair with the largest utility; singletons are not
    # candidates (min_size=2), the full set neither (nothing to generate).
    assert plan.key_subset == ("text", "video")
    assert plan.key_selection == "utility_per_cost"
    frame = plan.to_frame()
    assert frame.loc["skll", "utility"] == pytest.approx(0.30)
    assert frame.loc["skll", "expected_gain"] == pytest.approx(50 * 0.30)
    assert frame.loc["uniform", "expected_gain"] == pytest.approx(100 / 3 * 0.32)


def test_key_chosen_by_utility_per_cost():
    costs = {"text": 1.0, "audio": 1.0, "video": 10.0}
    plan = make_plan(NAMES, 0.1, utilities=_utilities(), costs=costs, n_reference=1000)
    # text+video: 0.30 / 11; text+audio: 0.25 / 2 -> the cheap pair wins.
    assert plan.key_subset == ("text", "audio")
    assert plan.skll.n_new_rows_exact == pytest.approx(0.1 * 1000 * 4 / 2)
    # min_size=1 lets a single cheap modality win.
    single = make_plan(
        NAMES, 0.1, utilities=_utilities(), costs=costs, n_reference=1000, min_size=1
    )
    assert single.key_subset == ("text",)


def test_utilities_as_dataframe_and_given_key_wins():
    table = pd.DataFrame(
        {
            "modalities": [tuple(sorted(k)) for k in _utilities()],
            "utility": list(_utilities().values()),
        }
    )
    plan = make_plan(NAMES, 0.1, utilities=table, n_reference=1000)
    assert plan.key_subset == ("text", "video")
    given = make_plan(
        NAMES, 0.1, key_subset=("audio", "video"), utilities=table, n_reference=1000
    )
    assert given.key_subset == ("audio", "video")
    assert given.key_selection == "given"
    assert given.skll.utility == pytest.approx(0.12)


def test_key_subset_order_follows_modalities():
    plan = make_plan(NAMES, 10, key_subset={"video", "text"})
    assert plan.key_subset == ("text", "video")


def test_plan_without_key_has_no_skll_row():
    plan = make_plan(NAMES, 0.2, n_reference=100)
    assert plan.skll is None
    assert list(plan.to_frame().index) == ["uniform", "full"]
    assert plan.n_new_rows("available_only") == 0
    assert plan.n_new_rows("full") == 20
    with pytest.raises(BudgetError, match="key subset"):
        plan.n_new_rows("skll")


def test_n_new_rows_per_strategy():
    plan = make_plan(NAMES, 0.1, key_subset=["text", "audio"], n_reference=600)
    assert plan.n_new_rows("available_only") == 0
    assert plan.n_new_rows("uniform") == 20
    assert plan.n_new_rows("skll") == plan.n_new_rows("skll_no_generation") == 30
    assert plan.n_new_rows("full") == 60
    with pytest.raises(KeyError, match="Unknown strategy"):
        plan.n_new_rows("random")


def test_plan_is_frozen_and_readable():
    plan = make_plan(NAMES, 0.1, key_subset=["text", "audio"], n_reference=1000)
    assert isinstance(plan, AcquisitionPlan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.budget = 0.2
    text = repr(plan)
    assert "+5.00%" in text and "+3.33%" in text and "generate video" in text
    frame = plan.to_frame()
    assert list(frame.index) == ["skll", "uniform", "full"]
    assert frame.loc["uniform", "n_new_rows"] == 33
    assert frame.loc["skll", "generated"] == ["video"]
    assert plan == make_plan(NAMES, 0.1, key_subset=["text", "audio"], n_reference=1000)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"budget": 0.0, "n_reference": 10}, "budget"),
        ({"budget": -0.1, "n_reference": 10}, "budget"),
        ({"budget": 0, "n_reference": 10}, "budget"),
        ({"budget": 1.5, "n_reference": 10}, r"\(0, 1\]"),
        ({"budget": float("nan"), "n_reference": 10}, "budget"),
        ({"budget": True, "n_reference": 10}, "budget"),
        ({"budget": "10%", "n_reference": 10}, "budget"),
        ({"budget": 0.1}, "n_reference"),
        ({"budget": 0.1, "n_reference": 0}, "n_reference"),
        ({"budget": 5, "costs": {"text": 1, "audio": 1, "video": 0}}, "video"),
        ({"budget": 5, "costs": {"text": 1, "audio": 1, "video": -2}}, "video"),
        ({"budget": 5, "costs": {"text": 1, "audio": 1, "video": np.inf}}, "video"),
        ({"budget": 5, "costs": {"text": 1, "audio": 1}}, "every modality"),
        (
            {"budget": 5, "costs": {"text": 1, "audio": 1, "video": 1, "x": 1}},
            "unknown",
        ),
        ({"budget": 5, "key_subset": ["text", "smell"]}, "key_subset"),
        ({"budget": 5, "key_subset": []}, "key_subset"),
        ({"budget": 5, "utilities": {frozenset(["text", "audio"]): -0.1}}, "positive"),
        ({"budget": 5, "utilities": {frozenset(["smell"]): 0.1}}, "utilities"),
        ({"budget": 5, "utilities": {}, "min_size": 3}, "min_size"),
    ],
)
def test_bad_input_raises_budget_error(kwargs, match):
    with pytest.raises(BudgetError, match=match) as info:
        make_plan(NAMES, **kwargs)
    assert "Got" in str(info.value) and "instead" in str(info.value)


def test_bad_modality_names():
    with pytest.raises(BudgetError, match="unique"):
        make_plan(["a", "a"], 3)
    with pytest.raises(BudgetError, match="non-empty"):
        make_plan([], 3)
