"""Simulating a budget on complete rows: who is available, what is bought.

The steps that :class:`~sklearn_skll.BudgetedMultimodalClassifier`, the
paper's protocol (``budget.run_protocol``) and ``budget.recommend`` share:

- :func:`stratified_order`: one order of the rows whose every prefix is
  (nearly) stratified; its first rows are the available ones, the rest the
  pool the budget buys from, in order (common random numbers across
  strategies of one seed);
- :func:`split_available`: the available rows and the pool;
- :func:`plan_budget`: the one code path from a fitted selector (or none) to
  an :class:`~sklearn_skll.AcquisitionPlan`;
- :func:`buy_rows`: the new rows a strategy takes from the pool, and the
  budget left unspent when the pool runs out;
- :func:`hidden_blocks`: which modalities the bought rows lack;
- :class:`FitOnce`: a selector fitted once per rows and parameters within
  one protocol run, and shared by its strategies and budgets.
"""

from numbers import Integral

import joblib
import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..exceptions import BudgetError
from ._plan import make_plan

__all__ = [
    "FitOnce",
    "buy_rows",
    "hidden_blocks",
    "plan_budget",
    "split_available",
    "stratified_order",
]


def stratified_order(y, rng):
    """Order rows so that every prefix is (nearly) stratified by class.

    The first ``n_classes`` rows hold one row of each class; after them, the
    rows of class ``c`` are spread evenly (``(rank + u) / n_c`` with ``u``
    uniform jitter). A prefix is the available part, the rows after it are
    the pool the budget buys from, in order: the uniform rows are a prefix of
    the SK-LL rows, which are a prefix of the upper bound's (common random
    numbers across strategies of one seed).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    rng : numpy.random.RandomState

    Returns
    -------
    order : ndarray of int
        A permutation of ``range(n_samples)``.
    """
    _, y_enc = np.unique(y, return_inverse=True)
    keys = np.empty(y_enc.shape[0])
    first = []
    for c in range(y_enc.max() + 1):
        rows = rng.permutation(np.flatnonzero(y_enc == c))
        keys[rows] = (np.arange(rows.size) + rng.uniform(size=rows.size)) / rows.size
        first.append(rows[0])
    first = rng.permutation(np.asarray(first))
    rest = np.argsort(keys, kind="stable")
    rest = rest[~np.isin(rest, first)]
    return np.concatenate([first, rest])


def split_available(y, available, rng):
    """The available rows (a stratified prefix) and the pool after them.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    available : int or float
        A count of rows, or a fraction of ``n_samples`` in (0, 1).
    rng : numpy.random.RandomState

    Returns
    -------
    available, pool : ndarray of int

    Raises
    ------
    BudgetError
        When the available rows would not hold one row of each class or
        would leave no row in the pool.
    """
    n = y.shape[0]
    if isinstance(available, Integral):
        n_available = int(available)
    else:
        n_available = int(np.floor(available * n + 1e-9))
    n_classes = np.unique(y).size
    if not n_classes <= n_available < n:
        raise BudgetError(
            f"`available` must leave at least one row of each of the "
            f"{n_classes} classes available and some rows in the pool "
            f"({n_classes} to {n - 1} rows of {n}). Got {available!r} "
            f"({n_available} rows) instead."
        )
    order = stratified_order(y, rng)
    return order[:n_available], order[n_available:]


def plan_budget(selector, names, budget, *, costs=None, n_reference=None):
    """The acquisition plan of a budget, from a fitted selector or none.

    A selector with a key rule (``key_subset_`` and ``plan``, as
    :class:`~sklearn_skll.ModalitySelector`) plans itself: its key, with the
    key's criterion, confidence and notes. Another selector gives its
    ``selected_modalities_`` as the key, or, with unequal ``costs``, its
    ``utilities_`` to choose the key by utility per cost. Without a
    selector, the plan has no key (uniform and full rows only).

    Parameters
    ----------
    selector : fitted estimator or None
    names : list of str
        Every modality, in order.
    budget : float or int
        As in :func:`make_plan`.
    costs : dict of str -> float, default=None
    n_reference : int, default=None

    Returns
    -------
    plan : AcquisitionPlan
    """
    if selector is not None and hasattr(selector, "key_subset_"):
        return selector.plan(budget, costs=costs, n_reference=n_reference)
    key, utilities = None, None
    if selector is not None:
        key = list(selector.selected_modalities_)
        if costs is not None and hasattr(selector, "utilities_"):
            # Unequal costs: the key is chosen by utility per cost.
            key, utilities = None, selector.utilities_
    return make_plan(
        names,
        budget,
        key_subset=key,
        utilities=utilities,
        costs=costs,
        n_reference=n_reference,
    )


