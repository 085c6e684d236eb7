"""The paper's budget protocol (Section 4.1, Tables 2 and 3) on any dataset.

One fixed stratified test split; for each seed, available ratio, budget and
strategy, a :class:`BudgetedMultimodalClassifier` simulates the acquisition
on the training part and is scored on the test part.
"""

import time
import uuid
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from .._stats import (
    format_interval,
    most_frequent,
    paired_differences,
    sort_cells,
)
from .._threads import single_threaded_job
from ..planning import STRATEGIES, check_costs
from ..planning._simulation import FitOnce
from ..selection import ModalitySelector
from ._budgeted import BudgetedMultimodalClassifier

__all__ = ["fast_parts", "run_protocol", "summarize"]

#: The fixed stratified test split of the protocol: its size and its seed.
TEST_SIZE = 0.3
TEST_RANDOM_STATE = 0

#: Strategies whose training rows lack modalities for the imputer to fill.
_GENERATING = ("skll",)

#: Columns of the frame :func:`run_protocol` returns.
RUN_COLUMNS = [
    "seed",
    "available",
    "budget",
    "strategy",
    "n_available",
    "n_new",
    "n_train",
    "unspent_budget",
    "key_subset",
    "imputer",
    "accuracy",
    "f1_macro",
    "fit_time",
]


def fast_parts(modalities, *, device="cpu"):
    """Small, fast parts for :class:`BudgetedMultimodalClassifier` benchmarks.

    The settings the command line's ``benchmark`` uses by default, so that the
    paper's protocol (100 fits) runs in minutes on a laptop CPU:

    - selector: :class:`~sklearn_skll.ModalitySelector` with its defaults
      (a regularised linear model retrained per subset up to 1,000 rows, on
      stratified folds; the small masked net above);
    - imputer: :class:`~sklearn_skll.FlowImputer` with 2 coupling layers,
      32 hidden units and at most 20 epochs;
    - classifier: :class:`~sklearn_skll.MultimodalNetClassifier` with its
      defaults (a fit takes well under a second on a few hundred rows; the
      smaller net of the selector lost 1 to 3 accuracy points on
      ``alzheimers`` at 10 to 100 % of the training rows).

    Parameters
    ----------
    modalities : dict
        ``name -> column selector``.
    device : {"cpu", "cuda", "auto"}, default="cpu"

    Returns
    -------
    params : dict
        ``selector``, ``imputer`` and ``classifier``, to pass as
        ``estimator_params`` of :func:`run_protocol`.
    """
    from ..impute import FlowImputer  # imports torch
    from ..neural import MultimodalNetClassifier

    return {
        "selector": ModalitySelector(modalities=modalities),
        "imputer": FlowImputer(
            modalities=modalities,
            n_flows=2,
            hidden_dim=32,
            max_epochs=20,
            device=device,
        ),
        "classifier": MultimodalNetClassifier(modalities=modalities, device=device),
    }


@single_threaded_job
def _one_run(
    X_train,
    y_train,
    X_test,
    y_test,
    modalities,
    available,
    budget,
    strategy,
    seed,
    params,
    fit_params=None,
    complete_test=False,
):
    generates = strategy in _GENERATING
    if not generates and complete_test:
        # Complete training rows, complete test rows: the imputer would only
        # ever see complete rows, which it returns unchanged. The cheap
        # default stands in (same predictions; an "auto" choice or a flow
        # fit here would cost more than the rest of the run).
        params = {**params, "imputer": None}
    est = BudgetedMultimodalClassifier(
        modalities=modalities,
        available=available,
        budget=budget,
        strategy=strategy,
        random_state=seed,
        **params,
    )
    start = time.perf_counter()
    est.fit(X_train, y_train, **(fit_params or {}))
    fit_time = time.perf_counter() - start
    y_pred = est.predict(X_test)
    choice = est.imputer_choice_
    if not generates:
        imputer, scores = "", {}
    elif choice is not None:
        imputer = choice["choice"]
        scores = {f"imputer_score_{k}": v for k, v in choice["scores"].items()}
    else:
        imputer = "" if est.imputer_ is None else type(est.imputer_).__name__
        scores = {}
    return {
        "seed": seed,
        "available": available,
        "budget": budget,
        "strategy": strategy,
        "n_available": int(est.available_indices_.size),
        "n_new": int(est.new_indices_.size),
        "n_train": int(est.n_train_rows_),
        "unspent_budget": float(est.unspent_budget_),
        "key_subset": "+".join(est.key_subset_) if est.key_subset_ else "",
        "imputer": imputer,
        "accuracy": accuracy_score(y_test, y_pred),
        "f1_macro": f1_score(y_test, y_pred, average="macro"),
        "fit_time": fit_time,
        **scores,
    }


