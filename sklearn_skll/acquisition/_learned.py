"""``criterion="learned"``: the value of a block, learned from realized gains.

On the complete labelled rows, by cross-fitting: each fold's rows are
predicted by a classifier and an imputer fitted on the other rows; a block
``S`` is hidden (with whatever else a query row misses), and the rise of
the probability the fold classifier gives the true class between ``S``
imputed and ``S`` observed is the realized gain. A regressor learns that
gain from what is known at rank time (the observed values, the current
probabilities and their entropy, what the imputer's draws do to the
prediction, which blocks are observed and which is acquired), and predicts
it for the query rows. The idea of a supervised estimate of the value of a
feature is that of DIME and GDFS (Gadgil, Covert and Lee, 2024; Covert et
al., 2023).
"""

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold
from threadpoolctl import threadpool_limits

from .._base import SEED_MAX
from ._parts import _entropy, _p_change

#: Most (row, block) examples the regressor learns from per rank call.
_MAX_EXAMPLES = 20000

#: The realized gain the regressor learns: "proba", the rise of the
#: probability of the true class. Measured against "zero_one" (the change in
#: whether the row is predicted right) and "log_loss" (the fall of the log
#: loss of the true class) in bench/experiments_acquisition.py: 0-1 is too
#: coarse to learn from a few hundred rows, the log loss too heavy-tailed.
_TARGET = "proba"

#: The regressor's settings: strongly regularized (a few hundred noisy
#: examples per table); 15-leaf trees of 20 examples overfit them.
_HGB = dict(
    learning_rate=0.05,
    max_iter=100,
    max_leaf_nodes=7,
    min_samples_leaf=50,
    l2_regularization=1.0,
)

#: Whether to rank by the score (regressor, uncertainty, expected change)
#: that captured the most realized gain out of fold.
_SELECT = True

#: Whether the observed values themselves are features (besides the summaries).
_RAW = True


def crossfit(make_parts, X, y, complete, cv, rng):
    """Parts fitted without each fold of the complete rows.

    ``y`` holds class labels; every fold trains on all rows but its own.

    Parameters
    ----------
    make_parts : callable
        ``make_parts(X_fit, y_fit, seed) -> (classifier, imputer)``: clones
        fitted on rows.
    X : {ndarray, DataFrame} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    complete : ndarray of bool, shape (n_samples,)
        Rows with every modality observed: the only rows whose realized
        gains can be measured. Incomplete rows always train.
    cv : int
        Folds (fewer when a class has fewer complete rows).

    Returns
    -------
    folds : list of (ndarray of int, (classifier, imputer))
        The held-out complete rows (positions in ``X``) and their parts.
    """
    rows = np.flatnonzero(complete)
    labels = y[rows]
    _, counts = np.unique(labels, return_counts=True)
    n_splits = int(min(cv, rows.size))
    seed = int(rng.randint(SEED_MAX))
    if counts.min() >= n_splits:
        split = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    else:  # a rare class: plain folds (a fold's classifier may miss it)
        split = KFold(n_splits, shuffle=True, random_state=seed)
    folds = []
    everyone = np.arange(len(y))
    for _, test in split.split(rows, labels):
        held = rows[test]
        train = np.setdiff1d(everyone, held)
        parts = make_parts(_take(X, train), y[train], int(rng.randint(SEED_MAX)))
        folds.append((held, parts))
    return folds


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def features(p0, proba, pattern, block, raw):
    """What is known at rank time about acquiring a block for a row.

    ``p0`` (n, C): current probabilities; ``proba`` (n, K, C): with the
    block drawn by the imputer; ``pattern`` and ``block`` (n, M) bool:
    observed modalities and the block acquired; ``raw`` (n, F) the row with
    NaN where missing, or None.
    """
    order = np.sort(p0, axis=1)
    margin = order[:, -1] - (order[:, -2] if p0.shape[1] > 1 else 0.0)
    tv = 0.5 * np.abs(proba - p0[:, None, :]).sum(axis=2)
    flips = _p_change(p0, proba)
    mutual = _entropy(proba.mean(axis=1)) - _entropy(proba).mean(axis=1)
    cols = [
        p0,
        _entropy(p0)[:, None],
        order[:, -1:],
        margin[:, None],
        tv.mean(axis=1)[:, None],
        tv.std(axis=1)[:, None],
        flips[:, None],
        mutual[:, None],
        proba.max(axis=2).mean(axis=1)[:, None],
        pattern.astype(float),
        block.astype(float),
    ]
    if raw is not None:
        cols.append(raw)
    return np.hstack(cols)


