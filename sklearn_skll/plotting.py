"""Plots of a fitted :class:`~sklearn_skll.selection.ModalitySelector` and of
benchmark runs.

Matplotlib only; every ``plot_*`` function draws on ``ax`` (a new figure when
None) and returns the Axes.
"""

import numpy as np
import pandas as pd

__all__ = [
    "plot_shapley",
    "plot_subsets",
    "plot_interactions",
    "plot_greedy_path",
    "plot_protocol",
    "plot_budget_curve",
    "plot_benchmark",
]

#: One colour and marker per strategy, the same in every plot.
_STRATEGY_STYLE = {
    "available_only": ("#7f7f7f", "v"),
    "uniform": ("#1f77b4", "s"),
    "skll": ("#d62728", "o"),
    "skll_no_generation": ("#ff7f0e", "D"),
    "full": ("#2ca02c", "^"),
}


def _axes(ax, figsize=(5, 3.5)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_shapley(selector_or_values, ax=None, *, scaled=False):
    """Bar chart of Shapley values, with bootstrap error bars when available.

    Parameters
    ----------
    selector_or_values : ModalitySelector or Series or dict
        A fitted selector, or Shapley values by modality.
    ax : matplotlib Axes, default=None
    scaled : bool, default=False
        Plot the scaled values (Eq. 3) of a selector instead.

    Returns
    -------
    ax : matplotlib Axes
    """
    err = None
    if hasattr(selector_or_values, "shapley_values_"):
        sel = selector_or_values
        values = sel.scaled_shapley_values_ if scaled else sel.shapley_values_
        std = getattr(sel, "shapley_std_", None)
        if std is not None:
            z = sel.utilities_["utility"].iloc[-1] if scaled else 1.0
            err = std.to_numpy() / z
    else:
        values = pd.Series(selector_or_values, dtype=float)
    ax = _axes(ax)
    x = np.arange(len(values))
    colors = ["tab:blue" if v >= 0 else "tab:red" for v in np.nan_to_num(values)]
    ax.bar(x, values.to_numpy(), yerr=err, color=colors, capsize=4)
    ax.set_xticks(x, [str(i) for i in values.index])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("scaled Shapley value" if scaled else "Shapley value")
    ax.set_title("Modality contributions")
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
    err = df.get(f"{by}_std")
    selected = set()
    if hasattr(selector, "selected_modalities_"):
        selected = {frozenset(selector.selected_modalities_)}
    colors = [
        "tab:orange" if frozenset(m) in selected else "tab:blue"
        for m in df["modalities"]
    ]
    ax.barh(
        y,
        df[by].to_numpy(),
        xerr=None if err is None else err.to_numpy(),
        color=colors,
        capsize=3,
    )
    ax.set_yticks(y, df["subset"].tolist())
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("utility f_u(S)" if by == "utility" else "cooperation C(S)")
    ax.set_title("Modality subsets (selected in orange)")
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
                ax.text(
                    j, i, f"{values[i, j]:.3f}", ha="center", va="center", fontsize=8
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
            f"+{mod}", (step, util), textcoords="offset points", xytext=(4, 4),
            fontsize=8,
        )
    ax.set_xticks(list(path["step"]))
    ax.set_xlabel("step")
    ax.set_ylabel("utility f_u(S)")
    ax.set_title("Greedy path (Algorithm 1)")
    return ax


def _style(strategy):
    return _STRATEGY_STYLE.get(strategy, ("#9467bd", "x"))


def plot_protocol(runs, ax=None, *, metric="accuracy", budget=None):
    """Metric against the available ratio, one line per strategy, with +-1 std bands.

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
    for strategy, group in sub.groupby("strategy", sort=False):
        stats = group.groupby("available")[metric].agg(["mean", "std"]).fillna(0.0)
        color, marker = _style(strategy)
        x = 100 * stats.index.to_numpy(dtype=float)
        ax.plot(x, stats["mean"], marker=marker, color=color, label=strategy)
        ax.fill_between(x, stats["mean"] - stats["std"], stats["mean"] + stats["std"],
                        color=color, alpha=0.15, linewidth=0)
    ax.set_xlabel("available complete data (% of training rows)")
    ax.set_ylabel(f"test {metric}")
    ax.set_title(f"Budget {100 * budget:g} %: mean \u00b1 std over seeds")
    ax.legend(fontsize=8)
    return ax


def plot_budget_curve(runs, ax=None, *, metric="accuracy", available=None):
    """Metric against the number of training rows each strategy ends up with.

    One point per (budget, strategy) at one available ratio: how much accuracy
    each strategy buys per row, the budget curve of the protocol.

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
    for strategy, group in sub.groupby("strategy", sort=False):
        stats = group.groupby("budget").agg(
            rows=("n_train", "mean"), mean=(metric, "mean"), std=(metric, "std")
        ).fillna(0.0)
        color, marker = _style(strategy)
        ax.errorbar(stats["rows"], stats["mean"], yerr=stats["std"], marker=marker,
                    color=color, label=strategy, capsize=3)
        for budget, row in stats.iterrows():
            if strategy != "available_only":
                ax.annotate(f"B={100 * budget:g}%", (row["rows"], row["mean"]),
                            textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("training rows after acquisition")
    ax.set_ylabel(f"test {metric}")
    ax.set_title(f"Available {100 * available:g} %: what the budget buys")
    ax.legend(fontsize=8)
    return ax


def plot_benchmark(runs, out, *, selector=None, metric="accuracy"):
    """Write the benchmark's PNG plots to the folder ``out``.

    Parameters
    ----------
    runs : DataFrame
        The output of :func:`sklearn_skll.budget.run_protocol`.
    out : path-like
        Existing folder.
    selector : ModalitySelector, default=None
        A fitted selector; when given, its Shapley bars are written too.
    metric : str, default="accuracy"

    Returns
    -------
    paths : list of pathlib.Path
        The files written.
    """
    from pathlib import Path

    import matplotlib.pyplot as plt

    out = Path(out)
    written = []

    def save(fig, name):
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    plot_protocol(runs, ax, metric=metric)
    save(fig, "accuracy_vs_available.png")

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    plot_budget_curve(runs, ax, metric=metric)
    save(fig, "budget_curve.png")

    if selector is not None:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        plot_shapley(selector, ax)
        save(fig, "shapley.png")
    return written
