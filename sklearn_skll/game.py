"""Cooperative-game quantities over a table of modality-subset utilities.

Every function here is pure numpy: it takes a *utility* ``f_u`` that maps a
coalition of players (a ``frozenset`` of modality names) to a number, with
``f_u(frozenset()) = 0``, and trains nothing. The utility is either

- a mapping ``frozenset -> float`` (a missing empty set counts as 0), or
- a callable taking a **list** of ``frozenset`` and returning one utility per
  subset. Functions call it in batches (all subsets one step needs at once)
  and never twice for the same subset, so the caller can evaluate a batch in
  parallel and only the subsets actually needed get evaluated.

Results are in the order of ``players``; when ``players`` is not given it is
the sorted union of the mapping's keys.

References
----------
.. [1] L. S. Shapley, "A value for n-person games", 1953.
.. [2] M. Grabisch and M. Roubens, "An axiomatic approach to the concept of
   interaction among players in cooperative games", 1999.
.. [3] "Select the Key, then Generate the Rest" (SK-LL), Section 3.2,
   Eq. 1-4 and Algorithm 1.
.. [4] X. He et al., "Efficient modality selection in multimodal learning",
   JMLR 2024 (marginal-gain greedy selection).
"""

import math
import numbers
import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.utils import check_random_state

from ._compat import Interval, StrOptions, validate_params
from .exceptions import CooperationWarning

__all__ = [
    "shapley_values",
    "scaled_shapley_values",
    "cooperation_scores",
    "interaction_index",
    "greedy_selection",
    "PermutationSample",
]

#: Largest number of players for which ``method="auto"`` is exact (2**12
#: subsets).
MAX_EXACT_PLAYERS = 12


def _as_utility(utility, players=None):
    if isinstance(utility, _Utility):
        if players is not None and list(players) != utility.players:
            return _Utility(utility.get, players)
        return utility
    return _Utility(utility, players)


class _Utility:
    """Cached access to a utility given as a mapping or a batch callable."""

    def __init__(self, utility, players=None):
        if isinstance(utility, Mapping):
            self._table = {frozenset(k): float(v) for k, v in utility.items()}
            self._func = None
            if players is None:
                players = sorted(set().union(*self._table)) if self._table else []
        elif callable(utility):
            self._table = {}
            self._func = utility
            if players is None:
                raise ValueError(
                    "`players` is required when `utility` is a callable. "
                    "Got players=None instead."
                )
        else:
            raise TypeError(
                "`utility` must be a mapping frozenset -> float or a callable "
                "taking a list of frozensets. Got "
                f"{type(utility).__name__} instead."
            )
        players = list(players)
        if len(set(players)) != len(players):
            raise ValueError(f"`players` must be unique. Got {players} instead.")
        self.players = players
        self._table.setdefault(frozenset(), 0.0)
        self.n_calls = 0

    def get(self, subsets):
        """Utilities of ``subsets`` (a list of frozensets), as an ndarray."""
        subsets = [frozenset(s) for s in subsets]
        todo = list(dict.fromkeys(s for s in subsets if s not in self._table))
        if todo:
            if self._func is None:
                shown = sorted(todo[0])
                raise KeyError(
                    f"The utility table has no entry for subset {shown} "
                    f"({len(todo)} subsets missing). Got a table of "
                    f"{len(self._table) - 1} non-empty subsets instead."
                )
            values = np.asarray(self._func(todo), dtype=float).reshape(-1)
            if values.shape[0] != len(todo):
                raise ValueError(
                    f"The utility callable must return one value per subset "
                    f"({len(todo)}). Got {values.shape[0]} values instead."
                )
            self.n_calls += 1
            self._table.update(zip(todo, values.tolist()))
        return np.array([self._table[s] for s in subsets], dtype=float)

    def table_by_mask(self):
        """Utility of every subset, indexed by bit mask over ``players``."""
        n = len(self.players)
        masks = np.arange(2**n)
        subsets = [self.subset(mask) for mask in masks.tolist()]
        return self.get(subsets)

    def subset(self, mask):
        return frozenset(p for k, p in enumerate(self.players) if mask >> k & 1)


