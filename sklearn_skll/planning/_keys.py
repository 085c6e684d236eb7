"""Key rules: which modality subset new rows should carry.

Three rules, each returning every candidate next to its criterion, its
utility, the share of the full utility it keeps and, from the paired
bootstrap (or the repeated simulation), the probability that it is the best
candidate:

- ``"paper"``: the highest cooperation C(S) (Eq. 4) among the subsets of
  size |M| - 1 (the reference of the SK-LL paper) that beat the constant
  predictor (:func:`beats_constant`): Eq. 4 divides by f_u(S), so a subset
  whose utility is indistinguishable from 0 can get any C(S).
- ``"gain_per_cost"``: the highest expected gain per unit cost,
  ``f_u(S) / cost(S)``, among the proper subsets of two modalities or more
  (one with two modalities) that keep at least :data:`KEY_MIN_SHARE` of the
  full utility.
- ``"simulate"``: a nested simulation inside the rows at hand: pilot, pool
  and held-out parts, repeated; each candidate buys its rows from the pool
  with the budget, the modalities it lacks are left missing, a model is
  trained and scored on the held-out part; the best expected score wins.

The first two rules are first order: they read the utility table and ignore
how well the modalities a key leaves out can be generated from it. The
simulation measures what the key's incomplete rows add to a model, with the
missing modalities left missing (mean-imputed by the model's own imputer),
so it does not measure generation either; every plan says so in its notes.
"""

from collections import namedtuple
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_random_state, get_tags

from .._base import SEED_MAX
from .._compat import Interval, RealNotInt, StrOptions
from .._modalities import hide_modalities
from ..exceptions import BudgetError
from ..game import _cooperation
from ._costs import check_costs
from ._plan import make_plan

__all__ = [
    "KEY_MIN_SHARE",
    "KEY_RULES",
    "PLANNING_CONSTRAINTS",
    "KeyChoice",
    "choose_key",
    "key_notes",
    "rank_keys",
    "simulate_keys",
]

#: The key rules, in the order they are documented.
KEY_RULES = ("paper", "gain_per_cost", "simulate")

#: The planning parameters of the estimators that choose a key (the selector
#: and the budgeted classifier), spread into their ``_parameter_constraints``.
PLANNING_CONSTRAINTS = {
    "key": [StrOptions(set(KEY_RULES))],
    "budget": [
        Interval(Integral, 1, None, closed="left"),
        Interval(RealNotInt, 0, 1, closed="right"),
    ],
    "costs": [dict, None],
}

#: ``"gain_per_cost"`` only considers subsets that keep at least this share
#: of the full utility f_u(M): a cheap subset with a tiny utility buys many
#: rows that carry almost nothing (and leaves the strong modalities to be
#: generated from weak ones).
KEY_MIN_SHARE = 0.5

#: Without bootstrap replicates, a subset beats the constant predictor when
#: its utility keeps at least this share of the full set's (with them: when
#: the 95 % interval of its utility lies above 0). ``selection="cooperation"``
#: and the ``"paper"`` key rule rank by C(S) only such subsets.
COOPERATION_MIN_SHARE = 0.5

#: Probability of being best below which the top choices "cannot be told apart".
CLEAR_CHOICE = 0.8

#: The rules that rank a utility table (the others simulate).
_RANKED_RULES = tuple(rule for rule in KEY_RULES if rule != "simulate")

#: Each key rule's criterion, as the candidates table names it.
_CRITERIA = {
    "paper": "cooperation",
    "gain_per_cost": "utility_per_cost",
    "simulate": "simulated_score",
}


def beats_constant(utility, *, ci_low=None, full=None, tol=1e-12):
    """Which subsets' utility is a real gain over the constant predictor.

    The utility f_u(S) is already the gain over the constant predictor on
    the same rows. With the lower ends of its bootstrap 95 % intervals
    (``ci_low``) a subset beats the constant predictor when its interval
    lies above 0; without them, when f_u(S) keeps at least
    :data:`COOPERATION_MIN_SHARE` of the full set's utility ``full`` (and
    is above ``tol``).

    Returns
    -------
    beats : ndarray of bool, one per subset
    """
    if ci_low is not None:
        return np.asarray(ci_low, dtype=float) > 0
    utility = np.asarray(utility, dtype=float)
    floor = tol
    if full is not None and np.isfinite(full):
        floor = max(COOPERATION_MIN_SHARE * float(full), tol)
    return utility >= floor