def buy_rows(plan, strategy, pool):
    """The pool rows ``strategy`` buys, and the cost units it leaves unspent.

    Parameters
    ----------
    plan : AcquisitionPlan
    strategy : str
    pool : ndarray of int
        The pool, in the order rows are bought.

    Returns
    -------
    new : ndarray of int
        The first ``plan.n_new_rows(strategy)`` rows of the pool, or the
        whole pool when the budget buys more than it holds.
    unspent : float
        Cost units the strategy could not spend (0.0 when the pool held
        enough rows).
    spend : float or None
        When the pool ran out, the cost units the strategy would have spent
        (``full`` spends ``|M|`` budgets); None otherwise.
    """
    n_new = plan.n_new_rows(strategy)
    if n_new <= pool.size:
        return pool[:n_new], 0.0, None
    bought = plan[strategy]
    spend = bought.n_new_rows_exact * bought.cost_per_row
    return pool, float(spend - pool.size * bought.cost_per_row), float(spend)


def hidden_blocks(names, key, n_available, n_rows):
    """Which modalities each training row lacks: the bought rows lack every
    modality outside ``key``; the available rows (the first ``n_available``)
    lack none.

    Returns
    -------
    hidden : ndarray of bool of shape (n_rows, len(names))
    """
    hidden = np.zeros((n_rows, len(names)), dtype=bool)
    lacking = [k for k, name in enumerate(names) if name not in key]
    hidden[np.ix_(np.arange(n_available, n_rows), lacking)] = True
    return hidden


#: Fitted selectors of the running protocols, by run token then by input hash.
_SELECTOR_CACHE = {}


class FitOnce(MetaEstimatorMixin, BaseEstimator):
    """A selector fitted once per (rows, labels, parameters) within a protocol.

    Every strategy and budget of one seed and availability fits the selector
    on the same available rows with the same seed, so the fits are identical:
    the first is kept (under ``token``, one protocol run) and reused. Once
    fitted, the wrapper answers for the fitted selector: its public
    attributes and methods (``selected_modalities_``, ``key_subset_``,
    ``plan``) are the selector's.

    Parameters
    ----------
    selector : estimator
    token : str, default=None
        The protocol run the cache entry belongs to; the run removes its
        entries with :func:`forget` when it ends.
    """

    def __init__(self, selector, *, token=None):
        self.selector = selector
        self.token = token

    def fit(self, X, y, **params):
        cache = _SELECTOR_CACHE.setdefault(self.token, {})
        selector = self.selector
        own = selector.get_params(deep=False)
        if "budget" in own and own.get("key") != "simulate":
            # Only the simulated key reads the budget: the fits of every
            # budget of a seed are the same fit.
            selector = clone(selector).set_params(budget=None)
        key = joblib.hash((X, y, params, selector))
        if key not in cache:
            if len(cache) >= 8:
                cache.pop(next(iter(cache)))
            cache[key] = clone(self.selector).fit(X, y, **params)
        self.selector_ = cache[key]
        return self

    def plan(self, *args, **kwargs):
        """The fitted selector's ``plan``."""
        check_is_fitted(self)
        return self.selector_.plan(*args, **kwargs)

    def __getattr__(self, name):
        fitted = self.__dict__.get("selector_")
        if fitted is not None and name.endswith("_") and not name.startswith("__"):
            return getattr(fitted, name)
        raise AttributeError(name)

    @staticmethod
    def forget(token):
        """Drop the fits cached under ``token`` (one protocol run)."""
        _SELECTOR_CACHE.pop(token, None)
