"""Budgets: acquisition plans, the budgeted meta-estimator, the paper's protocol."""

from ._benchmark import BenchmarkResult, run_benchmark
from ._budgeted import BudgetedMultimodalClassifier
from .._plan import STRATEGIES, AcquisitionPlan, StrategyPlan, make_plan
from ._protocol import fast_parts, run_protocol, summarize

__all__ = [
    "AcquisitionPlan",
    "BenchmarkResult",
    "BudgetedMultimodalClassifier",
    "STRATEGIES",
    "StrategyPlan",
    "fast_parts",
    "make_plan",
    "run_benchmark",
    "run_protocol",
    "summarize",
]