def _realized(parts, X_hidden, X_true, y_codes, cols, p_before):
    """Realized gain of revealing ``cols`` of ``X_hidden`` (true values)."""
    X_after = X_hidden.copy()
    X_after[:, cols] = X_true[:, cols]
    p_after = parts.proba(X_after)
    n = np.arange(len(y_codes))
    if _TARGET == "zero_one":
        right = p_after.argmax(axis=1) == y_codes
        was = p_before.argmax(axis=1) == y_codes
        return right.astype(float) - was.astype(float)
    if _TARGET == "proba":
        return p_after[n, y_codes] - p_before[n, y_codes]
    eps = 1e-12
    return np.log(np.clip(p_after[n, y_codes], eps, 1)) - np.log(
        np.clip(p_before[n, y_codes], eps, 1)
    )


def learned_gains(
    parts,
    folds,
    X_true,
    y_codes,
    Xa,
    observed,
    cands,
    modalities,
    costs,
    *,
    n_draws,
    rng,
    n_jobs=None,
):
    """Predicted realized gain of each candidate ``(row, block)``.

    Returns the gains, the order of equal gains (higher first), and the
    query's current probabilities ``p0`` and per-draw probabilities
    ``proba`` (from which the features came).

    ``X_true`` (float) and ``y_codes`` (class positions) are the complete
    training rows, ``folds`` the held-out positions in them with their parts
    (from :func:`crossfit`); ``parts`` predict the query rows ``Xa``.
    Examples are made for the missingness patterns and blocks the
    candidates present, at most :data:`_MAX_EXAMPLES` in all.
    """
    names = list(modalities)
    M = len(names)
    patterns = {}  # observed pattern -> blocks of the candidates with it
    for row, subset in cands:
        patterns.setdefault(tuple(observed[row]), set()).add(subset)
    n_keys = sum(len(v) for v in patterns.values())
    n_complete = X_true.shape[0]
    per_key = min(n_complete, max(200, _MAX_EXAMPLES // max(n_keys, 1)))
    train_X, train_t, train_row, train_cost = [], [], [], []
    for key, subsets in patterns.items():
        hide = _block_cols(modalities, names, [j for j in range(M) if not key[j]])
        keep = np.ones(n_complete, dtype=bool)
        if per_key < n_complete:
            keep[:] = False
            keep[rng.choice(n_complete, per_key, replace=False)] = True
        subs = sorted(subsets)
        cols = [_block_cols(modalities, names, s) for s in subs]
        for held, fold_parts in folds:
            rows = held[keep[held]]
            if not rows.size:
                continue
            n = rows.size
            X_hidden = X_true[rows].copy()
            X_hidden[:, hide] = np.nan
            p0, proba = fold_parts.draw_proba(
                X_hidden,
                np.tile(np.arange(n), len(subs)),
                [c for c in cols for _ in range(n)],
                rng,
                n_draws,
                n_jobs,
            )
            for k, s in enumerate(subs):
                at = slice(k * n, (k + 1) * n)
                train_X.append(
                    features(
                        p0[at],
                        proba[at],
                        np.tile(np.asarray(key), (n, 1)),
                        np.tile(_mask(s, M), (n, 1)),
                        X_hidden if _RAW else None,
                    )
                )
                train_t.append(
                    _realized(
                        fold_parts,
                        X_hidden,
                        X_true[rows],
                        y_codes[rows],
                        cols[k],
                        p0[at],
                    )
                )
                train_row.append(rows)
                train_cost.append(np.full(n, costs[s]))
    train_X = np.vstack(train_X)
    train_t = np.concatenate(train_t)
    # Leaves of 50 examples at least: with fewer than 100 examples the
    # regressor cannot split and predicts one gain for all, and the ranker
    # orders equal gains by uncertainty.
    regressor = HistGradientBoostingRegressor(
        **_HGB, random_state=int(rng.randint(SEED_MAX))
    )
    seen = ~np.isnan(train_X).all(axis=0)  # a column hidden in every example
    # A few thousand rows: OpenMP threads cost more than they pay, and 30x
    # more on a machine whose cores are busy.
    with threadpool_limits(1, user_api="openmp"):
        regressor.fit(train_X[:, seen], train_t)

    rows = np.array([r for r, _ in cands], dtype=np.intp)
    blocks = [_block_cols(modalities, names, s) for _, s in cands]
    p0, proba = parts.draw_proba(Xa, rows, blocks, rng, n_draws, n_jobs)
    query = features(
        p0,
        proba,
        observed[rows],
        np.array([_mask(s, M) for _, s in cands]).reshape(len(cands), M),
        Xa[rows] if _RAW else None,
    )
    C = p0.shape[1]
    with threadpool_limits(1, user_api="openmp"):
        gain = regressor.predict(query[:, seen])
    tie = query[:, C]  # uncertainty orders equal gains
    check = None
    if _SELECT:
        train_cost = np.concatenate(train_cost)
        groups = np.concatenate(train_row)
        scores = {  # uncertainty, expected change
            "uncertainty": (train_X[:, C], query[:, C]),
            "expected_change": (train_X[:, C + 3], query[:, C + 3]),
        }
        oof = _out_of_fold(regressor, train_X[:, seen], train_t, groups, rng)
        best = _captured(oof, train_t, train_cost)
        used = "learned"
        for name, (score, score_query) in scores.items():
            captured = _captured(score, train_t, train_cost)
            if captured > best:
                best, used = captured, name
                iso = IsotonicRegression(out_of_bounds="clip").fit(score, train_t)
                gain, tie = iso.predict(score_query), score_query
        orders = {"learned": oof, **{k: v[0] for k, v in scores.items()}}
        check = out_of_fold_check(orders, train_t, train_cost, groups, used)
    return gain, tie, p0, proba, check


def _out_of_fold(regressor, X, t, groups, rng, n_splits=5):
    """Out-of-fold predictions of ``regressor``, folds grouped by row."""
    out = np.empty(len(t))
    split = GroupKFold(n_splits=min(n_splits, len(np.unique(groups))))
    for train, test in split.split(X, t, groups):
        model = clone(regressor).set_params(random_state=int(rng.randint(SEED_MAX)))
        with threadpool_limits(1, user_api="openmp"):
            out[test] = model.fit(X[train], t[train]).predict(X[test])
    return out


#: The shares of the cost at which an order's captured gain is read.
SHARES = (0.05, 0.1, 0.2, 0.4)


def out_of_fold_check(orders, gain, cost, groups, used, n_boot=200, seed=0):
    """How much realized gain each order captured out of fold.

    ``orders`` maps a name to one score per example (higher first: the
    regressor's out-of-fold predictions for ``"learned"``); ``gain`` is the
    realized gain of each example, ``cost`` its cost, ``groups`` its complete
    row. Each order's captured gain (mean over spending :data:`SHARES` of
    the cost) is given as a share of what the best possible order (by the
    realized gains themselves) captures, beside random orders; the paired
    difference ``learned - uncertainty`` gets a 95 % percentile interval from
    a bootstrap over the complete rows (examples of one row stay together).

    Returns
    -------
    check : dict
        ``used`` (the order the ranking follows), ``shares`` (name -> share
        of the best possible order, ``"random"`` included), ``diff``,
        ``diff_low``, ``diff_high`` (learned minus uncertainty, in shares),
        ``n_examples`` and ``n_rows``. Plain numbers, so a ranking can carry
        it in ``DataFrame.attrs``.
    """
    local = np.random.RandomState(seed)  # never the ranker's own stream
    ceiling = _captured(gain, gain, cost)
    scale = ceiling if ceiling > 0 else np.nan
    shares = {k: _captured(v, gain, cost) / scale for k, v in orders.items()}
    shares["random"] = (
        float(
            np.mean([_captured(local.rand(gain.size), gain, cost) for _ in range(20)])
        )
        / scale
    )
    rows, inverse = np.unique(groups, return_inverse=True)
    examples = np.arange(gain.size)
    diffs = []
    for _ in range(n_boot):
        # each complete row drawn k times brings its examples k times
        drawn = np.bincount(
            local.randint(rows.size, size=rows.size), minlength=rows.size
        )
        at = np.repeat(examples, drawn[inverse])
        g, c = gain[at], cost[at]
        top = _captured(g, g, c)
        if top <= 0:
            continue
        diffs.append(
            (
                _captured(orders["learned"][at], g, c)
                - _captured(orders["uncertainty"][at], g, c)
            )
            / top
        )
    low, high = (
        np.percentile(diffs, [2.5, 97.5]) if len(diffs) > 1 else (np.nan, np.nan)
    )
    return {
        "used": used,
        "shares": {k: float(v) for k, v in shares.items()},
        "diff": float(shares["learned"] - shares["uncertainty"]),
        "diff_low": float(low),
        "diff_high": float(high),
        "n_examples": int(gain.size),
        "n_rows": int(rows.size),
    }


def _captured(score, gain, cost, shares=SHARES):
    """Realized gain captured by spending shares of the cost in ``score``'s
    order (by score per cost), averaged over the shares."""
    order = np.argsort(-score / cost, kind="stable")
    spent = np.cumsum(cost[order])
    total = spent[-1]
    return float(np.mean([gain[order][spent <= q * total].sum() for q in shares]))


def _block_cols(modalities, names, subset):
    return np.concatenate([modalities[names[j]] for j in subset])


def _mask(subset, M):
    mask = np.zeros(M, dtype=bool)
    mask[list(subset)] = True
    return mask
