"""The paper's budget protocol (Section 4.1, Tables 2 and 3) on any dataset.

One fixed stratified test split; for each seed, available ratio, budget and
strategy, a :class:`BudgetedMultimodalClassifier` simulates the acquisition
on the training part and is scored on the test part.
"""

import time
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import Parallel, delayed

from ._budgeted import BudgetedMultimodalClassifier
from ._plan import STRATEGIES

__all__ = ["fast_parts", "run_protocol", "summarize"]

#: Columns of the frame :func:`run_protocol` returns.
RUN_COLUMNS = [
    "seed", "available", "budget", "strategy", "n_available", "n_new",
    "n_train", "key_subset", "accuracy", "f1_macro", "fit_time",
]


def fast_parts(modalities, *, device="cpu"):
    """Small, fast parts for :class:`BudgetedMultimodalClassifier` benchmarks.

    The settings the command line's ``benchmark`` uses by default, so that the
    paper's protocol (100 fits) runs in minutes on a laptop CPU:

    - selector: the masked utility engine with a small net, 3 folds;
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
    from ..impute import FlowImputer
    from ..neural import MultimodalNetClassifier
    from ..selection import ModalitySelector

    net = dict(encoder_hidden=32, embed_dim=16, fusion_hidden=32, max_epochs=30,
               patience=5, batch_size=64, lr=3e-3, device=device)
    return {
        "selector": ModalitySelector(MultimodalNetClassifier(**net),
                                     modalities=modalities, utility="masked", cv=3),
        "imputer": FlowImputer(modalities=modalities, n_flows=2, hidden_dim=32,
                               max_epochs=20, device=device),
        "classifier": MultimodalNetClassifier(modalities=modalities, device=device),
    }


def _one_run(X_train, y_train, X_test, y_test, modalities, available, budget,
             strategy, seed, params):
    est = BudgetedMultimodalClassifier(
        modalities=modalities, available=available, budget=budget,
        strategy=strategy, random_state=seed, **params,
    )
    start = time.perf_counter()
    est.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    y_pred = est.predict(X_test)
    return {
        "seed": seed,
        "available": available,
        "budget": budget,
        "strategy": strategy,
        "n_available": int(est.available_indices_.size),
        "n_new": int(est.new_indices_.size),
        "n_train": int(est.n_train_rows_),
        "key_subset": "+".join(est.key_subset_) if est.key_subset_ else "",
        "accuracy": accuracy_score(y_test, y_pred),
        "f1_macro": f1_score(y_test, y_pred, average="macro"),
        "fit_time": fit_time,
    }


def run_protocol(
    X,
    y,
    modalities,
    *,
    available=(0.1, 0.2, 0.3, 0.4),
    budgets=(0.1,),
    strategies=STRATEGIES,
    seeds=5,
    test_size=0.3,
    test_random_state=0,
    device="cpu",
    estimator_params=None,
    n_jobs=None,
    verbose=0,
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

    Returns
    -------
    runs : DataFrame
        One row per (seed, available, budget, strategy) with ``n_available``,
        ``n_new``, ``n_train``, ``key_subset``, ``accuracy``, ``f1_macro``
        and ``fit_time``. ``"available_only"`` does not depend on the budget:
        it is fitted once per seed and availability and repeated per budget.

    See Also
    --------
    summarize : Mean and standard deviation over seeds.
    """
    params = dict(estimator_params or {})
    params.setdefault("device", device)
    seed_list = list(range(seeds)) if isinstance(seeds, Integral) else list(seeds)
    strategies = list(strategies)
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(
            f"`strategies` must be among {list(STRATEGIES)}. Got {unknown} instead."
        )
    y = np.asarray(y)
    train, test = train_test_split(
        np.arange(y.shape[0]), test_size=test_size, stratify=y,
        random_state=test_random_state,
    )
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    y_train, y_test = y[train], y[test]

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
        delayed(_one_run)(X_train, y_train, X_test, y_test, modalities, a, b, s,
                          seed, params)
        for a, b, s, seed in jobs
    )
    if verbose:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(jobs),
                       desc="[run_protocol] runs")
    rows = []
    for row in results:
        if row["strategy"] == "available_only":
            rows.extend({**row, "budget": b} for b in budgets)
        else:
            rows.append(row)
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def summarize(runs, metric="accuracy", *, layout="long"):
    """Mean and standard deviation of a metric over seeds.

    Parameters
    ----------
    runs : DataFrame
        The output of :func:`run_protocol`.
    metric : str, default="accuracy"
        A metric column (``"accuracy"`` or ``"f1_macro"``).
    layout : {"long", "wide"}, default="long"
        ``"long"``: one row per (available, budget, strategy) with ``mean``,
        ``std``, ``n_runs``, ``n_train`` and ``key_subset`` (the most frequent
        key). ``"wide"``: the paper's table, one row per (available, budget),
        one column per strategy, cells ``"mean ± std"`` in percent.

    Returns
    -------
    table : DataFrame
    """
    if metric not in runs.columns:
        raise ValueError(
            f"`metric` must be a column of `runs`. Got {metric!r} instead."
        )
    order = [s for s in STRATEGIES if s in set(runs["strategy"])]
    grouped = runs.groupby(["available", "budget", "strategy"], sort=True)
    table = grouped.agg(
        mean=(metric, "mean"),
        std=(metric, "std"),
        n_runs=(metric, "size"),
        n_train=("n_train", "mean"),
        key_subset=("key_subset", lambda k: k.mode().iloc[0] if len(k) else ""),
    )
    table = table.reindex(
        pd.MultiIndex.from_tuples(
            sorted(table.index, key=lambda t: (t[0], t[1], order.index(t[2]))),
            names=table.index.names,
        )
    )
    if layout == "long":
        return table
    if layout != "wide":
        raise ValueError(f"`layout` must be 'long' or 'wide'. Got {layout!r} instead.")
    cells = table.apply(
        lambda r: f"{100 * r['mean']:.2f} ± {100 * r['std']:.2f}", axis=1
    )
    wide = cells.unstack("strategy")
    return wide[[s for s in order if s in wide.columns]]
