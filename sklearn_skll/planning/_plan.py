"""Acquisition plans: what a data-collection budget buys under each strategy.

The arithmetic of the paper's Section 4.1, with costs made explicit. A budget
``B`` counts *modality-observations in cost units*: a new row carrying the
modality subset ``S`` costs ``cost(S) = sum(costs[m] for m in S)`` (1 per
modality by default), so ``B`` buys ``B / cost(S)`` such rows.

- ``"uniform"`` (the paper's baseline) spreads ``B`` over every modality:
  ``B / cost(M)`` new complete rows.
- ``"skll"`` spends all of ``B`` on the key subset ``S``: ``B / cost(S)`` new
  rows carrying ``S``; the other modalities are generated.
- ``"full"`` (the paper's upper bound) gives every modality its own budget
  ``B``: ``|M| * B / cost(M)`` new complete rows.

With three equal-cost modalities and ``B = 10 %`` of the training rows this is
the paper's example: uniform buys +3.33 % complete rows, a key pair +5 % pairs
(the third modality generated), the upper bound +10 % complete rows.
"""

import math
import numbers
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np
import pandas as pd

from .._compat import Interval, validate_params
from .._modalities import check_modality_name
from .._persist import from_portable, to_portable
from ..exceptions import BudgetError
from ._costs import check_costs

__all__ = ["AcquisitionPlan", "StrategyPlan", "make_plan", "STRATEGIES"]

#: Every strategy a plan answers for, in the order of the paper's Table 2.
STRATEGIES = ("available_only", "uniform", "skll", "skll_no_generation", "full")

# Tolerance for flooring row counts: 0.3 * 1000 is 300.00000000000006.
_FLOOR_EPS = 1e-9


@dataclass(frozen=True)
class StrategyPlan:
    """The new rows one strategy buys.

    Attributes
    ----------
    strategy : str
        ``"skll"``, ``"uniform"`` or ``"full"``.
    modalities : tuple of str
        Modalities each new row carries (collected).
    generated : tuple of str
        Modalities each new row lacks, to be generated (empty for complete rows).
    cost_per_row : float
        ``sum(costs[m] for m in modalities)``.
    n_new_rows_exact : float
        Budget divided by the cost per row (the paper's arithmetic).
    n_new_rows : int
        ``floor(n_new_rows_exact)``: the rows one can actually collect.
    fraction : float or None
        ``n_new_rows_exact / n_reference``, or None without ``n_reference``.
    total_cost : float
        ``n_new_rows * cost_per_row``: what the integer rows cost.
    utility : float or None
        ``f_u`` of ``modalities`` when a utility table was given.
    expected_gain : float or None
        ``n_new_rows_exact * utility``: the first-order value of the rows, in
        "rows times utility" (comparable across strategies of one plan).
    """

    strategy: str
    modalities: tuple
    generated: tuple
    cost_per_row: float
    n_new_rows_exact: float
    n_new_rows: int
    fraction: float | None
    total_cost: float
    utility: float | None = None
    expected_gain: float | None = None


