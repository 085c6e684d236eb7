"""What should a budget buy? A recommendation estimated from the pilot alone.

:func:`recommend` takes the complete rows a team has now (the pilot), the
size the training population will reach and a budget, and estimates by a
nested simulation inside the pilot what each strategy would buy and score:

1. the key is chosen once on the whole pilot, as
   :class:`BudgetedMultimodalClassifier` would choose it;
2. the plan says how many rows each strategy buys for real
   (:func:`make_plan` with ``n_reference=n_train``), a multiple of the pilot;
3. each repeat splits the pilot (stratified) into a validation part and the
   rest; a smaller pilot is taken from the rest so that each strategy can buy
   from what remains the same multiple of it as it would buy for real
   (budgets scaled), and every strategy is trained (the budgeted classifier
   in simulation mode, same rows and pool order for every strategy of a
   repeat) and scored on the validation part;
4. the paired differences to uniform rows get 95 % intervals over the
   repeats, widened for the repeats' correlation (:data:`REPEAT_CORRELATION`,
   measured), and the rule keeps uniform rows unless another strategy is
   better with its interval above 0; each interval also says the smallest
   true difference it would find 4 times in 5.

It never reads a row it was not given.
"""

import json
import math
import time
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from .._base import SEED_MAX, seed_streams
from .._modalities import observed_modalities, resolve_modalities
from .._stats import (
    detectable_difference,
    fit_log_curve,
    mean_interval,
    resampled_paired_interval,
    verdict,
)
from .._threads import single_threaded_job
from ..exceptions import BudgetError, CooperationWarning, ModalityError
from ..impute import ClassConditionalGaussianImputer
from ..planning import make_plan
from ..planning._recommend import NAMES, RECOMMEND_STRATEGIES, REFERENCE, decide
from ..plotting import plot_learning_curve, plot_paired_differences
from ..selection import ModalitySelector
from ._benchmark import _markdown
from ._budgeted import BudgetedMultimodalClassifier

__all__ = [
    "REPEAT_CORRELATION",
    "Recommendation",
    "decide",
    "recommend",
    "recommend_parts",
]

#: The fewest rows a repeat validates on, and the fewest of its smaller pilot:
#: below them the pilot is too small to estimate anything.
MIN_VALIDATION = 5
MIN_SMALL_PILOT = 3

#: The correlation of two repeats' paired differences (same pilot, different
#: splits), measured: over 10 pilots per cell of bench/experiments_recommend.py
#: (six tables, 198 cells x strategies, 20 to 60 repeats), the estimate's
#: spread between pilots matches ``s^2 (1 / J + rho / (1 - rho))`` with rho
#: about 0.02 [0.015, 0.026]; 0.03 is the smallest value at which the 95 %
#: interval covers the estimate of another pilot at least 95 % of the time on
#: every table (96.7 % overall). Nadeau and Bengio's ``n_valid / n_pilot``
#: (0.3 here) covers 99.9 %: intervals 2.6 times too wide.
REPEAT_CORRELATION = 0.03

#: The chance with which the reported detectable difference is found.
DETECTION_POWER = 0.8

#: Parameters of the budgeted classifier that ``recommend`` sets itself.
_RESERVED = ("modalities", "budget", "available", "strategy", "costs", "random_state")


class _GivenKey(BaseEstimator):
    """A selector that selects a given key (chosen once on the whole pilot)."""

    def __init__(self, subset=None):
        self.subset = subset

    def fit(self, X, y=None, **params):
        self.selected_modalities_ = list(self.subset)
        return self


def recommend_parts(modalities):
    """The parts :func:`recommend` trains by default: fast and robust.

    A :class:`~sklearn_skll.ModalitySelector` with its defaults (a
    regularised linear model retrained per subset), the
    :class:`~sklearn_skll.ClassConditionalGaussianImputer` (the budgeted
    classifier's default generator) and a mean-imputing, standardised
    logistic regression (the benchmark's default classifier).
    """
    return {
        "selector": ModalitySelector(modalities=modalities),
        "imputer": ClassConditionalGaussianImputer(modalities=modalities),
        "classifier": make_pipeline(
            SimpleImputer(keep_empty_features=True),
            MaxAbsScaler(),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        ),
    }


def _check_n_train(n_train, n_pilot):
    if (
        isinstance(n_train, bool)
        or not isinstance(n_train, Integral)
        or n_train <= n_pilot
    ):
        raise BudgetError(
            "`n_train` must be an int larger than the pilot's rows "
            f"({n_pilot}): the rows the training population will hold once "
            f"the budget is spent, pilot included. Got {n_train!r} instead."
        )
    return int(n_train)


def _split(y, size, seed):
    """Stratified split of ``range(len(y))`` (plain when a class is too small)."""
    idx = np.arange(y.shape[0])
    try:
        return train_test_split(idx, test_size=size, stratify=y, random_state=seed)
    except ValueError:
        return train_test_split(idx, test_size=size, random_state=seed)


