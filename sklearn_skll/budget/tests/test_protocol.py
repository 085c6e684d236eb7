"""Tests for the protocol runner (run_protocol, summarize)."""

import numpy as np
import pytest
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
        X, y, MODS, available=(0.1, 0.3), budgets=(0.1, 0.3),
        strategies=("available_only", "uniform", "skll", "full"), seeds=2,
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
        runs.query("available == 0.3 and budget == 0.1 and strategy == 'full'")
        .accuracy.mean()
    )
    wide = summarize(runs, "f1_macro", layout="wide")
    assert list(wide.columns) == ["available_only", "uniform", "skll", "full"]
    assert "±" in wide.iloc[0, 0]


def test_run_protocol_is_reproducible_and_checks_strategies():
    X, y = _data(n=150)
    kwargs = dict(available=(0.2,), strategies=("uniform", "skll"), seeds=[3],
                  estimator_params=PARAMS)
    a = run_protocol(X, y, MODS, **kwargs)
    b = run_protocol(X, y, MODS, n_jobs=2, **kwargs)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    with pytest.raises(ValueError, match="strategies"):
        run_protocol(X, y, MODS, strategies=("random",), estimator_params=PARAMS)
