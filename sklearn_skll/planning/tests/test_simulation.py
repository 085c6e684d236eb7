"""The budget simulation's steps: available rows, pool, rows bought."""

import numpy as np
import pytest

from sklearn_skll.exceptions import BudgetError
from sklearn_skll.planning import make_plan
from sklearn_skll.planning._simulation import (
    buy_rows,
    hidden_blocks,
    split_available,
    stratified_order,
)


def test_every_prefix_of_the_order_is_stratified():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    order = stratified_order(y, np.random.RandomState(0))
    assert sorted(order) == list(range(100))
    assert set(y[order[:3]]) == {0, 1, 2}
    for n in (10, 40, 70):
        counts = np.bincount(y[order[:n]], minlength=3) / n
        np.testing.assert_allclose(counts, [0.5, 0.3, 0.2], atol=1.5 / n + 0.02)


def test_split_available_counts_and_checks():
    y = np.repeat([0, 1], 20)
    available, pool = split_available(y, 0.25, np.random.RandomState(0))
    assert available.size == 10 and pool.size == 30
    assert not set(available) & set(pool)
    assert split_available(y, 7, np.random.RandomState(0))[0].size == 7
    with pytest.raises(BudgetError, match="`available`"):
        split_available(y, 1, np.random.RandomState(0))
    with pytest.raises(BudgetError, match="`available`"):
        split_available(y, 40, np.random.RandomState(0))


def test_buy_rows_spends_the_plan_and_reports_what_the_pool_lacks():
    plan = make_plan(["a", "b", "c"], 0.3, key_subset=["a", "b"], n_reference=100)
    pool = np.arange(100, 200)
    new, unspent, spend = buy_rows(plan, "skll", pool)
    assert new.tolist() == list(range(100, 115)) and unspent == 0 and spend is None
    assert buy_rows(plan, "available_only", pool)[0].size == 0
    new, unspent, spend = buy_rows(plan, "full", pool[:20])
    assert new.size == 20
    assert spend == pytest.approx(90.0) and unspent == pytest.approx(90.0 - 60.0)


def test_hidden_blocks_hide_what_the_key_lacks_on_bought_rows_only():
    hidden = hidden_blocks(["a", "b", "c"], ("a", "c"), 2, 4)
    assert hidden.tolist() == [[False] * 3] * 2 + [[False, True, False]] * 2