@single_threaded_job
def _one_repeat(X, y, modalities_, geometry, parts, key, costs, seed, curve_sizes):
    """Every strategy on one split of the pilot: scores on its validation part."""
    rest, valid = _split(y, geometry["n_valid"], seed)
    X_rest, y_rest = X[rest], y[rest]
    X_valid, y_valid = X[valid], y[valid]
    n_small = geometry["n_small"]
    rows, scores, bought = {}, {}, {}
    with warnings.catch_warnings():
        # Tiny parts warn by design here (a class with one row, a pool the
        # scaled budget exhausts); the report counts the capped purchases.
        warnings.simplefilter("ignore")
        for strategy, budget in geometry["budgets"].items():
            generates = strategy == "skll"
            est = BudgetedMultimodalClassifier(
                modalities=modalities_,
                available=n_small,
                budget=budget,
                strategy=strategy,
                costs=costs,
                selector=_GivenKey(key) if key is not None else None,
                imputer=parts["imputer"] if generates else parts["complete"],
                classifier=parts["classifier"],
                random_state=seed,
            )
            est.fit(X_rest, y_rest)
            scores[strategy] = float(est.score(X_valid, y_valid))
            bought[strategy] = int(est.new_indices_.size)
        curve = []
        for n in curve_sizes:
            if n >= len(rest):
                continue
            est = BudgetedMultimodalClassifier(
                modalities=modalities_,
                available=int(n),
                strategy="available_only",
                imputer=parts["complete"],
                classifier=parts["classifier"],
                random_state=seed,
            ).fit(X_rest, y_rest)
            curve.append((int(n), float(est.score(X_valid, y_valid))))
    rows = {"scores": scores, "bought": bought, "curve": curve}
    return rows


def _geometry(n_pilot, n_classes, real_rows, validation_size):
    """Sizes of one repeat: validation part, smaller pilot and scaled purchases."""
    n_valid = max(n_classes, MIN_VALIDATION, int(round(validation_size * n_pilot)))
    n_rest = n_pilot - n_valid
    ratio = {s: n / n_pilot for s, n in real_rows.items()}
    top = max(ratio.values())
    n_small = max(n_classes, int(math.floor(n_rest / (1 + top))))
    if n_small >= n_rest or n_small < max(n_classes, MIN_SMALL_PILOT):
        return None
    pool = n_rest - n_small
    target = {s: min(pool, int(round(r * n_small))) for s, r in ratio.items()}
    return {
        "n_valid": n_valid,
        "n_rest": n_rest,
        "n_small": n_small,
        "pool": pool,
        "ratio": ratio,
        "target": target,
    }


def _scaled_budgets(target, plan, key, names):
    """Integer budgets (cost units of ``costs / min(costs)``) buying ``target``.

    Costs are rescaled so that the cheapest modality costs 1: every row then
    costs at least 1 unit, and ``ceil(rows * cost)`` units buy exactly
    ``rows`` rows.
    """
    costs = plan.cost_dict
    low = min(costs.values())
    scaled = {n: c / low for n, c in costs.items()}
    budgets = {}
    for strategy, rows in target.items():
        if strategy == "available_only":
            budgets[strategy] = 1  # buys nothing whatever the budget
            continue
        carried = names if strategy == "uniform" else key
        per_row = sum(scaled[n] for n in carried)
        budgets[strategy] = max(1, math.ceil(rows * per_row - 1e-9))
    return budgets, scaled