def _popcount(masks, n):
    bits = (masks[:, None] >> np.arange(n)) & 1
    return bits.sum(axis=1)


@validate_params(
    {
        "utility": [Mapping, callable],
        "players": ["array-like", None],
        "method": [StrOptions({"auto", "exact", "permutation"})],
        "n_permutations": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "return_std": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def shapley_values(
    utility,
    players=None,
    *,
    method="auto",
    n_permutations=None,
    random_state=None,
    return_std=False,
):
    r"""Shapley value of every player (Eq. 1 of the SK-LL paper).

    .. math::

        \phi_j = \sum_{S \subseteq M \setminus \{j\}}
        \frac{|S|!\,(m - |S| - 1)!}{m!}\,\bigl(f_u(S \cup \{j\}) - f_u(S)\bigr)

    The values sum to ``f_u(all players)``.

    Parameters
    ----------
    utility : mapping or callable
        ``frozenset -> float`` table, or a callable taking a list of
        frozensets and returning their utilities (see the module docstring).
    players : sequence of str, default=None
        Player order of the result. Required with a callable utility.
    method : {"auto", "exact", "permutation"}, default="auto"
        ``"exact"`` enumerates all 2**m subsets; ``"permutation"`` averages
        marginal contributions over random player orders drawn in antithetic
        pairs, an order and its reverse (Castro et al., 2009; see
        :class:`PermutationSample`), and asks a callable utility for all
        their coalitions in one batch. ``"auto"`` is exact for up to 12
        players.
    n_permutations : int, default=None
        Number of orders for ``"permutation"`` (rounded up to whole pairs);
        default ``max(100, 20 * m)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations.
    return_std : bool, default=False
        Also return the standard error of each estimate (zeros when exact;
        for permutations, from the spread of the pairs' means).

    Returns
    -------
    values : ndarray of shape (n_players,)
    std : ndarray of shape (n_players,)
        Only when ``return_std=True``.

    Examples
    --------
    >>> from sklearn_skll.game import shapley_values
    >>> f = {frozenset("a"): 0.2, frozenset("b"): 0.1, frozenset("ab"): 0.5}
    >>> shapley_values(f).round(3)
    array([0.3, 0.2])
    """
    u = _as_utility(utility, players)
    n = len(u.players)
    if method == "auto":
        method = "exact" if n <= MAX_EXACT_PLAYERS else "permutation"
    if n == 0:
        values = np.zeros(0)
        return (values, values.copy()) if return_std else values
    if method == "exact":
        values = _exact_shapley(u.table_by_mask(), n)
        return (values, np.zeros(n)) if return_std else values
    values, std = _permutation_shapley(u, n_permutations, random_state)
    return (values, std) if return_std else values


def _exact_shapley(v, n):
    """Exact values from utilities by bit mask; ``v`` may hold several games.

    ``v`` of shape (2**n,) gives (n,); (2**n, n_games) gives (n, n_games)
    (each column a game, e.g. a bootstrap replicate of the table).
    """
    masks = np.arange(2**n)
    sizes = _popcount(masks, n)
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=float)
    weight = fact[:n] * fact[n - 1 :: -1] / fact[n]  # weight[s] for |S| = s
    values = np.empty((n, *v.shape[1:]))
    for j in range(n):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        delta = v[without | bit] - v[without]
        if v.ndim == 1:
            values[j] = np.sum(weight[sizes[without]] * delta)
        else:
            values[j] = weight[sizes[without]] @ delta
    return values


def _permutation_shapley(u, n_permutations, random_state):
    n = len(u.players)
    if n_permutations is None:
        n_permutations = max(100, 20 * n)
    if not isinstance(n_permutations, numbers.Integral) or n_permutations < 1:
        raise ValueError(
            f"`n_permutations` must be a positive int. Got {n_permutations!r} instead."
        )
    sample = PermutationSample(n, n_permutations, random_state)
    v = u.get(sample.subsets(u.players))  # every coalition in one batch
    return sample.estimate(v)


class PermutationSample:
    """Antithetic pairs of random player orders, and what they estimate.

    Each pair is an order and its reverse; the coalitions an order visits are
    its prefixes. The Shapley value of a player is estimated by the mean of
    its marginal contributions over the orders (Castro et al., 2009), whose
    standard error comes from the spread of the pairs' means (the two orders
    of a pair are not independent; the pairs are). An order and its reverse
    see each player once with few others and once with many, the two ends
    where the Shapley weights lie, which lowers the estimate's variance
    where the game is nearly additive. The contributions of every order add
    up to ``f_u(all players)``, so the estimates do too.

    Parameters
    ----------
    n_players : int
    n_permutations : int
        Orders to draw; rounded up to an even number (whole pairs).
    random_state : int, RandomState instance or None
        Seeds the orders.

    Attributes
    ----------
    masks : ndarray of shape (n_coalitions,)
        The distinct coalitions visited, as bit masks over the players
        (bit k for player k), sorted; the first is the empty coalition.
    """

    def __init__(self, n_players, n_permutations, random_state=None):
        rng = check_random_state(random_state)
        n = int(n_players)
        pairs = max(1, -(-int(n_permutations) // 2))
        orders = np.empty((2 * pairs, n), dtype=np.intp)
        for t in range(pairs):
            orders[2 * t] = rng.permutation(n)
            orders[2 * t + 1] = orders[2 * t][::-1]
        # int64 bit masks up to 62 players, Python ints beyond
        dtype = np.int64 if n < 63 else object
        bits = np.left_shift(np.ones_like(orders, dtype=dtype), orders.astype(dtype))
        grown = np.cumsum(bits, axis=1)  # distinct bits: the sum is the union
        visited = np.concatenate([np.zeros(1, dtype=dtype), grown.ravel()])
        self.masks, inverse = np.unique(visited, return_inverse=True)
        inverse = inverse.reshape(-1)
        with_ = inverse[1:].reshape(grown.shape)
        without = np.concatenate(
            [np.full((2 * pairs, 1), inverse[0]), with_[:, :-1]], axis=1
        )
        # by player instead of by position in the order
        where = np.argsort(orders, axis=1)
        self._with = np.take_along_axis(with_, where, axis=1)
        self._without = np.take_along_axis(without, where, axis=1)
        self.n_players = n
        self.n_pairs = pairs

    def subsets(self, players):
        """The visited coalitions as frozensets of ``players`` (``masks`` order)."""
        players = list(players)
        return [
            frozenset(p for k, p in enumerate(players) if int(mask) >> k & 1)
            for mask in self.masks
        ]

    def estimate(self, values):
        """Shapley estimates and their standard errors from coalition values.

        Parameters
        ----------
        values : ndarray of shape (n_coalitions,) or (n_coalitions, n_games)
            ``f_u`` of each coalition of ``masks``; a second axis holds
            several games on the same coalitions (bootstrap replicates).

        Returns
        -------
        estimate : ndarray of shape (n_players,) or (n_players, n_games)
        std : ndarray of the same shape
            Standard error of each estimate (NaN with a single pair).
        """
        values = np.asarray(values, dtype=float)
        contributions = values[self._with] - values[self._without]
        pairs = 0.5 * (contributions[0::2] + contributions[1::2])
        estimate = pairs.mean(axis=0)
        if self.n_pairs > 1:
            std = pairs.std(axis=0, ddof=1) / np.sqrt(self.n_pairs)
        else:
            std = np.full(estimate.shape, np.nan)
        return estimate, std


def _grand_utility(u):
    return float(u.get([frozenset(u.players)])[0])


@validate_params(
    {"utility": [Mapping, callable], "players": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def scaled_shapley_values(utility, players=None, **kwargs):
    """Shapley values divided by the grand coalition's utility (Eq. 3).

    Parameters
    ----------
    utility : mapping or callable
        See :func:`shapley_values`.
    players : sequence of str, default=None
        Player order of the result.
    **kwargs : dict
        Passed to :func:`shapley_values` (``method``, ``n_permutations``,
        ``random_state``).

    Returns
    -------
    values : ndarray of shape (n_players,)
        Sums to 1 when exact. All NaN, with a :class:`CooperationWarning`,
        when ``f_u(all players) <= 0`` (no gain to share).

    Examples
    --------
    >>> from sklearn_skll.game import scaled_shapley_values
    >>> f = {frozenset("a"): 0.2, frozenset("b"): 0.1, frozenset("ab"): 0.5}
    >>> scaled_shapley_values(f).round(2)
    array([0.6, 0.4])
    """
    u = _as_utility(utility, players)
    values = shapley_values(u, **kwargs)
    z = _grand_utility(u) if u.players else 0.0
    if not z > 0:
        warnings.warn(
            "The utility of all modalities is not positive "
            f"(f_u(all) = {z:.4g}); scaled Shapley values are undefined and "
            "set to NaN.",
            CooperationWarning,
            stacklevel=2,
        )
        return np.full(len(u.players), np.nan)
    return values / z


def _cooperation(f_s, solo_sum, tol):
    """Eq. 4, elementwise: ``(f_u(S) - sum_j f_u({j})) / f_u(S)``.

    NaN where ``f_u(S) <= tol`` (no gain over the constant predictor), never
    infinite. The one home of the formula.
    """
    f_s = np.asarray(f_s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(f_s > tol, (f_s - solo_sum) / f_s, np.nan)


@validate_params(
    {
        "utility": [Mapping, callable],
        "players": ["array-like", None],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def cooperation_scores(utility, subsets=None, *, players=None, tol=1e-12):
    """Normalized cooperation score C(S) of subsets (Eq. 4).

    C(S) = (f_u(S) - sum_{j in S} f_u({j})) / f_u(S). Positive means the
    modalities of ``S`` together gain more than the sum of their solo gains
    (synergy), negative means redundancy or interference. Singletons score 0.

    Parameters
    ----------
    utility : mapping or callable
        See :func:`shapley_values`.
    subsets : iterable of frozenset, default=None
        Subsets to score; default every non-empty subset of ``players``.
    players : sequence of str, default=None
        Required with a callable utility when ``subsets`` is None.
    tol : float, default=1e-12
        A denominator ``f_u(S) <= tol`` (no gain over the constant
        predictor) makes C(S) NaN, with one :class:`CooperationWarning`
        listing those subsets. The score is never infinite.

    Returns
    -------
    scores : dict of frozenset -> float

    Examples
    --------
    >>> from sklearn_skll.game import cooperation_scores
    >>> f = {frozenset("a"): 0.2, frozenset("b"): 0.1, frozenset("ab"): 0.5}
    >>> round(cooperation_scores(f)[frozenset("ab")], 3)
    0.4
    """
    if subsets is not None:
        subsets = [frozenset(s) for s in subsets]
        if players is None and callable(utility):
            players = sorted(set().union(*subsets)) if subsets else []
    u = _as_utility(utility, players)
    if subsets is None:
        subsets = [u.subset(mask) for mask in range(1, 2 ** len(u.players))]
    singles = sorted({frozenset([p]) for s in subsets for p in s}, key=sorted)
    u.get(subsets + singles)  # one batch
    solo = dict(zip(singles, u.get(singles)))
    scores, undefined = {}, []
    for s, f_s in zip(subsets, u.get(subsets)):
        if not s:
            raise ValueError("C(S) is undefined for the empty set. Got S = {} instead.")
        if not f_s > tol:
            scores[s] = np.nan
            undefined.append(s)
            continue
        solo_sum = sum(solo[frozenset([p])] for p in s)
        scores[s] = float(_cooperation(f_s, solo_sum, tol))
    if undefined:
        shown = ", ".join("{" + ", ".join(sorted(s)) + "}" for s in undefined[:5])
        more = f" and {len(undefined) - 5} more" if len(undefined) > 5 else ""
        warnings.warn(
            f"C(S) is undefined (NaN) for subsets whose utility f_u(S) is not "
            f"positive: {shown}{more}. They do no better than the constant "
            "predictor.",
            CooperationWarning,
            stacklevel=2,
        )
    return scores


@validate_params(
    {"utility": [Mapping, callable], "players": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def interaction_index(utility, players=None):
    r"""Pairwise Shapley interaction index as a matrix.

    .. math::

        I_{ij} = \sum_{S \subseteq M \setminus \{i, j\}}
        \frac{|S|!\,(m - |S| - 2)!}{(m - 1)!}
        \bigl(f_u(S \cup \{i, j\}) - f_u(S \cup \{i\}) - f_u(S \cup \{j\})
        + f_u(S)\bigr)

    (Grabisch & Roubens). Positive means synergy, negative redundancy.

    Parameters
    ----------
    utility : mapping or callable
        See :func:`shapley_values`; every subset is needed.
    players : sequence of str, default=None
        Row and column order.

    Returns
    -------
    index : ndarray of shape (n_players, n_players)
        Symmetric, with a zero diagonal (the main effects are the Shapley
        values).

    Examples
    --------
    >>> from sklearn_skll.game import interaction_index
    >>> f = {frozenset("a"): 0.2, frozenset("b"): 0.1, frozenset("ab"): 0.5}
    >>> interaction_index(f).round(3)
    array([[0. , 0.2],
           [0.2, 0. ]])
    """
    u = _as_utility(utility, players)
    n = len(u.players)
    index = np.zeros((n, n))
    if n < 2:
        return index
    v = u.table_by_mask()
    masks = np.arange(2**n)
    sizes = _popcount(masks, n)
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=float)
    weight = fact[: n - 1] * fact[n - 2 :: -1] / fact[n - 1]  # |S| = 0..n-2
    for i in range(n):
        for j in range(i + 1, n):
            bi, bj = 1 << i, 1 << j
            rest = masks[(masks & (bi | bj)) == 0]
            delta = v[rest | bi | bj] - v[rest | bi] - v[rest | bj] + v[rest]
            index[i, j] = index[j, i] = np.sum(weight[sizes[rest]] * delta)
    return index


@validate_params(
    {
        "utility": [Mapping, callable],
        "players": ["array-like", None],
        "max_modalities": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "criterion": [StrOptions({"cooperation", "marginal"})],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def greedy_selection(
    utility,
    players=None,
    *,
    max_modalities=None,
    criterion="cooperation",
    tol=1e-12,
):
    """Step-wise modality selection (Algorithm 1 of the SK-LL paper).

    The first modality is the one with the largest utility f_u({j}). Each
    next step considers the candidates whose addition has a positive gain
    f_u(S + j) - f_u(S) > ``tol`` and adds the one maximizing ``criterion``:
    the cooperation C(S + j) (Eq. 4; the paper) or the gain itself
    (``"marginal"``, He et al. 2024). It stops after ``max_modalities``
    modalities or when no candidate has a positive gain.

    Ties (within 1e-12) are broken by the larger utility of the grown
    subset, then by the order of ``players``.

    Parameters
    ----------
    utility : mapping or callable
        See :func:`shapley_values`. A callable is asked, step by step, only
        for the subsets the path needs (the m singletons first, then the
        candidates S + j of each step), so a selector trains only those.
    players : sequence of str, default=None
        Candidate modalities; required with a callable utility.
    max_modalities : int, default=None
        Upper bound on the number of selected modalities (no bound if None).
    criterion : {"cooperation", "marginal"}, default="cooperation"
        What each step maximizes.
    tol : float, default=1e-12
        Smallest gain that counts as positive; also the C(S) threshold of
        :func:`cooperation_scores`.

    Returns
    -------
    selected : list of str
        The selected modalities in the order they were added. The first
        modality is always selected, even when no modality beats the
        constant predictor (Algorithm 1, line 7, has no condition).
    path : list of dict
        One entry per step with keys ``step``, ``modality``, ``subset``
        (tuple in player order), ``utility``, ``gain``, ``cooperation``,
        ``criterion`` (the value maximized) and ``n_candidates``.

    Examples
    --------
    >>> from sklearn_skll.game import greedy_selection
    >>> f = {frozenset("a"): 0.3, frozenset("b"): 0.1, frozenset("c"): 0.2,
    ...      frozenset("ab"): 0.5, frozenset("ac"): 0.4, frozenset("bc"): 0.3,
    ...      frozenset("abc"): 0.5}
    >>> greedy_selection(f)[0]
    ['a', 'b']
    """
    u = _as_utility(utility, players)
    order = {p: k for k, p in enumerate(u.players)}
    n = len(u.players)
    if max_modalities is None:
        max_modalities = n
    if n == 0:
        return [], []

    def as_tuple(s):
        return tuple(sorted(s, key=order.__getitem__))

    singles = [frozenset([p]) for p in u.players]
    solo = dict(zip(u.players, u.get(singles).tolist()))
    first = _argmax_ordered(np.array([solo[p] for p in u.players]))
    best = u.players[first]
    selected, current, f_current = [best], frozenset([best]), solo[best]
    coop = 0.0 if f_current > tol else np.nan
    path = [
        dict(
            step=1,
            modality=best,
            subset=as_tuple(current),
            utility=f_current,
            gain=f_current,
            cooperation=coop,
            criterion=f_current,
            n_candidates=n,
        )
    ]
    while len(selected) < min(max_modalities, n):
        rest = [p for p in u.players if p not in current]
        grown = [current | {p} for p in rest]
        f_grown = u.get(grown)
        gains = f_grown - f_current
        ok = gains > tol
        if not ok.any():
            break
        solo_sum = np.array([sum(solo[q] for q in s) for s in grown])
        coops = _cooperation(f_grown, solo_sum, tol)
        if criterion == "cooperation":
            # a candidate whose C(S) is undefined ranks below any defined one
            crit = np.where(np.isnan(coops), -np.inf, coops)
        else:
            crit = gains
        crit = np.where(ok, crit, -np.inf)
        k = _argmax_ordered(crit, f_grown)
        if not ok[k]:  # every positive-gain candidate is -inf: take best gain
            k = _argmax_ordered(np.where(ok, gains, -np.inf))
        best = rest[k]
        selected.append(best)
        current, f_current = grown[k], float(f_grown[k])
        path.append(
            dict(
                step=len(selected),
                modality=best,
                subset=as_tuple(current),
                utility=f_current,
                gain=float(gains[k]),
                cooperation=float(coops[k]),
                criterion=float(crit[k]),
                n_candidates=int(ok.sum()),
            )
        )
    return selected, path


def _argmax_ordered(primary, secondary=None, atol=1e-12):
    """First index maximizing ``primary`` (ties within ``atol`` by ``secondary``)."""
    primary = np.asarray(primary, dtype=float)
    top = np.max(primary)
    if np.isinf(top):
        tied = np.flatnonzero(primary == top)
    else:
        tied = np.flatnonzero(primary >= top - atol)
    if secondary is not None and tied.size > 1:
        sec = np.asarray(secondary, dtype=float)[tied]
        tied = tied[sec >= np.max(sec) - atol]
    return int(tied[0])
