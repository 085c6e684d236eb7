"""Plots of a fitted :class:`~sklearn_skll.selection.ModalitySelector` and of
benchmark runs.

Matplotlib only; every ``plot_*`` function draws on ``ax`` (a new figure when
None) and returns the Axes.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ._stats import fit_log_curve, mean_interval, paired_differences

__all__ = [
    "plot_benchmark",
    "plot_budget_curve",
    "plot_greedy_path",
    "plot_interactions",
    "plot_learning_curve",
    "plot_paired_differences",
    "plot_protocol",
    "plot_shapley",
    "plot_subsets",
]

#: One colour and marker per strategy, the same in every plot.
_STRATEGY_STYLE = {
    "available_only": ("#7f7f7f", "v"),
    "uniform": ("#1f77b4", "s"),
    "skll": ("#d62728", "o"),
    "skll_no_generation": ("#ff7f0e", "D"),
    "full": ("#2ca02c", "^"),
}


#: What a budget of B % is, on every plot that shows one.
BUDGET_UNIT = "budget: % of the training rows' modality-observations, at the mean cost"


def _axes(ax, figsize=(5, 3.5)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _metric_name(selector):
    scoring = getattr(selector, "scoring", None)
    return scoring if isinstance(scoring, str) else "score"


def plot_shapley(selector_or_values, ax=None, *, scaled=False, points=False):
    """Bar chart of Shapley values, with bootstrap 95 % intervals when available.

    Parameters
    ----------
    selector_or_values : ModalitySelector or Series or dict
        A fitted selector, or Shapley values by modality.
    ax : matplotlib Axes, default=None
    scaled : bool, default=False
        Plot the scaled values (Eq. 3) of a selector instead.
    points : bool, default=False
        Show the values times 100 (percentage points of a score in [0, 1],
        as the benchmark's report does).

    Returns
    -------
    ax : matplotlib Axes
    """
    err = None
    metric = "score"
    if hasattr(selector_or_values, "shapley_values_"):
        sel = selector_or_values
        metric = _metric_name(sel)
        values = sel.scaled_shapley_values_ if scaled else sel.shapley_values_
        ci = getattr(sel, "shapley_ci_", None)
        if ci is not None:
            z = sel.utilities_["utility"].iloc[-1] if scaled else 1.0
            low = (ci["low"] / z).to_numpy()
            high = (ci["high"] / z).to_numpy()
            v = values.to_numpy()
            err = np.vstack([np.clip(v - low, 0, None), np.clip(high - v, 0, None)])
    else:
        values = pd.Series(selector_or_values, dtype=float)
    unit = 100.0 if points and not scaled else 1.0
    values = values * unit
    err = None if err is None else err * unit
    ax = _axes(ax)
    x = np.arange(len(values))
    colors = ["tab:blue" if v >= 0 else "tab:red" for v in np.nan_to_num(values)]
    ax.bar(
        x,
        values.to_numpy(),
        yerr=err,
        color=colors,
        capsize=4,
        label="bootstrap 95 % CI" if err is not None else None,
    )
    ax.set_xticks(x, [str(i) for i in values.index])
    ax.axhline(0, color="black", linewidth=0.8)
    if scaled:
        ax.set_ylabel("scaled Shapley value\n(share of the full utility)")
    else:
        ax.set_ylabel(
            f"Shapley value{' (points)' if unit != 1 else ''}\n"
            f"({metric} over the constant predictor)"
        )
    ax.set_title(
        "Modality contributions"
        + (" (error bars: bootstrap 95 % CI)" if err is not None else "")
    )
    return ax


def plot_subsets(selector, ax=None, *, by="utility", top=None):
    """Horizontal bars ranking modality subsets by utility or C(S).

    Parameters
    ----------
    selector : ModalitySelector or DataFrame
        A fitted selector or its ``utilities_``.
    ax : matplotlib Axes, default=None
    by : {"utility", "cooperation"}, default="utility"
    top : int, default=None
        Show only the best ``top`` subsets.

    Returns
    -------
    ax : matplotlib Axes
    """
    df = getattr(selector, "utilities_", selector)
    if by not in ("utility", "cooperation"):
        raise ValueError(
            f"`by` must be 'utility' or 'cooperation'. Got {by!r} instead."
        )
    df = df.sort_values(by, ascending=False, na_position="last")
    if top is not None:
        df = df.head(top)
    ax = _axes(ax, figsize=(5, 0.3 * len(df) + 1.2))
    y = np.arange(len(df))[::-1]
    err, err_kind = df.get(f"{by}_std"), "bootstrap std"
    if by == "utility" and "utility_ci_low" in df:
        v = df["utility"].to_numpy(dtype=float)
        low = df["utility_ci_low"].to_numpy(dtype=float)
        high = df["utility_ci_high"].to_numpy(dtype=float)
        err = np.vstack([np.clip(v - low, 0, None), np.clip(high - v, 0, None)])
        err_kind = "bootstrap 95 % CI"
    elif err is not None:
        err = err.to_numpy()
    # The one key (what new rows carry); a selector without key rules shows
    # its selected subset.
    selected = set()
    key = getattr(selector, "key_subset_", None)
    if key is None:
        key = getattr(selector, "selected_modalities_", None)
    if key is not None:
        selected = {frozenset(key)}
    colors = [
        "tab:orange" if frozenset(m) in selected else "tab:blue"
        for m in df["modalities"]
    ]
    ax.barh(
        y,
        df[by].to_numpy(),
        xerr=err,
        color=colors,
        capsize=3,
    )
    ax.set_yticks(y, df["subset"].tolist())
    ax.axvline(0, color="black", linewidth=0.8)
    label = (
        f"utility f_u(S)\n({_metric_name(selector)} over the constant predictor)"
        if by == "utility"
        else "cooperation C(S)"
    )
    ax.set_xlabel(label + (f"\nbars: {err_kind}" if err is not None else ""))
    ax.set_title("Modality subsets (the key in orange)")
    return ax


def plot_interactions(selector_or_matrix, ax=None):
    """Heat map of the pairwise Shapley interaction index.

    Parameters
    ----------
    selector_or_matrix : ModalitySelector or DataFrame
        A fitted selector or its ``interactions_``.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    mat = getattr(selector_or_matrix, "interactions_", selector_or_matrix)
    mat = pd.DataFrame(mat)
    ax = _axes(ax, figsize=(4.5, 4))
    values = mat.to_numpy(dtype=float)
    bound = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    bound = bound or 1.0
    image = ax.imshow(values, cmap="RdBu", vmin=-bound, vmax=bound)
    labels = [str(c) for c in mat.columns]
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if i != j and np.isfinite(values[i, j]):
                # White on the dark ends of the colour map, black elsewhere.
                dark = abs(values[i, j]) > 0.6 * bound
                ax.text(
                    j,
                    i,
                    f"{values[i, j]:.3f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.figure.colorbar(image, ax=ax, label="interaction (>0 synergy)")
    ax.set_title("Pairwise interactions")
    return ax


def plot_greedy_path(selector_or_path, ax=None):
    """Utility of the subset grown by Algorithm 1, step by step.

    Parameters
    ----------
    selector_or_path : ModalitySelector or DataFrame
        A fitted selector or its ``greedy_path_``.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    path = getattr(selector_or_path, "greedy_path_", selector_or_path)
    ax = _axes(ax)
    ax.plot(path["step"], path["utility"], marker="o")
    for step, util, mod in zip(path["step"], path["utility"], path["modality"]):
        ax.annotate(
            f"+{mod}",
            (step, util),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
        )
    steps = list(path["step"])
    ax.set_xticks(steps)
    # Room for the first and last labels; utilities start from 0.
    ax.set_xlim(min(steps) - 0.6, max(steps) + 0.6)
    utils = path["utility"].to_numpy(dtype=float)
    top = np.nanmax(utils) if np.isfinite(utils).any() else 1.0
    bottom = min(0.0, np.nanmin(utils)) if np.isfinite(utils).any() else 0.0
    span = (top - bottom) or 1.0
    ax.set_ylim(bottom - (0.05 * span if bottom < 0 else 0), top + 0.15 * span)
    metric = _metric_name(selector_or_path)
    ax.set_xlabel("step (modality added)")
    ax.set_ylabel(f"utility f_u(S)\n({metric} over the constant predictor)")
    ax.set_title("Greedy path (Algorithm 1)")
    return ax


def _style(strategy):
    return _STRATEGY_STYLE.get(strategy, ("#9467bd", "x"))


def _mean_ci(values, confidence=0.95):
    """Mean and half-width of the Student-t interval (0 with one value)."""
    mean, low, high = mean_interval(values, confidence)
    return mean, (high - low) / 2 if np.isfinite(low) else 0.0


def _clip_percent(ax):
    """Keep an accuracy axis (%) within [0, 100]: t-intervals of few seeds
    can reach past the bounds."""
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, 0.0), min(high, 100.5))


def _dodged_means(ax, runs, column, values, strategies, metric, *, spread, **kwargs):
    """Mean (%) and 95 % CI of ``metric`` at each of ``values`` of ``column``,
    one error-bar series per strategy, the strategies side by side; x in %."""
    step = 100 * (np.diff(values).min() if values.size > 1 else 0.1)
    width = spread * step / max(len(strategies), 1)
    for k, strategy in enumerate(strategies):
        group = runs[runs["strategy"] == strategy]
        stats = [
            _mean_ci(group.loc[np.isclose(group[column], v), metric]) for v in values
        ]
        color, marker = _style(strategy)
        ax.errorbar(
            100 * values + (k - (len(strategies) - 1) / 2) * width,
            [100 * m for m, _ in stats],
            yerr=[100 * h for _, h in stats],
            marker=marker,
            color=color,
            label=strategy,
            capsize=3,
            **kwargs,
        )
    ax.set_xticks(100 * values, [f"{100 * v:g}" for v in values])


def plot_protocol(runs, ax=None, *, metric="accuracy", budget=None):
    """Metric (%) against the available ratio, one line per strategy.

    Means over seeds with 95 % Student-t intervals as error bars, the
    strategies side by side at each ratio. To compare strategies, prefer
    :func:`plot_paired_differences`: the seeds move every strategy together,
    which these unpaired intervals do not know.

    Parameters
    ----------
    runs : DataFrame
        The output of :func:`sklearn_skll.budget.run_protocol` (one row per
        run).
    ax : matplotlib Axes, default=None
    metric : str, default="accuracy"
    budget : float, default=None
        The budget to show; the smallest one when None.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax, figsize=(6, 4))
    budget = runs["budget"].min() if budget is None else budget
    sub = runs[np.isclose(runs["budget"], budget)]
    strategies = [s for s in _STRATEGY_STYLE if s in set(sub["strategy"])]
    avail = np.sort(sub["available"].unique())
    n_seeds = sub["seed"].nunique()
    _dodged_means(
        ax, sub, "available", avail, strategies, metric, spread=0.5, linestyle="none"
    )
    _clip_percent(ax)
    ax.set_xlabel("available complete data (% of training rows)")
    ax.set_ylabel(f"test {metric} (%)")
    ax.set_title(
        f"Budget {100 * budget:g} %: mean, 95 % CI over {n_seeds} seeds\n"
        f"({BUDGET_UNIT})",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    return ax


def plot_paired_differences(paired, ax=None, *, reference="uniform"):
    """Forest plot of the paired differences to a reference strategy.

    One row per (available, budget) cell, one marker per strategy: the mean
    over seeds of ``metric(strategy) - metric(reference)`` in percentage
    points, with its 95 % interval (Student-t over seeds). Right of the zero
    line the strategy beats the reference; an interval crossing it is no
    difference.

    Parameters
    ----------
    paired : DataFrame
        ``summarize(runs, reference=...)`` (long layout).
    ax : matplotlib Axes, default=None
    reference : str, default="uniform"
        Its name, for the labels.

    Returns
    -------
    ax : matplotlib Axes
    """
    table = paired.reset_index()
    cells = list(dict.fromkeys(zip(table["available"], table["budget"])))
    strategies = [s for s in _STRATEGY_STYLE if s in set(table["strategy"])]
    strategies += sorted(set(table["strategy"]) - set(strategies))
    ax = _axes(ax, figsize=(6.5, 0.45 * len(cells) * max(len(strategies), 2) / 2 + 1.5))
    height = 0.8 / max(len(strategies), 1)
    y0 = np.arange(len(cells))[::-1]
    for k, strategy in enumerate(strategies):
        rows = table[table["strategy"] == strategy].set_index(["available", "budget"])
        keep = [i for i, c in enumerate(cells) if c in rows.index]
        if not keep:
            continue
        sub = rows.loc[[cells[i] for i in keep]]
        y = y0[keep] + 0.4 - (k + 0.5) * height
        mean = 100 * sub["mean_diff"].to_numpy(dtype=float)
        low = 100 * sub["diff_ci_low"].to_numpy(dtype=float)
        high = 100 * sub["diff_ci_high"].to_numpy(dtype=float)
        err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
        color, marker = _style(strategy)
        ax.errorbar(
            mean,
            y,
            xerr=err,
            marker=marker,
            color=color,
            capsize=3,
            linestyle="none",
            label=strategy,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(
        y0,
        [f"available {100 * a:g} %\nbudget {100 * b:g} %" for a, b in cells],
        fontsize=8,
    )
    for y in y0[:-1]:
        ax.axhline(y - 0.5, color="0.85", linewidth=0.6)
    ax.set_ylim(-0.6, len(cells) - 0.4)
    n_seeds = int(table["n_seeds"].max()) if len(table) else 0
    ax.set_xlabel(
        f"accuracy minus {reference}'s, same seed (points)\n"
        f"mean and 95 % CI over {n_seeds} seeds; right of 0: better"
    )
    ax.set_title(f"Paired differences to {reference}\n({BUDGET_UNIT})", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_learning_curve(curve, ax=None, *, runs=None):
    """Accuracy (%) of the classifier against the rows it trains on.

    Means over seeds with 95 % Student-t intervals at each measured row
    count, the fit ``a + b log(rows)`` (solid where measured, dashed where
    extrapolated) and, with ``runs``, what the protocol measured at the
    smallest availability: each strategy's mean accuracy at the rows it ended
    with (one hollow mark per budget).

    Parameters
    ----------
    curve : DataFrame
        ``seed``, ``n_rows``, ``accuracy``: the ``learning_curve`` of a
        :class:`~sklearn_skll.budget.BenchmarkResult`.
    ax : matplotlib Axes, default=None
    runs : DataFrame, default=None
        The runs of the protocol, to mark the strategies' row counts.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax, figsize=(6.5, 4.2))
    sizes = np.sort(curve["n_rows"].unique())
    stats = [_mean_ci(curve.loc[curve["n_rows"] == n, "accuracy"]) for n in sizes]
    mean = np.array([100 * m for m, _ in stats])
    ax.errorbar(
        sizes,
        mean,
        yerr=[100 * h for _, h in stats],
        marker="o",
        color="black",
        capsize=3,
        linestyle="none",
        label="measured on the available rows",
    )
    if sizes.size >= 2:
        intercept, slope = fit_log_curve(curve["n_rows"], curve["accuracy"])
        top = sizes.max()
        if runs is not None:
            top = max(top, runs["n_train"].max())
        grid = np.geomspace(sizes.min(), sizes.max(), 50)
        ax.plot(
            grid, 100 * (intercept + slope * np.log(grid)), color="black", linewidth=1
        )
        if top > sizes.max():
            ext = np.geomspace(sizes.max(), top, 30)
            ax.plot(
                ext,
                100 * (intercept + slope * np.log(ext)),
                color="black",
                linewidth=1,
                linestyle="--",
                label="fit a + b log(rows), extrapolated",
            )
        if runs is not None:
            # What the protocol measured: each strategy's mean accuracy at the
            # rows it ended with (SK-LL's rows lack measured modalities, so
            # they are not points of this curve; the marks show how far the
            # curve's promise holds).
            smallest = runs[np.isclose(runs["available"], runs["available"].min())]
            for strategy in ("uniform", "skll", "full"):
                rows = smallest[smallest["strategy"] == strategy]
                if rows.empty:
                    continue
                stats = rows.groupby("budget").agg(
                    n=("n_train", "mean"), acc=("accuracy", "mean")
                )
                color, marker = _style(strategy)
                ax.plot(
                    stats["n"],
                    100 * stats["acc"],
                    marker=marker,
                    color=color,
                    linestyle="none",
                    markersize=8,
                    markerfacecolor="none",
                    markeredgewidth=1.8,
                    label=f"{strategy}: measured, at its rows",
                )
    n_seeds = curve["seed"].nunique()
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    ticks = [
        t
        for t in (2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
        if low <= t <= high
    ]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    _clip_percent(ax)
    ax.set_xlabel("training rows (log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(
        f"Learning curve on the available rows: mean, 95 % CI over {n_seeds} seeds",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_budget_curve(runs, ax=None, *, metric="accuracy", available=None):
    """Metric (%) against the budget, one line per strategy.

    At one available ratio: means over seeds with 95 % Student-t intervals,
    one point per budget run. ``available_only`` spends nothing: a flat line.

    Parameters
    ----------
    runs : DataFrame
        The output of :func:`sklearn_skll.budget.run_protocol`.
    ax : matplotlib Axes, default=None
    metric : str, default="accuracy"
    available : float, default=None
        The available ratio to show; the smallest one when None.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax, figsize=(6, 4))
    available = runs["available"].min() if available is None else available
    sub = runs[np.isclose(runs["available"], available)]
    budgets = np.sort(sub["budget"].unique())
    strategies = [s for s in _STRATEGY_STYLE if s in set(sub["strategy"])]
    _dodged_means(ax, sub, "budget", budgets, strategies, metric, spread=0.25)
    _clip_percent(ax)
    ax.set_xlabel(
        "budget (% of the training rows' modality-observations,\nat the mean cost)"
    )
    ax.set_ylabel(f"test {metric} (%)")
    ax.set_title(
        f"Accuracy vs budget at {100 * available:g} % available\n"
        f"mean, 95 % CI over {sub['seed'].nunique()} seeds (unpaired; "
        "compare strategies in the paired plot)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_benchmark(
    runs,
    out,
    *,
    selector=None,
    metric="accuracy",
    learning_curve=None,
    reference="uniform",
    paired=None,
):
    """Write the benchmark's PNG plots to the folder ``out``.

    One figure per question: ``paired_differences.png`` (does a strategy
    beat the reference?), ``learning_curve.png`` (is more data worth it at
    all?), ``budget_curve.png`` (how does accuracy grow with the budget? only
    with several budgets) and ``shapley.png`` (which modalities matter?).

    Parameters
    ----------
    runs : DataFrame
        The output of :func:`sklearn_skll.budget.run_protocol`.
    out : path-like
        Existing folder.
    selector : ModalitySelector, default=None
        A fitted selector; when given, its Shapley bars are written too.
    metric : str, default="accuracy"
    learning_curve : DataFrame, default=None
        ``seed``, ``n_rows``, ``accuracy``; when given, its plot is written.
    reference : str, default="uniform"
        The strategy of the paired differences; None for none.
    paired : DataFrame, default=None
        The paired differences to ``reference``
        (``sklearn_skll.budget.summarize(runs, metric, reference=reference)``);
        computed from ``runs`` when None.

    Returns
    -------
    paths : list of pathlib.Path
        The files written.
    """
    import matplotlib.pyplot as plt

    out = Path(out)
    written = []

    def save(fig, name):
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)

    if (
        reference is not None
        and reference in set(runs["strategy"])
        and runs["strategy"].nunique() > 1
    ):
        if paired is None:
            paired = paired_differences(
                runs, metric, reference, order=list(_STRATEGY_STYLE)
            )
        n_cells = len(paired.reset_index()[["available", "budget"]].drop_duplicates())
        n_strat = paired.index.get_level_values("strategy").nunique()
        fig, ax = plt.subplots(figsize=(8.5, 1.6 + 0.22 * n_cells * max(n_strat, 2)))
        plot_paired_differences(paired, ax, reference=reference)
        save(fig, "paired_differences.png")

    if learning_curve is not None:
        fig, ax = plt.subplots(figsize=(8.5, 4.2))
        plot_learning_curve(learning_curve, ax, runs=runs)
        save(fig, "learning_curve.png")

    if runs["budget"].nunique() > 1:
        fig, ax = plt.subplots(figsize=(8.5, 4.2))
        plot_budget_curve(runs, ax, metric=metric)
        save(fig, "budget_curve.png")

    if selector is not None:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        plot_shapley(selector, ax, points=True)
        save(fig, "shapley.png")
    return written