def _group_test_split(y, groups, test_size, random_state):
    """Train and test rows with no group on both sides, stratified by class."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != y.shape[0]:
        raise ValueError(
            f"`groups` must hold one value per row of X ({y.shape[0]}). Got "
            f"shape {groups.shape} instead."
        )
    n_splits = max(2, int(round(1 / test_size)))
    splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
    train, test = next(splitter.split(np.zeros((y.shape[0], 1)), y, groups))
    return np.sort(train), np.sort(test)


def run_protocol(
    X,
    y,
    modalities,
    *,
    available=(0.1, 0.2, 0.3, 0.4),
    budgets=(0.1,),
    strategies=STRATEGIES,
    seeds=5,
    test_size=TEST_SIZE,
    test_random_state=TEST_RANDOM_STATE,
    device="cpu",
    estimator_params=None,
    n_jobs=None,
    verbose=0,
    groups=None,
):
    """Run the paper's budget protocol; one row per run.

    Parameters
    ----------
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        Complete multimodal data.
    y : array-like of shape (n_samples,)
    modalities : dict
        ``name -> column selector``.
    available : sequence of float or int, default=(0.1, 0.2, 0.3, 0.4)
        Availability ratios (fractions of the training part) or row counts.
    budgets : sequence of float or int, default=(0.1,)
        Budgets, as in :func:`make_plan`.
    strategies : sequence of str, default=all five
        Among ``"available_only"``, ``"uniform"``, ``"skll"``,
        ``"skll_no_generation"``, ``"full"``.
    seeds : int or sequence of int, default=5
        ``n`` means seeds ``0 .. n-1``. The seed is the estimator's
        ``random_state``: it draws the available rows (the same for every
        strategy and budget of a seed) and seeds the parts.
    test_size : float, default=0.3
        Size of the fixed stratified test split.
    test_random_state : int, default=0
        Seed of the test split (fixed across seeds, as the paper's test set).
    device : {"cpu", "cuda", "auto"}, default="cpu"
    estimator_params : dict, default=None
        Further parameters of :class:`BudgetedMultimodalClassifier`
        (``selector``, ``imputer``, ``classifier``, ``costs``, ...).
    n_jobs : int, default=None
        Runs in parallel (joblib).
    verbose : int, default=0
        1 shows a progress bar over the runs.
    groups : array-like of shape (n_samples,), default=None
        Group of each row (e.g. the patient of each visit). The test split
        then keeps whole groups (a ``StratifiedGroupKFold`` fold of about
        ``test_size``), and the training rows' groups go to each
        estimator's ``fit``, whose selector then keeps groups within folds.
        Without it, several rows of one patient can sit on both sides and
        inflate the scores.

    Returns
    -------
    runs : DataFrame
        One row per (seed, available, budget, strategy) with ``n_available``,
        ``n_new``, ``n_train``, ``unspent_budget`` (cost units left when the
        budget buys more rows than the pool holds: the whole pool is bought,
        with a :class:`~sklearn_skll.exceptions.BudgetWarning`),
        ``key_subset``, ``imputer``, ``accuracy``, ``f1_macro`` and
        ``fit_time``. ``imputer`` is, for ``"skll"``, the
        class name of the fitted imputer or, with ``imputer="auto"``, the
        candidate it chose (each candidate's held-out score is then in an
        ``imputer_score_<candidate>`` column); "" for the strategies that
        generate nothing. Their training rows are complete, so with complete
        test rows their imputer never fills a cell: the protocol fits the
        cheap default imputer there instead of ``estimator_params``'
        (identical predictions, less time).
        ``"available_only"`` does not depend on the budget: it is fitted
        once per seed and availability and repeated per budget.

    See Also
    --------
    summarize : Mean and standard deviation over seeds.
    """
    params = dict(estimator_params or {})
    if params.get("costs") is not None and modalities is not None:
        check_costs(params["costs"], list(modalities))  # before any seed runs
    token = None
    if params.get("selector") is not None:
        token = uuid.uuid4().hex
        selector = clone(params["selector"])
        if selector.get_params().get("modalities", False) is None:
            selector.set_params(modalities=modalities)
        params["selector"] = FitOnce(selector, token=token)
    params.setdefault("device", device)
    seed_list = list(range(seeds)) if isinstance(seeds, Integral) else list(seeds)
    strategies = list(strategies)
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(
            f"`strategies` must be among {list(STRATEGIES)}. Got {unknown} instead."
        )
    y = np.asarray(y)
    fit_params = None
    if groups is None:
        train, test = train_test_split(
            np.arange(y.shape[0]),
            test_size=test_size,
            stratify=y,
            random_state=test_random_state,
        )
    else:
        train, test = _group_test_split(y, groups, test_size, test_random_state)
        fit_params = {"groups": np.asarray(groups)[train]}
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    y_train, y_test = y[train], y[test]
    complete_test = not pd.isna(np.asarray(X_test, dtype=object)).any()

    jobs = []
    for seed in seed_list:
        for avail in available:
            if "available_only" in strategies:
                jobs.append((avail, budgets[0], "available_only", seed))
            for budget in budgets:
                for strategy in strategies:
                    if strategy != "available_only":
                        jobs.append((avail, budget, strategy, seed))
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    results = parallel(
        delayed(_one_run)(
            X_train,
            y_train,
            X_test,
            y_test,
            modalities,
            a,
            b,
            s,
            seed,
            params,
            fit_params,
            complete_test,
        )
        for a, b, s, seed in jobs
    )
    if verbose:
        results = tqdm(results, total=len(jobs), desc="[run_protocol] runs")
    rows = []
    try:
        for row in results:
            if row["strategy"] == "available_only":
                rows.extend({**row, "budget": b} for b in budgets)
            else:
                rows.append(row)
    finally:
        FitOnce.forget(token)
    extra = sorted({k for row in rows for k in row} - set(RUN_COLUMNS))
    return pd.DataFrame(rows, columns=RUN_COLUMNS + extra)


def summarize(
    runs, metric="accuracy", *, layout="long", reference=None, confidence=0.95
):
    """Summaries of a metric over seeds: per strategy, or paired to a reference.

    Without ``reference``: mean and standard deviation of each strategy over
    seeds. With ``reference="uniform"`` (or another strategy): the *paired*
    comparison the protocol is built for. Every strategy of one seed trains on
    the same available rows and is scored on the same test rows, so the
    difference ``metric(strategy) - metric(reference)`` is taken seed by seed
    and its mean gets a Student-t interval over seeds (``mean +- t * sd /
    sqrt(n)``, ``n - 1`` degrees of freedom), which is much narrower than the
    spread of either mean when the seeds move both strategies together.

    Parameters
    ----------
    runs : DataFrame
        The output of :func:`run_protocol`: columns ``seed``, ``available``,
        ``budget``, ``strategy``, ``n_train`` and the metric.
    metric : str, default="accuracy"
        A metric column (``"accuracy"`` or ``"f1_macro"``).
    layout : {"long", "wide"}, default="long"
        ``"long"``: one row per (available, budget, strategy). ``"wide"``: one
        row per (available, budget), one column per strategy, cells in
        percent: ``"mean ± std"``, or with ``reference``
        ``"+diff [low, high]"`` (percentage points).
    reference : str, default=None
        The strategy every other one is compared to, seed by seed (e.g.
        ``"uniform"``, the paper's baseline).
    confidence : float, default=0.95
        Level of the paired interval (with ``reference`` only).

    Returns
    -------
    table : DataFrame
        Without ``reference`` (long layout): ``mean``, ``std``, ``n_runs``,
        ``n_train`` (mean rows trained on) and ``key_subset`` (the most
        frequent key). With ``reference`` (long layout), for each strategy
        other than the reference: ``mean`` and ``reference_mean`` (over the
        paired seeds), ``mean_diff``, ``diff_std``, ``diff_ci_low``,
        ``diff_ci_high`` (NaN with a single seed), ``n_seeds``, ``wins``,
        ``ties``, ``losses`` (seeds where the strategy scores above, equal
        to, below the reference), ``verdict`` (``"better"`` or ``"worse"``
        when the interval excludes 0, else ``"no difference"``), ``n_train``
        and ``reference_n_train`` (mean rows trained on), ``key_subset``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_skll.budget import summarize
    >>> runs = pd.DataFrame({
    ...     "seed": [0, 0, 1, 1, 2, 2], "available": 0.1, "budget": 0.1,
    ...     "strategy": ["uniform", "skll"] * 3, "n_train": [25, 30] * 3,
    ...     "key_subset": ["", "a"] * 3,
    ...     "accuracy": [0.70, 0.72, 0.80, 0.83, 0.75, 0.76]})
    >>> paired = summarize(runs, reference="uniform").reset_index()
    >>> paired[["strategy", "mean_diff", "diff_ci_low", "diff_ci_high"]].round(3)
      strategy  mean_diff  diff_ci_low  diff_ci_high
    0     skll       0.02       -0.005         0.045
    >>> paired[["wins", "ties", "losses", "verdict"]]
       wins  ties  losses        verdict
    0     3     0       0  no difference

    Three wins out of three seeds, yet the 95 % interval of the mean
    difference still holds 0: no difference at this number of seeds.
    """
    if metric not in runs.columns:
        raise ValueError(
            f"`metric` must be a column of `runs`. Got {metric!r} instead."
        )
    if layout not in ("long", "wide"):
        raise ValueError(f"`layout` must be 'long' or 'wide'. Got {layout!r} instead.")
    if not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be in (0, 1). Got {confidence!r} instead.")
    order = [s for s in STRATEGIES if s in set(runs["strategy"])]
    order += sorted(set(runs["strategy"]) - set(order))
    if reference is not None:
        if reference not in order:
            raise ValueError(
                f"`reference` must be a strategy of `runs` ({order}). "
                f"Got {reference!r} instead."
            )
        table = paired_differences(
            runs, metric, reference, confidence=confidence, order=order
        )
        if layout == "long":
            return table
        cells = table.apply(_diff_cell, axis=1)
        wide = cells.unstack("strategy")
        return wide[[s for s in order if s in wide.columns]]
    grouped = runs.groupby(["available", "budget", "strategy"], sort=True)
    table = grouped.agg(
        mean=(metric, "mean"),
        std=(metric, "std"),
        n_runs=(metric, "size"),
        n_train=("n_train", "mean"),
        key_subset=("key_subset", most_frequent),
    )
    table = sort_cells(table, order)
    if layout == "long":
        return table
    cells = table.apply(
        lambda r: f"{100 * r['mean']:.2f} ± {100 * r['std']:.2f}", axis=1
    )
    wide = cells.unstack("strategy")
    return wide[[s for s in order if s in wide.columns]]


def _diff_cell(row):
    if not np.isfinite(row["mean_diff"]):
        return ""
    return format_interval(
        row["mean_diff"], row["diff_ci_low"], row["diff_ci_high"], scale=100, digits=2
    )