def recommend(
    X,
    y,
    *,
    modalities,
    budget,
    n_train,
    costs=None,
    strategies=RECOMMEND_STRATEGIES,
    estimator_params=None,
    n_repeats=20,
    validation_size=0.3,
    confidence=0.95,
    learning_curve=True,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    """Recommend how to spend a data budget, estimated on the pilot alone.

    Read more in the :ref:`User Guide <recommend>`.

    Parameters
    ----------
    X : {array-like, DataFrame} of shape (n_pilot, n_features)
        The pilot: the complete rows at hand (every modality observed).
    y : array-like of shape (n_pilot,)
        Class labels.
    modalities : dict
        ``name -> column selector``, as everywhere in the package.
    budget : float or int
        As in :class:`BudgetedMultimodalClassifier`: a float in (0, 1] is a
        fraction of ``n_train`` rows' modality-observations at the mean
        cost, an int a number of cost units.
    n_train : int
        The rows the training population will hold, pilot included: the
        budget's reference and the pool it buys from (``n_train - n_pilot``
        rows).
    costs : dict of str -> float, default=None
        Cost of one observation of each modality (1 each if None).
    strategies : sequence of str, default=("uniform", "available_only", \
"skll_no_generation", "skll")
        The strategies to compare (``"full"`` is a bound, not a choice).
    estimator_params : dict, default=None
        The parts the user will train (``selector``, ``imputer``,
        ``classifier``, ``key``, ``n_draws``, ...), as in
        :func:`run_protocol`; they replace those of :func:`recommend_parts`
        (a mean-imputing logistic regression, the class-conditional Gaussian
        imputer, the default selector). The key is chosen on the whole pilot
        as :class:`BudgetedMultimodalClassifier` chooses it: its ``key``
        (default ``"gain_per_cost"``), ``budget`` and ``costs`` are handed to
        the selector, and a given selector whose own setting conflicts is a
        ``ValueError``.
    n_repeats : int, default=20
        Splits of the pilot. The intervals narrow with more repeats: their
        width goes as ``sqrt(1 / n_repeats + 0.031)`` (the repeats'
        correlation, :data:`REPEAT_CORRELATION`), so 60 repeats give
        intervals about 0.75 times as wide as 20, at three times the time.
    validation_size : float, default=0.3
        Share of the pilot each repeat scores on.
    confidence : float, default=0.95
        Level of the intervals.
    learning_curve : bool, default=True
        Also fit the classifier on nested parts of each repeat's rows, for
        the learning-curve verdict (a few more fits per repeat).
    random_state : int, RandomState instance or None, default=None
        Seeds the key's selector (as the budgeted classifier's ``selector``
        stream, so the key is the one ``BudgetedMultimodalClassifier`` with
        the same seed would choose on these rows) and the repeats.
    n_jobs : int, default=None
        Repeats in parallel (joblib).
    verbose : int, default=0
        1 shows a progress bar over the repeats.

    Returns
    -------
    recommendation : Recommendation

    Notes
    -----
    Nested simulation: each repeat holds out ``validation_size`` of the
    pilot and takes from the rest a smaller pilot of ``n_small`` rows such
    that every strategy can buy, from the rows left, ``n_small`` times the
    multiple of the pilot it buys for real (``rows(s) / n_pilot``, from
    :func:`make_plan` with ``n_reference=n_train``). Under the learning
    curve ``a + b log(rows)``, the value of a purchase depends on that
    multiple only, so the scaled purchase stands for the real one. The
    strategies of a repeat share the smaller pilot, the pool order and the
    validation rows: their differences are paired. The key is chosen once
    on the whole pilot; the simulation measures rows carrying it.

    The decision rule (:func:`decide`) keeps uniform rows unless another
    strategy's paired difference to them has its interval above 0. The
    interval is the Student-t interval over the repeats, its variance
    widened for the repeats' correlation (they resplit one pilot):
    ``s^2 (1 / J + rho / (1 - rho))`` with ``rho =``
    :data:`REPEAT_CORRELATION`, measured so that the interval covers what
    another pilot would estimate 95 % of the time. Nadeau and Bengio's
    correction [1]_ (``rho = n_valid / n_pilot``) was measured 2.6 times too
    wide here. ``estimates["detectable"]`` is the smallest true difference
    the interval would find (lie above 0) 4 times in 5: a smaller one is
    mostly reported as "no difference". It assumes the scaled-down purchase
    stands for the real one; where a strategy's value changes sign between
    the smaller pilot's size and the real one, no interval width helps.

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the generalization
       error", Machine Learning 52, 2003.

    Examples
    --------
    >>> from sklearn_skll.budget import recommend
    >>> from sklearn_skll.datasets import make_multimodal_classification
    >>> data = make_multimodal_classification(n_samples=120, random_state=0)
    >>> rec = recommend(data.data, data.target, modalities=data.modalities,
    ...                 budget=0.3, n_train=400, n_repeats=5, random_state=0)
    >>> rec.strategy in ("uniform", "available_only", "skll", "skll_no_generation")
    True
    >>> list(rec.estimates.columns[:3])
    ['accuracy', 'rows_bought', 'diff']
    """
    start = time.perf_counter()
    strategies = tuple(strategies)
    unknown = [s for s in strategies if s not in RECOMMEND_STRATEGIES]
    if unknown or not strategies:
        raise ValueError(
            f"`strategies` must be a non-empty subset of {list(RECOMMEND_STRATEGIES)}."
            f" Got {list(strategies)} instead."
        )
    if not (isinstance(n_repeats, Integral) and n_repeats >= 2):
        raise ValueError(f"`n_repeats` must be an int >= 2. Got {n_repeats!r} instead.")
    if not (isinstance(validation_size, Real) and 0 < validation_size < 1):
        raise ValueError(
            f"`validation_size` must be in (0, 1). Got {validation_size!r} instead."
        )
    if not (isinstance(confidence, Real) and 0 < confidence < 1):
        raise ValueError(f"`confidence` must be in (0, 1). Got {confidence!r} instead.")
    params = dict(estimator_params or {})
    reserved = sorted(set(params) & set(_RESERVED))
    if reserved:
        raise ValueError(
            f"`estimator_params` must not set {reserved}: recommend sets them "
            f"(pass `costs`, `budget` and `random_state` to it). Got {reserved} "
            "instead."
        )

    feature_names = list(X.columns) if hasattr(X, "columns") else None
    modalities_ = resolve_modalities(modalities, X, min_modalities=1)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"`X` must be 2-D. Got shape {X.shape} instead.")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"`y` must be 1-D with one label per row of X ({X.shape[0]}). Got "
            f"shape {y.shape} instead."
        )
    check_classification_targets(y)
    observed = observed_modalities(X, modalities_)
    incomplete = np.flatnonzero(~observed.all(axis=1))
    if incomplete.size:
        raise ModalityError(
            "`X` must be the pilot's complete rows (every modality observed): "
            "the simulation hides modalities itself. Got "
            f"{incomplete.size} rows with a missing modality (e.g. row "
            f"{int(incomplete[0])}) instead."
        )
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise ValueError(
            f"`y` must hold at least 2 classes. Got {classes.size} class instead."
        )
    n_pilot = X.shape[0]
    n_train = _check_n_train(n_train, n_pilot)
    names = list(modalities_)
    plan0 = make_plan(names, budget, costs=costs, n_reference=n_train)
    costs = plan0.cost_dict

    defaults = recommend_parts(modalities_)
    parts = {**defaults, **params}
    notes = []
    seeds = seed_streams(random_state, "selector", "repeats")

    # 1. The key, once, on the whole pilot.
    key, selector = None, None
    wants_key = [s for s in strategies if s in ("skll", "skll_no_generation")]
    if wants_key and len(names) < 2:
        notes.append(
            "one modality: there is no key to buy, so SK-LL's strategies are left out"
        )
    elif wants_key:
        key, selector, note = _choose_key(
            X, y, modalities_, parts, params, budget, costs, seeds["selector"]
        )
        if note:
            notes.append(note)
    if key is None:
        strategies = tuple(
            s for s in strategies if s not in ("skll", "skll_no_generation")
        )

    # 2. What each strategy buys for real.
    plan = make_plan(
        names,
        budget,
        key_subset=None if key is None else list(key),
        costs=costs,
        n_reference=n_train,
    )
    pool_real = n_train - n_pilot
    real_rows, unspent = {}, {}
    for s in strategies:
        wanted = plan.n_new_rows(s)
        real_rows[s] = min(wanted, pool_real)
        if wanted > pool_real:
            per_row = plan[s].cost_per_row
            unspent[s] = (plan[s].n_new_rows_exact - pool_real) * per_row
            notes.append(
                f"{NAMES[s]} would buy {wanted} rows but the population holds "
                f"{pool_real} more: it buys them all and leaves "
                f"{unspent[s]:.4g} of {plan.budget_cost:.4g} cost units unspent"
            )

    # 3. The nested simulation.
    geometry = _geometry(n_pilot, classes.size, real_rows, validation_size)
    fitted = {
        "classifier": parts["classifier"],
        "imputer": parts.get("imputer"),
        # Complete rows pass any imputer unchanged: the cheap one stands in.
        "complete": _complete_rows_imputer(),
    }
    runs, curve = None, None
    if geometry is None:
        notes.append(
            f"the pilot ({n_pilot} rows, {classes.size} classes) is too small to "
            "split into a validation part, a smaller pilot and a pool: nothing "
            "could be estimated"
        )
    else:
        budgets, scaled_costs = _scaled_budgets(
            geometry["target"], plan, key or (), names
        )
        geometry["budgets"] = {s: budgets[s] for s in strategies}
        capped = [
            s
            for s in strategies
            if geometry["target"][s] < round(geometry["ratio"][s] * geometry["n_small"])
        ]
        if capped:
            notes.append(
                "the pilot is too small to scale the largest purchases exactly: "
                f"{', '.join(NAMES[s] for s in capped)} bought the whole "
                "simulated pool (an underestimate for them)"
            )
        small = geometry["n_small"]
        curve_sizes = sorted(
            {
                n
                for n in (
                    small // 2,
                    small,
                    2 * small,
                    4 * small,
                    geometry["n_rest"] - 1,
                )
                if max(2 * classes.size, 4) <= n < geometry["n_rest"]
            }
        )
        if not learning_curve:
            curve_sizes = []
        rng = check_random_state(seeds["repeats"])
        repeat_seeds = rng.randint(SEED_MAX, size=n_repeats)
        jobs = (
            delayed(_one_repeat)(
                X,
                y,
                modalities_,
                geometry,
                fitted,
                key,
                scaled_costs,
                int(seed),
                curve_sizes,
            )
            for seed in repeat_seeds
        )
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        if verbose:
            results = tqdm(results, total=n_repeats, desc="[recommend] repeats")
        records, points = [], []
        for r, result in enumerate(results):
            for s in strategies:
                records.append(
                    {
                        "repeat": r,
                        "strategy": s,
                        "accuracy": result["scores"][s],
                        "n_small": geometry["n_small"],
                        "n_new": result["bought"][s],
                    }
                )
            points.extend(
                {"seed": r, "n_rows": n, "accuracy": a} for n, a in result["curve"]
            )
        runs = pd.DataFrame(records)
        curve = pd.DataFrame(points, columns=["seed", "n_rows", "accuracy"])

    estimates = _estimates(
        runs, strategies, real_rows, plan, key, geometry, confidence, n_pilot
    )
    if runs is None:
        choice = REFERENCE if REFERENCE in strategies else strategies[0]
    else:
        choice = decide(estimates, REFERENCE)
    reference = REFERENCE if REFERENCE in strategies else None
    return Recommendation(
        strategy=choice,
        key=key if choice in ("skll", "skll_no_generation") else None,
        candidate_key=key,
        estimates=estimates,
        reference=reference,
        plan=plan,
        runs=runs,
        learning_curve=curve,
        selector=selector,
        geometry=geometry,
        notes=notes,
        settings={
            "n_pilot": n_pilot,
            "n_train": n_train,
            "budget": budget,
            "budget_cost": plan.budget_cost,
            "costs": dict(costs),
            "default_costs": plan0 is not None and costs == {n: 1.0 for n in names},
            "strategies": list(strategies),
            "n_repeats": n_repeats,
            "validation_size": validation_size,
            "confidence": confidence,
            "classes": [str(c) for c in classes],
            "class_counts": [int(c) for c in counts],
            "modalities": {n: len(c) for n, c in modalities_.items()},
            "feature_names": feature_names is not None,
            "unspent": unspent,
        },
        wall_time=time.perf_counter() - start,
    )


