"""Budgets: acquisition plans, the budgeted meta-estimator, the paper's protocol."""

from .._keys import KEY_RULES, rank_keys, simulate_keys
from .._plan import STRATEGIES, AcquisitionPlan, StrategyPlan, make_plan
from ._benchmark import BenchmarkResult, run_benchmark
from ._budgeted import BudgetedMultimodalClassifier
from ._protocol import fast_parts, run_protocol, summarize

__all__ = [
    "AcquisitionPlan",
    "BenchmarkResult",
    "BudgetedMultimodalClassifier",
    "KEY_RULES",
    "STRATEGIES",
    "StrategyPlan",
    "fast_parts",
    "make_plan",
    "rank_keys",
    "run_benchmark",
    "run_protocol",
    "simulate_keys",
    "summarize",
]
