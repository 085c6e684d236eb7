"""The one validation of per-modality costs.

Every entry point that takes ``costs`` (:func:`make_plan`, the key rules,
:meth:`ModalitySelector.plan <sklearn_skll.ModalitySelector.plan>` and
``fit``, :class:`~sklearn_skll.BudgetedMultimodalClassifier`,
:class:`~sklearn_skll.acquisition.AcquisitionRanker`, the command line)
checks them here before using them, with one rule: ``costs=None`` means 1
for every modality; a dict must give every modality a positive finite
number, and naming an unknown modality is an error. Every failure is a
:class:`~sklearn_skll.BudgetError` that names the modality.
"""

import math
import numbers

from ..exceptions import BudgetError

__all__ = ["DEFAULT_COST", "check_costs"]

#: The cost of one observation of every modality when ``costs`` is None.
DEFAULT_COST = 1.0


def _describe(value):
    return f"{value!r} (a {type(value).__name__})"


def check_costs(costs, names, *, param="costs"):
    """``costs`` checked against the modality ``names``: a dict name -> float.

    Parameters
    ----------
    costs : dict of str -> float or None
        The cost of one observation of every modality; None means
        :data:`DEFAULT_COST` (1) each.
    names : sequence of str
        Every modality, in order.
    param : str, default="costs"
        The parameter name used in messages.

    Returns
    -------
    costs : dict of str -> float
        In the order of ``names``.

    Raises
    ------
    BudgetError
        When ``costs`` is not a mapping, is empty, names an unknown modality,
        leaves one out, or gives a cost that is not a positive finite number
        (a string such as ``"3"`` included).

    Examples
    --------
    >>> from sklearn_skll.planning import check_costs
    >>> check_costs(None, ["mri", "pet"])
    {'mri': 1.0, 'pet': 1.0}
    >>> check_costs({"pet": 5, "mri": 2}, ["mri", "pet"])
    {'mri': 2.0, 'pet': 5.0}
    >>> check_costs({"pet": 5}, ["mri", "pet"])
    Traceback (most recent call last):
    ...
    sklearn_skll.exceptions.BudgetError: `costs` must give a cost to every modality; modality `mri` has none (None gives every modality a cost of 1). Got {'pet': 5} instead.
    """  # noqa: E501
    names = list(names)
    if costs is None:
        return {n: DEFAULT_COST for n in names}
    if not hasattr(costs, "items") or isinstance(costs, type):
        raise BudgetError(
            f"`{param}` must be a dict mapping every modality ({names}) to a "
            "positive cost, or None for a cost of 1 each. Got "
            f"{type(costs).__name__} instead."
        )
    given = dict(costs.items())
    if not given:
        raise BudgetError(
            f"`{param}` is empty: give every modality ({names}) a cost, or pass "
            "None for a cost of 1 each. Got {} instead."
        )
    unknown = [k for k in given if k not in names]
    if unknown:
        raise BudgetError(
            f"`{param}` names unknown modalities {unknown}; the modalities are "
            f"{names}. Got {given!r} instead."
        )
    missing = [n for n in names if n not in given]
    if missing:
        which = (
            f"modality `{missing[0]}` has none"
            if len(missing) == 1
            else "modalities " + ", ".join(f"`{n}`" for n in missing) + " have none"
        )
        raise BudgetError(
            f"`{param}` must give a cost to every modality; {which} (None "
            f"gives every modality a cost of 1). Got {given!r} instead."
        )
    checked = {}
    for n in names:
        value = given[n]
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not number:
            raise BudgetError(
                f"The cost of modality `{n}` in `{param}` must be a number. Got "
                f"{_describe(value)} instead."
            )
        if not math.isfinite(value) or value <= 0:
            raise BudgetError(
                f"The cost of modality `{n}` in `{param}` must be a positive "
                f"finite number. Got {value!r} instead."
            )
        checked[n] = float(value)
    return checked
