"""Acquisition planning: what new rows should carry, and what a budget buys.

The one home of "what to acquire" for new rows, below the estimators: the
plan arithmetic (:func:`make_plan`), the key rules (:func:`rank_keys`,
:func:`simulate_keys`) and the validation of per-modality costs
(:func:`check_costs`). ``ModalitySelector`` and
``BudgetedMultimodalClassifier`` ask it; ``sklearn_skll.budget`` re-exports
its public names.
"""

from ._costs import check_costs
from ._keys import KEY_MIN_SHARE, KEY_RULES, key_notes, rank_keys, simulate_keys
from ._plan import STRATEGIES, AcquisitionPlan, StrategyPlan, make_plan

__all__ = [
    "KEY_MIN_SHARE",
    "KEY_RULES",
    "STRATEGIES",
    "AcquisitionPlan",
    "StrategyPlan",
    "check_costs",
    "key_notes",
    "make_plan",
    "rank_keys",
    "simulate_keys",
]