def _p_best(values, tiebreak):
    """Share of replicates (columns) in which each row is the best.

    ``values`` (n_candidates, n_replicates), NaN is worst; ties go to the
    larger ``tiebreak`` value (same shape); exact ties share the win.
    """
    if values.size == 0 or values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    v = np.where(np.isfinite(values), values, -np.inf)
    t = np.where(np.isfinite(tiebreak), tiebreak, -np.inf)
    wins = np.zeros(values.shape[0])
    for b in range(v.shape[1]):
        top = np.flatnonzero(v[:, b] == v[:, b].max())
        if top.size > 1:
            top = top[t[top, b] == t[top, b].max()]
        wins[top] += 1.0 / top.size  # exact ties share the win
    return wins / v.shape[1]


def _table_beats(df, utility, boot, full, tol):
    """:func:`beats_constant` for a utility table: its own ``beats_baseline``
    column where it has one, else from its interval's lower ends (the
    column, or the replicates' 2.5 % percentile), else from the share of the
    full utility."""
    if "beats_baseline" in df.columns:
        return df["beats_baseline"].to_numpy(dtype=bool)
    ci_low = None
    if "utility_ci_low" in df.columns:
        ci_low = df["utility_ci_low"].to_numpy(dtype=float)
    elif boot is not None:
        ci_low = np.percentile(boot, 2.5, axis=1)
    if ci_low is not None and not np.isfinite(ci_low).any():
        ci_low = None
    return beats_constant(utility, ci_low=ci_low, full=full, tol=tol)


def _scored_subsets(index, names, sizes):
    """The table's subsets of the given sizes as ``(size, subset)``, in the
    order of ``itertools.combinations(names, size)`` for each size in turn.

    Read from the table rather than enumerated: past a dozen modalities a
    sampled search scores a few thousand of the millions of subsets.
    """
    position = {name: k for k, name in enumerate(names)}
    sizes = set(sizes)
    found = []
    for key in index:
        if len(key) in sizes and all(name in position for name in key):
            found.append((len(key), tuple(sorted(position[name] for name in key))))
    found.sort()
    return [(size, tuple(names[k] for k in at)) for size, at in found]