@dataclass(frozen=True)
class AcquisitionPlan:
    """What a budget buys under the uniform, SK-LL and upper-bound strategies.

    Build it with :func:`make_plan` (or ``ModalitySelector.plan``). Frozen:
    a plan is a record of a decision.

    Attributes
    ----------
    modality_names : tuple of str
        Every modality, in order.
    costs : tuple of (str, float)
        Cost of one observation of each modality.
    budget : float or int
        The budget as given: a fraction of ``n_reference`` (float in (0, 1])
        or an absolute number of cost units (int >= 1).
    budget_cost : float
        The budget ``B`` in cost units.
    n_reference : int or None
        The row count fractions refer to (the training size).
    key_subset : tuple of str or None
        The key subset SK-LL collects; None when no key was given or chosen.
    key_selection : {"given", "utility_per_cost"} or None
        How the key subset was decided.
    uniform, full : StrategyPlan
        New complete rows of the paper's baseline and upper bound.
    skll : StrategyPlan or None
        New rows carrying the key subset (None without a key subset).
    key_rule : str or None
        The key rule that chose the key (``"paper"``, ``"gain_per_cost"``,
        ``"simulate"``) when the plan came from a selector.
    key_candidates : DataFrame or None
        Every candidate key with its criterion, utility, share of the full
        utility and probability of being the best.
    key_confidence : float or None
        Probability that the key is the best candidate (paired bootstrap).
    notes : tuple of str
        What to know about the key, in words.
    """

    modality_names: tuple
    costs: tuple
    budget: float
    budget_cost: float
    n_reference: int | None
    key_subset: tuple | None
    key_selection: str | None
    uniform: StrategyPlan
    skll: StrategyPlan | None
    full: StrategyPlan
    key_rule: str | None = None
    key_candidates: pd.DataFrame | None = field(default=None, compare=False)
    key_confidence: float | None = None
    notes: tuple = ()

    def __getstate__(self):
        # the candidates DataFrame as plain data (skops cannot store pandas)
        return to_portable(dict(self.__dict__))

    def __setstate__(self, state):
        for name, value in from_portable(dict(state)).items():
            object.__setattr__(self, name, value)

    def with_key_details(self, *, rule, candidates=None, confidence=None, notes=()):
        """A copy with the key rule, its candidates, confidence and notes.

        Parameters
        ----------
        rule : str
        candidates : DataFrame, default=None
        confidence : float, default=None
        notes : sequence of str, default=()

        Returns
        -------
        plan : AcquisitionPlan
        """
        return replace(
            self,
            key_rule=rule,
            key_candidates=candidates,
            key_confidence=None if confidence is None else float(confidence),
            notes=tuple(notes),
        )

    def _key_row(self):
        """The candidate row of the key in ``key_candidates`` (or None)."""
        c = self.key_candidates
        if c is None or self.key_subset is None or "modalities" not in c:
            return None
        match = c[c["modalities"].map(frozenset) == frozenset(self.key_subset)]
        return None if match.empty else match.iloc[0]

    @property
    def cost_dict(self):
        """Costs as a ``dict`` modality -> cost."""
        return dict(self.costs)

    def n_new_rows(self, strategy):
        """Integer number of new rows ``strategy`` collects.

        Parameters
        ----------
        strategy : {"available_only", "uniform", "skll", "skll_no_generation", "full"}
            ``"available_only"`` collects nothing; ``"skll_no_generation"``
            collects the rows of ``"skll"`` (and generates nothing).

        Returns
        -------
        n_new_rows : int
        """
        return 0 if strategy == "available_only" else self[strategy].n_new_rows

    def __getitem__(self, strategy):
        if strategy in ("skll", "skll_no_generation"):
            if self.skll is None:
                raise BudgetError(
                    f"This plan has no key subset, so strategy `{strategy}` is "
                    "undefined; pass `key_subset` or `utilities` to make_plan. "
                    "Got key_subset=None instead."
                )
            return self.skll
        if strategy in ("uniform", "full"):
            return getattr(self, strategy)
        raise KeyError(
            f"Unknown strategy {strategy!r}; a plan answers for {list(STRATEGIES[1:])}."
        )

    def to_frame(self):
        """One row per strategy (skll, uniform, full) as a DataFrame.

        Returns
        -------
        frame : DataFrame
            Index ``strategy``; columns ``modalities``, ``generated``,
            ``cost_per_row``, ``n_new_rows_exact``, ``n_new_rows``,
            ``fraction``, ``total_cost``, and ``utility`` and
            ``expected_gain`` when a utility table was given. A plan from a
            selector adds, on the skll row, ``key_rule``, ``criterion``,
            ``criterion_value``, ``share_of_full`` and ``p_best``; its
            ``attrs["notes"]`` holds the notes in words.
        """
        rows = [p for p in (self.skll, self.uniform, self.full) if p is not None]
        frame = pd.DataFrame(
            {
                "modalities": [list(p.modalities) for p in rows],
                "generated": [list(p.generated) for p in rows],
                "cost_per_row": [p.cost_per_row for p in rows],
                "n_new_rows_exact": [p.n_new_rows_exact for p in rows],
                "n_new_rows": [p.n_new_rows for p in rows],
                "fraction": [
                    np.nan if p.fraction is None else p.fraction for p in rows
                ],
                "total_cost": [p.total_cost for p in rows],
            },
            index=pd.Index([p.strategy for p in rows], name="strategy"),
        )
        if any(p.utility is not None for p in rows):
            frame["utility"] = [
                np.nan if p.utility is None else p.utility for p in rows
            ]
            frame["expected_gain"] = [
                np.nan if p.expected_gain is None else p.expected_gain for p in rows
            ]
        row = self._key_row()
        if row is not None:
            frame["key_rule"] = [
                self.key_rule if p.strategy == "skll" else None for p in rows
            ]
            value = row.get("value", row.get("score", np.nan))
            for col, v in (
                ("criterion", row.get("criterion")),
                ("criterion_value", value),
                ("share_of_full", row.get("share_of_full", np.nan)),
                ("p_best", row.get("p_best", np.nan)),
            ):
                frame[col] = [
                    v
                    if p.strategy == "skll"
                    else (None if col == "criterion" else np.nan)
                    for p in rows
                ]
        frame.attrs["notes"] = list(self.notes)
        return frame

    def __repr__(self):
        costs = self.cost_dict
        equal = len(set(costs.values())) == 1
        cost_text = (
            f"{_num(next(iter(costs.values())))} per modality"
            if equal
            else ", ".join(f"{k}={_num(v)}" for k, v in costs.items())
        )
        if isinstance(self.budget, numbers.Integral):
            budget_text = f"budget={self.budget} cost units"
        else:
            budget_text = (
                f"budget={self.budget:g} of n_reference={self.n_reference} rows "
                f"= {_num(self.budget_cost)} cost units"
            )
        lines = [f"AcquisitionPlan({budget_text}; costs: {cost_text})"]
        for p in (self.skll, self.uniform, self.full):
            if p is None:
                continue
            frac = "" if p.fraction is None else f" (+{100 * p.fraction:.2f}%)"
            what = "+".join(p.modalities)
            gen = f", generate {'+'.join(p.generated)}" if p.generated else ""
            lines.append(
                f"  {p.strategy:<8} {_num(p.n_new_rows_exact)} rows{frac} -> "
                f"{p.n_new_rows} rows of {what}{gen}; "
                f"{_num(p.cost_per_row)} per row, total {_num(p.total_cost)}"
            )
        if self.key_selection == "utility_per_cost":
            lines.append("  key subset chosen by utility per cost")
        row = self._key_row()
        if row is not None:
            value = row.get("value", row.get("score", np.nan))
            text = (
                f"  key by rule {self.key_rule!r}: {row.get('criterion')} "
                f"{_num(float(value))}, utility {_num(float(row['utility']))}"
            )
            share = row.get("share_of_full", np.nan)
            if np.isfinite(share):
                text += f", {100 * share:.0f} % of the full utility"
            if self.key_confidence is not None and np.isfinite(self.key_confidence):
                text += f", best in {100 * self.key_confidence:.0f} % of replicates"
            lines.append(text)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _num(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _floor(value):
    return int(math.floor(value + _FLOOR_EPS))


def _check_names(modality_names):
    names = list(modality_names)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise BudgetError(
            "`modality_names` must be a non-empty sequence of non-empty strings. "
            f"Got {names!r} instead."
        )
    if len(set(names)) != len(names):
        raise BudgetError(f"`modality_names` must be unique. Got {names!r} instead.")
    for name in names:
        check_modality_name(name, "modality_names", error=BudgetError)
    return tuple(names)


def _check_budget(budget, n_reference, mean_cost):
    """Return the budget in cost units."""
    if isinstance(budget, bool) or not isinstance(budget, numbers.Real):
        raise BudgetError(
            "`budget` must be a float in (0, 1] (a fraction of `n_reference`) or "
            f"an int >= 1 (cost units). Got {budget!r} instead."
        )
    if n_reference is not None:
        if (
            isinstance(n_reference, bool)
            or not isinstance(n_reference, numbers.Integral)
            or n_reference < 1
        ):
            raise BudgetError(
                "`n_reference` must be a positive int (the number of training "
                f"rows fractions refer to). Got {n_reference!r} instead."
            )
    if isinstance(budget, numbers.Integral):
        if budget < 1:
            raise BudgetError(
                "An absolute `budget` must be an int >= 1 (cost units). "
                f"Got {budget!r} instead."
            )
        return float(budget)
    if not math.isfinite(budget) or not 0 < budget <= 1:
        raise BudgetError(
            "A float `budget` is a fraction of `n_reference` and must lie in "
            "(0, 1]; pass an int for an absolute number of cost units. "
            f"Got {budget!r} instead."
        )
    if n_reference is None:
        raise BudgetError(
            f"A fractional `budget` ({budget!r}) needs `n_reference`, the number "
            "of rows it is a fraction of. Got n_reference=None instead."
        )
    return float(budget) * n_reference * mean_cost


def _check_subset(subset, names, param):
    if isinstance(subset, str):
        subset = [subset]
    try:
        members = list(subset)
    except TypeError:
        raise BudgetError(
            f"`{param}` must be a collection of modality names. Got {subset!r} instead."
        ) from None
    unknown = [m for m in members if m not in names]
    if not members or unknown or len(set(members)) != len(members):
        raise BudgetError(
            f"`{param}` must be a non-empty set of distinct modalities among "
            f"{list(names)}. Got {members!r} instead."
        )
    # Keep the order of the modalities, not the order given.
    return tuple(n for n in names if n in set(members))


def _utility_table(utilities, names):
    """Normalize ``utilities`` to ``dict frozenset -> float``."""
    if utilities is None:
        return None
    if isinstance(utilities, pd.DataFrame):
        if not {"modalities", "utility"} <= set(utilities.columns):
            raise BudgetError(
                "A DataFrame `utilities` needs the columns 'modalities' and "
                f"'utility'. Got columns {list(utilities.columns)} instead."
            )
        items = zip(utilities["modalities"], utilities["utility"])
    elif hasattr(utilities, "items"):
        items = utilities.items()
    else:
        raise BudgetError(
            "`utilities` must be a dict frozenset(modalities) -> utility, or a "
            "DataFrame with 'modalities' and 'utility' columns. Got "
            f"{type(utilities).__name__} instead."
        )
    table = {}
    for key, value in items:
        subset = frozenset(_check_subset(key, names, "utilities"))
        table[subset] = float(value)
    return table


def _choose_key(table, names, costs, min_size):
    """The key subset: largest utility per unit cost among the candidates."""
    m = len(names)
    low = min(2, m - 1) if min_size is None else min_size
    if not 1 <= low <= max(m - 1, 1):
        raise BudgetError(
            f"`min_size` must lie in [1, {max(m - 1, 1)}] for {m} modalities. "
            f"Got {min_size!r} instead."
        )
    best, best_key = None, None
    for size in range(low, max(m - 1, 1) + 1):
        for subset in combinations(names, size):
            f_u = table.get(frozenset(subset))
            if f_u is None or not np.isfinite(f_u) or f_u <= 0:
                continue
            cost = sum(costs[n] for n in subset)
            # Ties: larger utility, then cheaper, then earlier in modality order.
            key = (f_u / cost, f_u, -cost)
            if best is None or key > best:
                best, best_key = key, subset
    if best_key is None:
        raise BudgetError(
            f"No candidate key subset (sizes {low} to {max(m - 1, 1)}) has a "
            "positive finite utility in `utilities`; nothing is worth the budget. "
            f"Got utilities { ({tuple(sorted(k)): v for k, v in table.items()}) } "
            "instead."
        )
    return best_key


@validate_params(
    {
        "modality_names": ["array-like"],
        "key_subset": ["array-like", None],
        "utilities": [dict, pd.DataFrame, None],
        "costs": [dict, None],
        "min_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def make_plan(
    modality_names,
    budget,
    *,
    key_subset=None,
    utilities=None,
    costs=None,
    n_reference=None,
    min_size=None,
):
    """Turn a data-collection budget into an acquisition plan.

    Parameters
    ----------
    modality_names : sequence of str
        Every modality, in order.
    budget : float or int
        A float in (0, 1] is a fraction of ``n_reference``: the money that
        buys ``budget * n_reference`` modality-observations at the *average*
        modality cost, ``B = budget * n_reference * mean(costs)`` cost units.
        An int >= 1 is ``B`` itself, in the units of ``costs`` (with the
        default unit costs: a number of modality-observations).
    key_subset : collection of str, default=None
        The key subset SK-LL collects (e.g. ``selector.selected_modalities_``).
        When None, it is chosen from ``utilities``; without either, the plan
        has no ``skll`` row.
    utilities : dict or DataFrame, default=None
        Utility ``f_u(S)`` of modality subsets: a dict ``frozenset -> float``,
        or a DataFrame with columns ``modalities`` and ``utility`` (the
        selector's ``utilities_``). Used to choose the key subset when
        ``key_subset`` is None, and to report ``utility`` and
        ``expected_gain`` per strategy.
    costs : dict of str -> float, default=None
        Cost of one observation of each modality (every modality, positive).
        None means 1 each.
    n_reference : int, default=None
        The number of rows fractions refer to (the training size). Needed for
        a fractional budget; without it, ``fraction`` is None.
    min_size : int, default=None
        The smallest key subset considered when choosing from ``utilities``.
        None means 2 (1 with two modalities).

    Returns
    -------
    plan : AcquisitionPlan

    Raises
    ------
    InvalidParameterError
        On an argument of the wrong type (a subclass of ``ValueError`` and
        ``TypeError``).
    BudgetError
        On a non-positive budget, a fractional budget without
        ``n_reference``, an unknown, missing, non-positive or non-finite cost,
        a key subset outside the modalities, or a utility table where no
        candidate has a positive utility.

    Notes
    -----
    Row counts (the paper's Section 4.1, with costs):

    - uniform: ``B / cost(M)`` new complete rows;
    - skll: ``B / cost(S)`` new rows carrying the key subset ``S``;
    - full: ``|M| * B / cost(M)`` new complete rows (each modality its own
      budget ``B``).

    ``n_new_rows_exact`` keeps the exact quotient, ``n_new_rows`` its floor.
    A fractional budget is scaled by the mean cost so that only *relative*
    costs matter (multiplying every cost by 100 changes nothing) and the
    uniform and full row counts stay the paper's ``budget / |M|`` and
    ``budget`` whatever the costs: cheap key subsets buy more rows, expensive
    ones fewer.

    Choosing the key subset from ``utilities`` (when ``key_subset`` is None):
    each new row carrying ``S`` is valued, to first order, by the utility
    ``f_u(S)`` it brings, so the budget's expected gain is
    ``n_rows(S) * f_u(S) = B * f_u(S) / cost(S)``. The key subset maximizes
    this *utility per unit cost* over the proper subsets with at least
    ``min_size`` modalities (two by default, as in the paper: the key should
    hold a cross-modal interaction and leave something to generate). Ties go
    to the larger utility, then the cheaper subset, then modality order.
    With equal costs and three modalities this is the pair with the largest
    utility. Compare ``expected_gain`` of ``skll`` and ``uniform`` in
    :meth:`AcquisitionPlan.to_frame`: when the uniform row's is larger, the
    first-order model says the budget is better spent on complete rows
    (generated modalities carry no new information, so this model is a
    lower bound on SK-LL's gain).

    Examples
    --------
    >>> from sklearn_skll.budget import make_plan
    >>> plan = make_plan(["text", "audio", "video"], 0.1, key_subset=["text", "audio"],
    ...                  n_reference=1200)
    >>> plan.uniform.n_new_rows_exact, plan.skll.n_new_rows_exact, plan.full.n_new_rows
    (40.0, 60.0, 120)
    >>> round(100 * plan.uniform.fraction, 2), round(100 * plan.skll.fraction, 2)
    (3.33, 5.0)
    """
    names = _check_names(modality_names)
    cost = check_costs(costs, names)
    mean_cost = float(np.mean(list(cost.values())))
    budget_cost = _check_budget(budget, n_reference, mean_cost)
    table = _utility_table(utilities, names)

    if key_subset is not None:
        key, selection = _check_subset(key_subset, names, "key_subset"), "given"
    elif table is not None:
        key = _choose_key(table, names, cost, min_size)
        selection = "utility_per_cost"
    else:
        key, selection = None, None

    def strategy(name, members, n_exact):
        members = tuple(members)
        per_row = float(sum(cost[n] for n in members))
        n_rows = _floor(n_exact)
        f_u = None if table is None else table.get(frozenset(members))
        return StrategyPlan(
            strategy=name,
            modalities=members,
            generated=tuple(n for n in names if n not in members),
            cost_per_row=per_row,
            n_new_rows_exact=float(n_exact),
            n_new_rows=n_rows,
            fraction=None if n_reference is None else n_exact / n_reference,
            total_cost=n_rows * per_row,
            utility=f_u,
            expected_gain=None if f_u is None else n_exact * f_u,
        )

    cost_all = sum(cost.values())
    uniform = strategy("uniform", names, budget_cost / cost_all)
    full = strategy("full", names, len(names) * budget_cost / cost_all)
    skll = None
    if key is not None:
        skll = strategy("skll", key, budget_cost / sum(cost[n] for n in key))
    return AcquisitionPlan(
        modality_names=names,
        costs=tuple(cost.items()),
        budget=budget,
        budget_cost=budget_cost,
        n_reference=n_reference,
        key_subset=key,
        key_selection=selection,
        uniform=uniform,
        skll=skll,
        full=full,
    )
