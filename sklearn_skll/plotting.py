"""Plots of a fitted :class:`~sklearn_skll.selection.ModalitySelector`.

Matplotlib only; every function draws on ``ax`` (a new figure when None)
and returns the Axes.
"""

import numpy as np
import pandas as pd

__all__ = ["plot_shapley", "plot_subsets", "plot_interactions", "plot_greedy_path"]


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
