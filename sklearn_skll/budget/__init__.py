"""Budgets: the budgeted meta-estimator, the paper's protocol, the benchmark.

The planning names (plans, key rules) live in :mod:`sklearn_skll.planning`;
they are re-exported here, where they were first published.
"""

from ..planning import (
    KEY_RULES,
    STRATEGIES,
    AcquisitionPlan,
    StrategyPlan,
    make_plan,
    rank_keys,
    simulate_keys,
)
from ._benchmark import BenchmarkResult, run_benchmark
from ._budgeted import BudgetedMultimodalClassifier
from ._protocol import fast_parts, run_protocol, summarize
from ._recommend import Recommendation, recommend

__all__ = [
    "AcquisitionPlan",
    "BenchmarkResult",
    "BudgetedMultimodalClassifier",
    "KEY_RULES",
    "Recommendation",
    "STRATEGIES",
    "StrategyPlan",
    "fast_parts",
    "make_plan",
    "rank_keys",
    "recommend",
    "run_benchmark",
    "run_protocol",
    "simulate_keys",
    "summarize",
]
