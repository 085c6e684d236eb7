"""``sklearn-skll select``: score every modality subset of a dataset or table."""

import math
import time
from pathlib import Path

from ._common import (
    add_selector_options,
    add_table_options,
    fit_selector,
    read_data,
    render_table,
)

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add this subcommand's parser to the CLI's subparsers."""
    p = sub.add_parser(
        "select",
        help="score every modality subset (utility, C(S), Shapley)",
        description=(
            "Score every modality subset: cross-validated utility f_u(S) over "
            "the constant predictor, cooperation C(S), Shapley values, greedy "
            "path; print the subset table and write plots."
        ),
    )
    add_table_options(p, dataset=True)
    add_selector_options(p)
    p.add_argument("--out", type=Path, default=None, help="folder for plots and tables")
    return p


def _interval_line(selector):
    """What the intervals are and how wide, for the report."""
    table = selector.utilities_
    if "utility_ci_low" not in table.columns:
        return "No intervals (--bootstrap 0)."
    width = (table["utility_ci_high"] - table["utility_ci_low"]).median()
    return (
        f"Intervals: 95 % paired bootstrap over the held-out rows, "
        f"{selector.n_bootstrap} resamples; median utility interval width "
        f"{width:.3f} ({100 * width:.1f} points of {selector.scoring})."
    )


def _key_lines(selector):
    """The one key, its rule and notes; the paper's rule as a detail."""
    lines = [
        f"Key (what new rows carry; key={selector.key!r}): "
        f"{'+'.join(selector.key_subset_)}"
    ]
    lines.extend(f"  note: {n}" for n in selector.key_notes_)
    by = {
        "cooperation": "the highest C(S) (the paper's rule)",
        "utility": "the highest utility",
        "greedy": "Algorithm 1",
    }[selector.selection]
    detail = f"Detail: the subset of {by} is {'+'.join(selector.selected_modalities_)}"
    conf = selector.selection_confidence_
    if not math.isnan(conf):
        detail += f", best in {100 * conf:.0f} % of bootstrap resamples"
    shapley = selector.shapley_values_
    if shapley.notna().any():
        best = shapley.idxmax()
        if best not in selector.selected_modalities_:
            detail += (
                f"; it leaves out `{best}`, the modality with the highest Shapley value"
            )
    if tuple(selector.selected_modalities_) == tuple(selector.key_subset_):
        detail += " (the same as the key)"
    lines.append(detail)
    return "\n".join(lines)


def _subset_table(selector):
    table = selector.utilities_
    keep = [
        c
        for c in (
            "modalities",
            "size",
            "score",
            "utility",
            "utility_ci_low",
            "utility_ci_high",
            "cooperation",
            "cooperation_std",
            "rank",
        )
        if c in table.columns
    ]
    return table[keep].sort_values(["size", "rank"]).reset_index(drop=True)


def _shapley_table(selector):
    import pandas as pd

    frame = pd.DataFrame(
        {"shapley": selector.shapley_values_, "scaled": selector.scaled_shapley_values_}
    )
    if selector.shapley_ci_ is not None:
        frame["std"] = selector.shapley_std_
        frame["ci_low"] = selector.shapley_ci_["low"]
        frame["ci_high"] = selector.shapley_ci_["high"]
    frame.index.name = "modality"
    return frame


def run(args):
    X, y, modalities, what, head = read_data(args)
    print(head)
    start = time.perf_counter()
    selector = fit_selector(args, X, y, modalities)
    elapsed = time.perf_counter() - start
    print(
        f"Modality subsets of {what} ({len(y)} rows, engine={args.engine}, "
        f"estimator={args.estimator}, scoring={args.scoring}, "
        f"baseline={selector.baseline_score_:.4f}):\n"
    )
    print(render_table(_subset_table(selector), floatfmt=".4f"))
    print("\nShapley values per modality:\n")
    print(render_table(_shapley_table(selector), floatfmt=".4f"))
    path = " -> ".join(selector.greedy_path_["modality"])
    print(f"\nGreedy path (Algorithm 1): {path}")
    print(_key_lines(selector))
    print(_interval_line(selector))
    print(f"[{elapsed:.1f} s]")
    if args.out is not None:
        _write_selection(selector, args.out)
    return 0


def _write_selection(selector, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    selector.utilities_.to_csv(out / "subsets.csv", index=False)
    written = [out / "subsets.csv"]
    for kind in ("shapley", "subsets", "interactions", "greedy"):
        fig, ax = plt.subplots(figsize=(6, 4))
        selector.plot(kind=kind, ax=ax)
        fig.tight_layout()
        path = out / f"{kind}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    print("Wrote " + ", ".join(str(p) for p in written))