def _complete_rows_imputer():
    return SimpleImputer(keep_empty_features=True)


def _choose_key(X, y, modalities_, parts, params, budget, costs, seed):
    """The key the budgeted classifier would choose on these rows (or None).

    The selector is made and told its key rule, budget and costs by the
    budgeted classifier's own rules (unset modalities and seeds filled, one
    device, a conflicting setting on a given selector an error), so the key
    is the one a real fit chooses.
    """
    given = {n: params[n] for n in ("key", "selector", "device") if n in params}
    budgeted = BudgetedMultimodalClassifier(
        modalities=modalities_, budget=budget, costs=costs, **given
    )
    selector = budgeted._make_part(
        params.get("selector"),
        lambda: clone(parts["selector"]),
        seed,
        role="selector",
    )
    selector.set_params(**budgeted._selector_settings(selector))
    classes, counts = np.unique(y, return_counts=True)
    keep = ~np.isin(y, classes[counts < 2])
    if np.unique(y[keep]).size < 2:
        return (
            None,
            None,
            (
                "too few rows per class to score the modality subsets: SK-LL's "
                "strategies are left out"
            ),
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CooperationWarning)
            warnings.filterwarnings("ignore", message=".*fewer rows than folds.*")
            selector.fit(X[keep], y[keep])
    except ValueError as exc:
        return (
            None,
            None,
            f"the key could not be chosen ({exc}): SK-LL's strategies are left out",
        )
    key = getattr(selector, "key_subset_", None)
    if key is None:
        key = selector.selected_modalities_
    key = tuple(n for n in modalities_ if n in set(key))
    if len(key) == len(modalities_):
        return None, selector, "the key holds every modality: SK-LL is uniform here"
    return key, selector, None