def rank_keys(rule, utilities, names, *, costs=None, replicates=None, tol=1e-12):
    """Rank the candidate key subsets of a utility table by a key rule.

    Parameters
    ----------
    rule : {"paper", "gain_per_cost"}
        See the module docstring.
    utilities : DataFrame
        One row per subset with columns ``subset``, ``modalities`` (tuple)
        and ``utility`` (a selector's ``utilities_``).
    names : sequence of str
        Every modality, in order.
    costs : dict of str -> float, default=None
        Cost of one observation per modality (1 each if None); checked by
        :func:`check_costs`.
    replicates : ndarray of shape (n_subsets, n_bootstrap), default=None
        Paired bootstrap replicates of the utilities, row-aligned with
        ``utilities``; they give ``p_best``.
    tol : float, default=1e-12
        Utilities not above ``tol`` count as no gain (C(S) is then NaN).

    Returns
    -------
    candidates : DataFrame
        Best first; columns ``subset``, ``modalities``, ``size``, ``cost``,
        ``criterion`` (its name), ``value``, ``utility``, ``share_of_full``
        (f_u(S) / f_u(M)), ``p_best`` (NaN without replicates) and
        ``eligible`` (False for subsets a guard left out: with
        ``"gain_per_cost"``, those keeping less than :data:`KEY_MIN_SHARE`
        of the full utility; with ``"paper"``, those that do not beat the
        constant predictor, whose C(S) means nothing; where no subset
        passes, every one is eligible and ``"paper"`` ranks by utility).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_skll.budget import rank_keys
    >>> table = pd.DataFrame({
    ...     "subset": ["a", "b", "c", "a+b", "a+c", "b+c", "a+b+c"],
    ...     "modalities": [("a",), ("b",), ("c",), ("a", "b"), ("a", "c"),
    ...                    ("b", "c"), ("a", "b", "c")],
    ...     "utility": [0.20, 0.10, 0.01, 0.25, 0.22, 0.12, 0.26]})
    >>> ranked = rank_keys("gain_per_cost", table, ["a", "b", "c"],
    ...                    costs={"a": 5.0, "b": 1.0, "c": 0.1})
    >>> list(ranked["subset"]), list(ranked["eligible"])
    (['a+c', 'a+b', 'b+c'], [True, True, False])
    >>> [round(v, 2) for v in ranked["share_of_full"]]
    [0.85, 0.96, 0.46]
    """
    if rule not in _RANKED_RULES:
        raise ValueError(
            "`rule` must be 'paper' or 'gain_per_cost' (simulate with "
            f"simulate_keys). Got {rule!r} instead."
        )
    names = list(names)
    m = len(names)
    costs = check_costs(costs, names)
    df = utilities.reset_index(drop=True)
    index = {frozenset(mods): i for i, mods in enumerate(df["modalities"])}
    full = (
        df["utility"].iloc[index[frozenset(names)]]
        if frozenset(names) in index
        else np.nan
    )
    f = df["utility"].to_numpy(float)
    boot = (
        None
        if replicates is None or np.size(replicates) == 0
        else np.asarray(replicates, float)
    )

    if rule == "paper":
        sizes = [max(m - 1, 1)]
        beats = _table_beats(df, f, boot, full, tol)
    else:
        sizes = range(min(2, max(m - 1, 1)), max(m - 1, 1) + 1)
        beats = np.ones(len(df), dtype=bool)
    rows, values, ties = [], [], []
    for size, subset in _scored_subsets(index, names, sizes):
        i = index[frozenset(subset)]
        cost = float(sum(costs[n] for n in subset))
        solo_idx = [index.get(frozenset([n])) for n in subset]
        if rule == "paper":
            if any(j is None for j in solo_idx):
                continue
            solo = f[solo_idx].sum()
            value = float(_cooperation(np.array(f[i]), solo, tol))
            if boot is not None:
                solo_boot = boot[solo_idx].sum(axis=0)
                values.append(_cooperation(boot[i], solo_boot, tol))
        else:
            value = f[i] / cost if f[i] > tol else np.nan
            if boot is not None:
                values.append(np.where(boot[i] > tol, boot[i] / cost, np.nan))
        if boot is not None:
            ties.append(boot[i])
        share = f[i] / full if np.isfinite(full) and full > tol else np.nan
        rows.append(
            {
                "subset": df["subset"].iloc[i],
                "modalities": tuple(df["modalities"].iloc[i]),
                "size": size,
                "cost": cost,
                "criterion": _CRITERIA[rule],
                "value": value,
                "utility": f[i],
                "share_of_full": share,
                "_beats": bool(beats[i]),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        raise BudgetError(
            f"The key rule {rule!r} found no candidate subset in the utility "
            f"table. Got subsets {list(df['subset'])} instead."
        )
    eligible = np.ones(len(out), dtype=bool)
    by_utility = False
    if rule == "paper":
        eligible = out["_beats"].to_numpy(dtype=bool) & np.isfinite(
            out["value"].to_numpy(dtype=float)
        )
        if not eligible.any():  # none beats the constant predictor
            eligible = np.ones(len(out), dtype=bool)
            by_utility = True
    out = out.drop(columns="_beats")
    if rule == "gain_per_cost":
        keeps = out["share_of_full"].to_numpy() >= KEY_MIN_SHARE
        eligible = keeps & np.isfinite(out["value"].to_numpy())
        if not eligible.any():  # nothing keeps half of the full utility
            eligible = np.isfinite(out["value"].to_numpy())
    out["eligible"] = eligible
    if boot is not None:
        v = np.vstack(values)
        v[~eligible] = np.nan
        out["p_best"] = _p_best(v, np.vstack(ties))
    else:
        out["p_best"] = np.nan

    def rank(k):
        value = -np.nan_to_num(out["value"].iloc[k], nan=-np.inf)
        utility = -out["utility"].iloc[k]
        if by_utility:  # C(S) means nothing where no utility is a gain
            return (not out["eligible"].iloc[k], utility, value, k)
        return (not out["eligible"].iloc[k], value, utility, k)

    order = sorted(range(len(out)), key=rank)
    return out.iloc[order].reset_index(drop=True)


#: A key rule's answer: the key, every candidate with its criterion, the
#: probability that the key is the best candidate, and notes in words.
KeyChoice = namedtuple("KeyChoice", ["subset", "candidates", "confidence", "notes"])


def choose_key(
    rule,
    utilities,
    names,
    *,
    costs=None,
    replicates=None,
    shapley=None,
    tol=1e-12,
    simulation=None,
):
    """Choose the key subset of a utility table by a key rule.

    What a selector asks when it has scored every subset: ``"paper"`` and
    ``"gain_per_cost"`` rank the table (:func:`rank_keys`), ``"simulate"``
    simulates the best few candidates (:func:`simulate_keys`).

    Parameters
    ----------
    rule : {"paper", "gain_per_cost", "simulate"}
    utilities : DataFrame
        Every subset's ``subset``, ``modalities``, ``size`` and ``utility``
        (a selector's ``utilities_``).
    names : list of str
        Every modality, in order.
    costs : dict of str -> float, default=None
    replicates : ndarray, default=None
        Paired bootstrap replicates of the utilities (row-aligned).
    shapley : Series, default=None
        Shapley values by modality, for the notes.
    tol : float, default=1e-12
        Utilities not above ``tol`` count as no gain.
    simulation : dict, default=None
        For ``"simulate"``: ``estimator``, ``X``, ``y`` (complete rows),
        ``modalities`` (resolved), ``budget`` and ``random_state``, as
        :func:`simulate_keys` takes them.

    Returns
    -------
    choice : KeyChoice
        ``subset`` (tuple of str), ``candidates`` (DataFrame, best first;
        with ``"simulate"`` the uniform reference is its last row),
        ``confidence`` (float) and ``notes`` (list of str).
    """
    if rule in _RANKED_RULES:
        ranked = rank_keys(
            rule, utilities, names, costs=costs, replicates=replicates, tol=tol
        )
        table = ranked
    elif rule == "simulate":
        candidates = _simulation_candidates(utilities, names, costs, [], limit=3)
        table, _ = simulate_keys(
            simulation["estimator"],
            simulation["X"],
            simulation["y"],
            simulation["modalities"],
            candidates,
            budget=simulation["budget"],
            costs=costs,
            n_repeats=10,
            random_state=simulation["random_state"],
        )
        utility = dict(
            zip(utilities["modalities"].map(frozenset), utilities["utility"])
        )
        full = utility[frozenset(names)]
        table["utility"] = [
            utility.get(frozenset(m), np.nan) for m in table["modalities"]
        ]
        table["share_of_full"] = table["utility"] / full if full > tol else np.nan
        table.insert(2, "criterion", _CRITERIA[rule])
        ranked = table[table["subset"] != "uniform"].reset_index(drop=True)
    else:
        raise ValueError(
            f"`rule` must be one of {list(KEY_RULES)}. Got {rule!r} instead."
        )
    notes = key_notes(rule, ranked, shapley)
    if rule == "simulate":
        uni = table[table["subset"] == "uniform"].iloc[0]
        top = ranked.iloc[0]
        if top["diff_ci_low"] <= 0 <= top["diff_ci_high"]:
            notes.insert(
                0,
                (
                    f"in the simulation the key's rows score "
                    f"{top['score']:.3f} and uniform rows {uni['score']:.3f}: "
                    "no difference (the 95 % interval of the paired difference, "
                    f"[{top['diff_ci_low']:+.3f}, {top['diff_ci_high']:+.3f}], "
                    "holds 0)"
                ),
            )
    return KeyChoice(
        subset=tuple(ranked["modalities"].iloc[0]),
        candidates=table,
        confidence=float(ranked["p_best"].iloc[0]),
        notes=notes,
    )


def _simulation_candidates(utilities, names, costs, extra, limit):
    """A short list of keys worth simulating: the paper's and the best few."""
    picks = list(extra)
    for rule in _RANKED_RULES:
        ranked = rank_keys(rule, utilities, names, costs=costs)
        picks.extend(ranked["modalities"].head(limit))
    low = min(2, max(len(names) - 1, 1))
    sizes = utilities["size"]
    proper = utilities[(sizes < len(names)) & (sizes >= low)]
    best = proper.sort_values("utility", ascending=False)["modalities"]
    picks.extend(best.head(limit))
    seen, out = set(), []
    for p in picks:
        key = frozenset(p)
        if key not in seen:
            seen.add(key)
            out.append(tuple(n for n in names if n in key))
    return out


def simulate_keys(
    estimator,
    X,
    y,
    modalities,
    candidates,
    *,
    budget,
    costs=None,
    n_repeats=10,
    pilot_size=0.5,
    test_size=0.25,
    random_state=None,
):
    """Simulate buying each candidate key's rows inside the rows at hand.

    Each repeat splits the rows (stratified) into a pilot part (the rows
    already collected), a pool and a held-out part. With the budget taken as
    a fraction of the pilot part, each candidate key ``S`` buys
    ``B / cost(S)`` rows from the pool, whose other modalities are hidden
    (all NaN); the uniform reference buys ``B / cost(M)`` complete rows. A
    clone of ``estimator`` (behind a mean imputer when it rejects NaN) is
    trained on pilot + bought rows and scored on the held-out part. All
    candidates of one repeat share the same pilot, pool order and held-out
    rows (paired).

    Parameters
    ----------
    estimator : classifier
    X : ndarray of shape (n_samples, n_features)
        Complete rows.
    y : ndarray of shape (n_samples,)
    modalities : dict of str -> ndarray of int
        Resolved modalities.
    candidates : list of tuple of str
        Key subsets to simulate.
    budget : float or int
        As in :func:`make_plan`; a float is a fraction of the pilot rows.
    costs : dict, default=None
        Cost of one observation per modality (1 each if None); checked by
        :func:`check_costs`.
    n_repeats : int, default=10
    pilot_size, test_size : float
        Shares of the rows in the pilot and held-out parts; the pool is the
        rest.
    random_state : int, RandomState instance or None

    Returns
    -------
    table : DataFrame
        One row per candidate plus ``"uniform"``: ``subset``, ``modalities``,
        ``n_new_rows``, ``score`` (mean over repeats), ``score_ci_low`` /
        ``score_ci_high`` (95 % percentile bootstrap of the mean over
        repeats), ``diff_uniform`` (mean paired difference to uniform) with
        its bounds, and ``p_best`` (share of bootstrap replicates of the
        repeats in which the candidate has the best mean score). Best first.
    scores : ndarray of shape (n_candidates + 1, n_repeats)
        Held-out score of each row of ``table`` in each repeat.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_skll.budget import simulate_keys
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 6)); y = (X[:, 0] + X[:, 2] > 0).astype(int)
    >>> mods = {"a": np.array([0, 1]), "b": np.array([2, 3]), "c": np.array([4, 5])}
    >>> table, scores = simulate_keys(LogisticRegression(), X, y, mods,
    ...                               [("a", "b"), ("b", "c")], budget=0.3,
    ...                               n_repeats=3, random_state=0)
    >>> list(table["subset"])[-1], scores.shape
    ('uniform', (3, 3))
    """
    names = list(modalities)
    costs = check_costs(costs, names)
    rng = check_random_state(random_state)
    model = clone(estimator)
    if not get_tags(model).input_tags.allow_nan:
        model = make_pipeline(SimpleImputer(keep_empty_features=True), model)
    keys = [tuple(c) for c in candidates] + [tuple(names)]
    labels = ["+".join(k) for k in keys[:-1]] + ["uniform"]
    scores = np.full((len(keys), n_repeats), np.nan)
    n_new = np.zeros((len(keys), n_repeats), dtype=int)
    for r in range(n_repeats):
        seed = rng.randint(SEED_MAX)
        rest, test = _split(y, test_size, seed)
        pilot, pool = _split(y[rest], 1 - pilot_size / (1 - test_size), seed + 1)
        pilot, pool = rest[pilot], rest[pool]
        pool = check_random_state(seed).permutation(pool)
        for k, key in enumerate(keys):
            plan = make_plan(
                names, budget, key_subset=key, costs=costs, n_reference=pilot.size
            )
            n = min(plan.skll.n_new_rows, pool.size)
            new = pool[:n]
            rows = np.concatenate([pilot, new])
            X_train = X[rows]
            if n and len(key) < len(names):
                hidden = np.zeros((rows.size, len(names)), dtype=bool)
                hidden[pilot.size :] = [name not in key for name in names]
                X_train = hide_modalities(X_train, modalities, hidden)
            fitted = clone(model).fit(X_train, y[rows])
            scores[k, r] = fitted.score(X[test], y[test])
            n_new[k, r] = n
    boot = rng.randint(n_repeats, size=(200, n_repeats))
    means = scores[:, boot].mean(axis=2)  # (n_keys, 200)
    diffs = means - means[-1]
    table = pd.DataFrame(
        {
            "subset": labels,
            "modalities": keys,
            "n_new_rows": n_new.mean(axis=1),
            "score": scores.mean(axis=1),
            "score_ci_low": np.percentile(means, 2.5, axis=1),
            "score_ci_high": np.percentile(means, 97.5, axis=1),
            "diff_uniform": scores.mean(axis=1) - scores[-1].mean(),
            "diff_ci_low": np.percentile(diffs, 2.5, axis=1),
            "diff_ci_high": np.percentile(diffs, 97.5, axis=1),
            "p_best": np.r_[_p_best(means[:-1], means[:-1]), np.nan],
        }
    )
    order = np.r_[
        np.argsort(-table["score"].to_numpy()[:-1], kind="stable"), len(keys) - 1
    ]
    return table.iloc[order].reset_index(drop=True), scores[order]


def _split(y, test_size, seed):
    idx = np.arange(y.shape[0])
    try:
        return train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    except ValueError:  # a class too small to stratify
        return train_test_split(idx, test_size=test_size, random_state=seed)


def key_notes(rule, candidates, shapley=None):
    """Plain-language notes on a chosen key (first row of ``candidates``)."""
    notes = []
    top = candidates.iloc[0]
    p = top.get("p_best", np.nan)
    if np.isfinite(p) and p < CLEAR_CHOICE and len(candidates) > 1:
        runner = candidates.iloc[1]
        notes.append(
            f"the top choices cannot be told apart: {top['subset']} is best in "
            f"{100 * p:.0f} % of bootstrap replicates, {runner['subset']} in "
            f"{100 * np.nan_to_num(runner.get('p_best', np.nan)):.0f} %"
        )
    share = top.get("share_of_full", np.nan)
    if np.isfinite(share):
        notes.append(
            f"the key keeps {100 * share:.0f} % of the full utility "
            f"(f_u = {top['utility']:.3f})"
        )
    if rule == "paper" and "eligible" in candidates:
        left = candidates[~candidates["eligible"].to_numpy(dtype=bool)]
        higher = left[left["value"].to_numpy(dtype=float) > top["value"]]
        if len(higher):
            notes.append(
                f"{higher['subset'].iloc[0]} has a higher C(S) "
                f"({higher['value'].iloc[0]:.2f}) but does no better than the "
                "constant predictor (its utility interval holds 0): C(S) "
                "divides by that utility, so it is left out"
            )
    if shapley is not None and len(shapley) and np.isfinite(shapley).any():
        best = shapley.idxmax()
        if best not in top["modalities"]:
            notes.append(
                f"the key leaves out `{best}`, the modality with the highest "
                f"Shapley value ({shapley[best]:.3f}), because the rule ranks by "
                f"{_CRITERIA[rule].replace('_', ' ')}, not by utility"
            )
    if rule in _RANKED_RULES:
        notes.append(
            "this rule reads the utility table only: it ignores how well the "
            "modalities it leaves out can be generated from the key"
        )
    else:
        notes.append(
            "the simulation leaves the modalities a key lacks missing: it "
            "measures what the key's incomplete rows add, not generation"
        )
    return notes
