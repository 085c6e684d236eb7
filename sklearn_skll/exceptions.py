"""Exceptions and warnings raised by :mod:`sklearn_skll`."""

__all__ = ["ModalityError", "BudgetError", "BudgetWarning", "CooperationWarning"]


class ModalityError(ValueError):
    """A ``modalities`` specification or a modality block of ``X`` is invalid.

    Raised when a selector selects nothing, modalities overlap, a column is
    unknown, a modality is partly missing in a row, too few modalities are
    given, or a required modality is never observed. The message names the
    modality and the selector.
    """


class BudgetError(ValueError):
    """A budget, a cost or an acquisition request cannot be satisfied.

    Raised, for instance, when a plan asks for more new rows than the pool
    holds, or when a cost is not positive.
    """


class BudgetWarning(UserWarning):
    """A budget could not be spent as planned (e.g. it buys more rows than the
    pool holds: the whole pool is bought and the rest of the budget is left)."""


class CooperationWarning(UserWarning):
    """A cooperation score C(S) is undefined (its denominator f_u(S) <= 0)."""