def _estimates(runs, strategies, real_rows, plan, key, geometry, confidence, n_pilot):
    """One row per strategy: accuracy, rows, paired difference to uniform."""
    rows = []
    for s in strategies:
        row = {
            "strategy": s,
            "accuracy": np.nan,
            "rows_bought": real_rows[s],
            "diff": np.nan,
            "diff_ci_low": np.nan,
            "diff_ci_high": np.nan,
            "detectable": np.nan,
            "verdict": "",
            "carries": "+".join(() if s == "available_only" else plan[s].modalities),
            "rows_total": n_pilot + real_rows[s],
            "simulated_pilot": np.nan,
            "simulated_rows": np.nan,
            "wins": 0,
            "ties": 0,
            "losses": 0,
        }
        if runs is not None:
            mine = runs[runs["strategy"] == s].set_index("repeat")
            row["accuracy"] = mine["accuracy"].mean()
            row["simulated_pilot"] = geometry["n_small"]
            row["simulated_rows"] = mine["n_new"].mean()
            if s == REFERENCE:
                row["verdict"] = "reference"
            elif REFERENCE in strategies:
                ref = runs[runs["strategy"] == REFERENCE].set_index("repeat")
                diff = (mine["accuracy"] - ref["accuracy"]).to_numpy(dtype=float)
                mean, low, high = difference_interval(diff, confidence)
                tie = np.isclose(diff, 0.0, rtol=0.0, atol=1e-12)
                row.update(
                    diff=mean,
                    diff_ci_low=low,
                    diff_ci_high=high,
                    detectable=detectable_difference(
                        low, high, diff.size, confidence, DETECTION_POWER
                    ),
                    wins=int(np.sum((diff > 0) & ~tie)),
                    ties=int(np.sum(tie)),
                    losses=int(np.sum((diff < 0) & ~tie)),
                    verdict=verdict(low, high),
                )
        rows.append(row)
    return pd.DataFrame(rows).set_index("strategy")


