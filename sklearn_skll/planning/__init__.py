"""Acquisition planning: what new rows should carry, and what a budget buys.

The one home of "what to acquire" for new rows, below the estimators: the
plan arithmetic (:func:`make_plan`), the key rules (:func:`rank_keys`,
:func:`simulate_keys`) and the validation of per-modality costs
(:func:`check_costs`) and the rule that turns a recommendation's estimates
into a choice (:func:`decide`). ``ModalitySelector`` and
``BudgetedMultimodalClassifier`` ask it; ``sklearn_skll.budget`` re-exports
its public names.
"""

from ._costs import check_costs
from ._keys import (
    COOPERATION_MIN_SHARE,
    KEY_MIN_SHARE,
    KEY_RULES,
    PLANNING_CONSTRAINTS,
    KeyChoice,
    beats_constant,
    choose_key,
    key_notes,
    rank_keys,
    simulate_keys,
)
from ._plan import STRATEGIES, AcquisitionPlan, StrategyPlan, make_plan
from ._recommend import RECOMMEND_STRATEGIES, decide

__all__ = [
    "COOPERATION_MIN_SHARE",
    "KEY_MIN_SHARE",
    "KEY_RULES",
    "PLANNING_CONSTRAINTS",
    "RECOMMEND_STRATEGIES",
    "STRATEGIES",
    "AcquisitionPlan",
    "KeyChoice",
    "StrategyPlan",
    "beats_constant",
    "check_costs",
    "choose_key",
    "decide",
    "key_notes",
    "make_plan",
    "rank_keys",
    "simulate_keys",
]
