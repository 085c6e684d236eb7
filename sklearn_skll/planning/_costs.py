"""The validation of per-modality costs, shared by every estimator that
takes ``costs``."""

import math
import numbers

from ..exceptions import BudgetError

__all__ = ["check_costs"]


def check_costs(costs, names):
    """``costs`` checked against the modality ``names``: a dict name -> float.

    Parameters
    ----------
    costs : dict of str -> float or None
        The cost of one observation of every modality; None means 1 each.
    names : sequence of str
        Every modality, in order.

    Returns
    -------
    costs : dict of str -> float
        In the order of ``names``.

    Raises
    ------
    BudgetError
        When ``costs`` is not a mapping, names an unknown modality, leaves
        one out, or gives a cost that is not a positive finite number.
    """
    if costs is None:
        return {n: 1.0 for n in names}
    if not hasattr(costs, "items"):
        raise BudgetError(
            "`costs` must be a dict mapping every modality to a positive cost. "
            f"Got {type(costs).__name__} instead."
        )
    unknown = [k for k in costs if k not in names]
    if unknown:
        raise BudgetError(
            f"`costs` names unknown modalities {unknown}; the modalities are "
            f"{list(names)}. Got {dict(costs)!r} instead."
        )
    missing = [n for n in names if n not in costs]
    if missing:
        raise BudgetError(
            f"`costs` must give a cost to every modality; {missing} have none. "
            f"Got {dict(costs)!r} instead."
        )
    checked = {}
    for n in names:
        value = costs[n]
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value <= 0:
            raise BudgetError(
                f"The cost of modality `{n}` in `costs` must be a positive finite "
                f"number. Got {value!r} instead."
            )
        checked[n] = float(value)
    return checked