def difference_interval(diffs, confidence=0.95):
    """Mean and interval of paired differences over the repeats of one pilot.

    The Student-t interval over the repeats, widened for their correlation
    (:data:`REPEAT_CORRELATION`, measured): what :func:`recommend` reports
    and decides on.
    """
    return resampled_paired_interval(
        diffs, confidence=confidence, correlation=REPEAT_CORRELATION
    )


def _points(value):
    return f"{100 * value:+.1f}"


class Recommendation:
    """What :func:`recommend` estimated, and what it recommends.

    Attributes
    ----------
    strategy : str
        The recommended strategy: ``"uniform"``, ``"available_only"``,
        ``"skll"`` or ``"skll_no_generation"``.
    key : tuple of str or None
        The modalities new rows should carry when the recommendation is one
        of SK-LL's strategies; None otherwise.
    candidate_key : tuple of str or None
        The key SK-LL's strategies were estimated with (chosen on the whole
        pilot), whatever the recommendation.
    estimates : DataFrame
        One row per strategy: ``accuracy`` (estimated, mean over repeats),
        ``rows_bought`` (new rows it buys for real), ``diff`` (paired
        difference to uniform), ``diff_ci_low``, ``diff_ci_high`` (its
        interval), ``detectable`` (the smallest true difference that
        interval finds 4 times in 5), ``verdict``, ``carries`` (the
        modalities the new rows carry), ``rows_total``, ``simulated_pilot``
        and ``simulated_rows`` (the sizes of the simulation), ``wins``,
        ``ties``, ``losses`` (repeats).
    verdict : str
        The recommendation in one sentence.
    reference : str or None
        The strategy the differences are taken to (``"uniform"``).
    plan : AcquisitionPlan
        The real plan (``n_reference=n_train``).
    runs : DataFrame or None
        One row per (repeat, strategy): ``accuracy`` on the validation part,
        ``n_small`` (the smaller pilot), ``n_new`` (rows bought).
    learning_curve : DataFrame or None
        ``seed`` (the repeat), ``n_rows``, ``accuracy``: the classifier on
        nested parts of the pilot, scored on the validation part.
    selector : estimator or None
        The selector fitted on the whole pilot (the key's evidence).
    notes : list of str
    settings : dict
    wall_time : float
    """

    def __init__(
        self,
        *,
        strategy,
        key,
        candidate_key,
        estimates,
        reference,
        plan,
        runs,
        learning_curve,
        selector,
        geometry,
        notes,
        settings,
        wall_time,
    ):
        self.strategy = strategy
        self.key = key
        self.candidate_key = candidate_key
        self.estimates = estimates
        self.reference = reference
        self.plan = plan
        self.runs = runs
        self.learning_curve = learning_curve
        self.selector = selector
        self.geometry = geometry
        self.notes = list(notes)
        self.settings = settings
        self.wall_time = wall_time
        self.verdict = self._verdict()

    def __repr__(self):
        return f"Recommendation(strategy={self.strategy!r}, key={self.key!r})"

    # ------------------------------------------------------------ words

    def _interval(self, r):
        if not np.isfinite(r["diff_ci_low"]):
            return ""
        return f"[{_points(r['diff_ci_low'])}, {_points(r['diff_ci_high'])}]"

    def _what(self, strategy):
        r = self.estimates.loc[strategy]
        n = int(r["rows_bought"])
        if strategy == "available_only":
            return "buy nothing: train on the pilot alone"
        if strategy == "uniform":
            return f"buy {n} complete rows (every modality)"
        key = "+".join(self.candidate_key)
        if strategy == "skll":
            return f"buy {n} rows carrying only {key} and generate the rest"
        return f"buy {n} rows carrying only {key}, the rest left missing"

    def _verdict(self):
        est = self.estimates
        what = self._what(self.strategy).capitalize()
        if self.runs is None:
            return (
                f"{what}: the pilot is too small to estimate anything, so the "
                "recommendation keeps the simplest strategy."
            )
        if self.strategy != self.reference and self.reference is not None:
            r = est.loc[self.strategy]
            return (
                f"{what}: estimated {_points(r['diff'])} points "
                f"{self._interval(r)} over {est.loc[self.reference, 'rows_bought']:.0f}"
                " complete rows (uniform)."
            )
        others = est.drop(index=self.strategy)
        if others.empty or self.reference is None:
            return f"{what}."
        best = others["diff"].idxmax()
        r = others.loc[best]
        if r["verdict"] == "worse":
            tail = (
                f"every other strategy is estimated worse (the best of them, "
                f"{NAMES[best]}: {_points(r['diff'])} points {self._interval(r)})"
            )
        else:
            tail = (
                f"no other strategy is estimated better (the closest, "
                f"{NAMES[best]}: {_points(r['diff'])} points {self._interval(r)}, "
                f"{'no difference' if r['verdict'] != 'better' else 'better'})"
            )
            if np.isfinite(r["detectable"]):
                tail += (
                    "; this pilot finds a true difference 4 times in 5 only "
                    f"from about {100 * r['detectable']:.1f} points up"
                )
        return f"{what}: {tail}."

    def curve_sentence(self):
        """Is more data worth it here? The learning curve on the pilot, in words."""
        curve = self.learning_curve
        if curve is None or curve["n_rows"].nunique() < 2:
            return "The pilot is too small for a learning curve."
        slopes = [
            fit_log_curve(group["n_rows"], group["accuracy"])[1]
            for _, group in curve.groupby("seed")
        ]
        slope, low, high = mean_interval(np.asarray(slopes) * np.log(2))
        text = (
            f"On the pilot the classifier gains {_points(slope)} points per "
            f"doubling of rows [{_points(low)}, {_points(high)}] "
            f"({curve['n_rows'].min():.0f} to {curve['n_rows'].max():.0f} rows, "
            f"{curve['seed'].nunique()} repeats)"
        )
        n_pilot = self.settings["n_pilot"]
        if "uniform" in self.estimates.index:
            rows = self.estimates.loc["uniform", "rows_bought"]
            gain = slope * np.log2((n_pilot + rows) / n_pilot)
            text += (
                f"; by the curve, uniform's {rows:.0f} complete rows would add "
                f"about {_points(gain)} points to the pilot's {n_pilot} rows"
            )
        if not low > 0:
            text += (
                ": the curve is flat within its interval, so more rows, whoever "
                "buys them, may change little"
            )
        return text + "."

    # ------------------------------------------------------------ report

    def estimates_frame(self):
        """The estimates as a table to print (percent and points)."""
        est = self.estimates
        frame = pd.DataFrame(
            {
                "strategy": list(est.index),
                "new rows carry": [c or "-" for c in est["carries"].tolist()],
                "rows bought": [f"{v:.0f}" for v in est["rows_bought"]],
                "estimated accuracy %": [
                    "" if not np.isfinite(a) else f"{100 * a:.1f}"
                    for a in est["accuracy"]
                ],
                f"vs {self.reference} (points, 95 % CI)": [
                    "reference"
                    if s == self.reference
                    else ""
                    if not np.isfinite(r["diff"])
                    else f"{_points(r['diff'])} {self._interval(r)} {r['verdict']}"
                    for s, r in est.iterrows()
                ],
                "found 4 in 5 from (points)": [
                    ""
                    if s == self.reference or not np.isfinite(r["detectable"])
                    else f"{100 * r['detectable']:.1f}"
                    for s, r in est.iterrows()
                ],
                "repeats won/tied/lost": [
                    ""
                    if s == self.reference or self.runs is None
                    else f"{r['wins']}/{r['ties']}/{r['losses']}"
                    for s, r in est.iterrows()
                ],
            }
        )
        return frame

    def _budget_words(self, short=False):
        """The budget and its unit."""
        s = self.settings
        budget = s["budget"]
        if isinstance(budget, Integral):
            return f"budget {budget} cost units"
        if short:
            return f"budget {100 * budget:g} %"
        return (
            f"budget {100 * budget:g} % of the {s['n_train']} training rows' "
            "modality-observations, at the mean cost"
        )

    def settings_lines(self):
        """The question asked: pilot, population, budget, costs."""
        s = self.settings
        costs = ", ".join(f"{k} {v:g}" for k, v in s["costs"].items())
        if s["default_costs"]:
            costs += " (the default: 1 each)"
        budget = s["budget"]
        if isinstance(budget, Integral):
            btext = f"{budget} cost units"
        else:
            btext = (
                f"{100 * budget:g} % of the {s['n_train']} training rows' "
                "modality-observations at the mean cost"
            )
        lines = [
            f"Pilot: {s['n_pilot']} complete rows ("
            + ", ".join(
                f"class {c} {n}" for c, n in zip(s["classes"], s["class_counts"])
            )
            + f"); the training population will hold {s['n_train']} rows.",
            f"Budget: {btext} = {s['budget_cost']:.4g} cost units.",
            f"Cost of one observation per modality: {costs}.",
        ]
        if self.candidate_key is not None:
            lines.append(
                f"Key (the modalities SK-LL's new rows carry, chosen on the whole "
                f"pilot): {'+'.join(self.candidate_key)}."
            )
        g = self.geometry
        if g is not None:
            lines.append(
                f"Estimated by {s['n_repeats']} repeats of a nested simulation "
                f"on the pilot: {g['n_valid']} rows to validate, a smaller pilot "
                f"of {g['n_small']} rows buying from the other {g['pool']} the "
                "same multiple of itself each strategy buys for real; "
                "differences paired by repeat, 95 % intervals widened for the "
                f"repeats' correlation ({REPEAT_CORRELATION:g}, measured)."
            )
        return lines

    def to_markdown(self):
        """The report, ``results.md``: the recommendation first."""
        parts = ["# Recommendation", "", f"**{self.verdict}**", ""]
        parts += [f"- {line}" for line in self.settings_lines()]
        parts += ["", "## Estimates", "", _markdown(self.estimates_frame())]
        parts += ["", "## Is more data worth it here?", "", self.curve_sentence()]
        if self.notes:
            parts += ["", "## Notes", ""]
            parts += [f"- {n}" for n in self.notes]
        parts += [
            "",
            "## The rule",
            "",
            (
                "Uniform rows (complete rows, no key, nothing generated) are "
                "kept unless another strategy's paired difference to them has "
                "its 95 % interval above 0; among several, the largest "
                "difference wins. An interval that holds 0 is no difference. "
                "The intervals allow for the repeats' correlation (they resplit "
                f"one pilot; {REPEAT_CORRELATION:g}, measured so that a 95 % "
                "interval covers what another pilot would estimate 95 % of the "
                "time). 'Found 4 in 5 from' is the smallest true difference "
                "whose interval would lie above 0 four times in five: smaller "
                "differences, even real ones, mostly read as no difference "
                "here. More repeats (`n_repeats`) narrow the intervals; a "
                "larger pilot narrows them more."
            ),
        ]
        return "\n".join(parts) + "\n"

    def to_json(self):
        """The settings, estimates and runs as a JSON-ready dict."""

        def records(frame):
            return json.loads(frame.reset_index().to_json(orient="records"))

        s = dict(self.settings)
        out = {
            "strategy": self.strategy,
            "key": None if self.key is None else list(self.key),
            "candidate_key": None
            if self.candidate_key is None
            else list(self.candidate_key),
            "verdict": self.verdict,
            "learning_curve_verdict": self.curve_sentence(),
            **{k: v for k, v in s.items() if k != "feature_names"},
            "geometry": None
            if self.geometry is None
            else {
                k: v
                for k, v in self.geometry.items()
                if k in ("n_valid", "n_rest", "n_small", "pool", "target")
            },
            "estimates": records(self.estimates),
            "notes": self.notes,
            "wall_time_s": round(self.wall_time, 1),
        }
        if self.runs is not None:
            out["runs"] = records(self.runs.set_index("repeat"))
        return out

    def save(self, out):
        """Write ``results.md``, ``results.csv``, ``results.json`` and plots.

        Parameters
        ----------
        out : path-like
            Folder, created if needed.

        Returns
        -------
        paths : list of pathlib.Path
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "results.md", out / "results.csv", out / "results.json"]
        (out / "results.md").write_text(self.to_markdown())
        runs = self.runs if self.runs is not None else pd.DataFrame()
        runs.to_csv(out / "results.csv", index=False)
        (out / "results.json").write_text(json.dumps(self.to_json(), indent=2))
        written += self._plots(out)
        return written

    def _plots(self, out):
        if self.runs is None:
            return []
        import matplotlib.pyplot as plt

        written = []
        est = self.estimates.drop(index=self.reference, errors="ignore")
        if self.reference is not None and len(est):
            s = self.settings
            available = s["n_pilot"] / s["n_train"]
            budget = s["budget"]
            paired = pd.DataFrame(
                {
                    "available": available,
                    "budget": budget if not isinstance(budget, Integral) else np.nan,
                    "strategy": est.index,
                    "mean_diff": est["diff"].to_numpy(),
                    "diff_ci_low": est["diff_ci_low"].to_numpy(),
                    "diff_ci_high": est["diff_ci_high"].to_numpy(),
                    "n_seeds": s["n_repeats"],
                }
            ).set_index(["available", "budget", "strategy"])
            fig, ax = plt.subplots(figsize=(8.5, 2.8))
            plot_paired_differences(paired, ax, reference=self.reference)
            ax.set_yticks(
                ax.get_yticks(),
                [
                    f"pilot {s['n_pilot']} of {s['n_train']} rows\n"
                    + self._budget_words(short=True)
                ],
                fontsize=8,
            )
            ax.set_title(
                f"Estimated on the pilot: each strategy minus {self.reference}\n"
                f"({self._budget_words()})",
                fontsize=10,
            )
            ax.set_xlabel(
                f"accuracy minus {self.reference}'s, same repeat (points)\n"
                f"mean and 95 % CI over {s['n_repeats']} repeats (widened for "
                "their correlation); right of 0: better"
            )
            fig.tight_layout()
            fig.savefig(out / "paired_differences.png", dpi=120)
            plt.close(fig)
            written.append(out / "paired_differences.png")
        if self.learning_curve is not None and len(self.learning_curve):
            fig, ax = plt.subplots(figsize=(8.5, 4.2))
            plot_learning_curve(self.learning_curve, ax)
            ax.set_title(
                "Learning curve on the pilot: mean, 95 % CI over "
                f"{self.learning_curve['seed'].nunique()} repeats",
                fontsize=10,
            )
            fig.tight_layout()
            fig.savefig(out / "learning_curve.png", dpi=120)
            plt.close(fig)
            written.append(out / "learning_curve.png")
        return written
