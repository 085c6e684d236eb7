"""Regret of ``recommend``: does its choice, made on the pilot alone, pay?

Question: with a pilot of complete rows and a budget, ``recommend`` picks one
of available_only, uniform, skll, skll_no_generation. How much test accuracy
does that choice lose against the best fixed strategy in hindsight, and
against "always uniform" and "always skll"?

Per dataset, cost setting, availability, budget and seed (the paper's
protocol, :func:`sklearn_skll.budget.run_protocol`: one fixed 30 % test
split; the seed draws the available rows from the training part):

- realized: every strategy's test accuracy, the budget buying from the rest
  of the training part (``run_protocol``, one seed at a time);
- recommended: ``recommend`` on the seed's available rows only (the same rows,
  in the same order, and the same seed: its key is the one the realized SK-LL
  run chooses), with ``n_train`` the training part's size.

The regret of a rule in a cell is the mean over seeds of
``accuracy(best fixed strategy of the cell) - accuracy(the rule's choice)``,
in points; the best fixed strategy is the one with the highest mean test
accuracy over the cell's seeds. Rules: ``recommend`` (its default decision:
uniform unless another is better with its corrected interval above 0), the
same simulation with a plain Student-t interval over repeats (``naive``),
with the best estimated mean (``argmax``), and the fixed strategies.

Parts (the same for the realized runs and the recommendation): the default
selector, the class-conditional Gaussian imputer and a mean-imputing
logistic regression (``recommend_parts``); ``recommend`` runs its default
20 repeats without the learning curve.

Costs "cheap": a key that leaves out expensive modalities becomes cheap
(alzheimers proteins 5, csf 3; breast_cancer se 5; synthetic redundant 5,
noise 5; multiple_features fac 5, pix 5; the others 1).

Each (dataset, costs, availability, seed) is cached as JSON under
``bench/results/recommend/``; a rerun only computes what is missing, and
``--report`` prints the tables from the cache alone.

Usage::

    nice -n 10 python bench/experiments_recommend.py [--quick]
        [--datasets alzheimers ...] [--seeds 10] [--available 0.1 0.3]
        [--budgets 0.1 0.3 0.5] [--costs none cheap] [--report]
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = ("alzheimers", "breast_cancer", "synthetic", "multiple_features")
STRATEGIES = ("available_only", "uniform", "skll", "skll_no_generation")
CHEAP = {
    "alzheimers": {"proteins": 5, "csf": 3},
    "breast_cancer": {"se": 5},
    "synthetic": {"redundant": 5, "noise": 5},
    "multiple_features": {"fac": 5, "pix": 5},
}
CACHE = Path(__file__).resolve().parent / "results" / "recommend"


def _costs(dataset, tag, modalities):
    if tag == "none":
        return None
    return {m: float(CHEAP[dataset].get(m, 1.0)) for m in modalities}


def _pilot_order(y_train, seed):
    """The stratified order in which the budgeted classifier takes rows."""
    from sklearn_skll._base import seed_streams
    from sklearn_skll.planning._simulation import stratified_order

    seeds = seed_streams(seed, "split", "selector", "imputer", "classifier")
    return stratified_order(y_train, np.random.RandomState(seeds["split"]))


def run_cell(dataset, tag, available, seed, budgets):
    """Realized accuracies and recommendations of one (dataset, costs, a, seed)."""
    from sklearn.model_selection import train_test_split

    from sklearn_skll.budget import recommend, run_protocol
    from sklearn_skll.budget._protocol import TEST_RANDOM_STATE, TEST_SIZE
    from sklearn_skll.budget._recommend import recommend_parts
    from sklearn_skll.datasets import load

    data = load(dataset)
    X, y, mods = data.data, np.asarray(data.target), data.modalities
    costs = _costs(dataset, tag, mods)
    params = recommend_parts(mods)
    protocol_params = dict(params)
    if costs is not None:
        protocol_params["costs"] = costs
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = run_protocol(
            X,
            y,
            mods,
            available=(available,),
            budgets=tuple(budgets),
            strategies=STRATEGIES,
            seeds=[seed],
            estimator_params=protocol_params,
        )
    realized_time = time.perf_counter() - start
    train, _ = train_test_split(
        np.arange(y.shape[0]),
        test_size=TEST_SIZE,
        stratify=y,
        random_state=TEST_RANDOM_STATE,
    )
    X_train, y_train = X.iloc[train], y[train]
    n_available = int(np.floor(available * len(train) + 1e-9))
    pilot = _pilot_order(y_train, seed)[:n_available]
    out = {
        "dataset": dataset,
        "costs": tag,
        "available": available,
        "seed": seed,
        "n_pilot": n_available,
        "n_train": len(train),
        "realized_time": realized_time,
        "budgets": {},
    }
    for budget in budgets:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = recommend(
                X_train.iloc[pilot],
                y_train[pilot],
                modalities=mods,
                budget=budget,
                n_train=len(train),
                costs=costs,
                learning_curve=False,
                random_state=seed,
            )
        cell = runs[np.isclose(runs["budget"], budget)].set_index("strategy")
        out["budgets"][str(budget)] = {
            "realized": cell["accuracy"].to_dict(),
            "realized_key": cell.loc["skll", "key_subset"],
            "realized_rows": cell["n_new"].to_dict(),
            "choice": rec.strategy,
            "key": "+".join(rec.candidate_key or ()),
            "estimates": json.loads(
                rec.estimates.reset_index().to_json(orient="records")
            ),
            "runs": None
            if rec.runs is None
            else rec.runs[["repeat", "strategy", "accuracy"]].to_dict(orient="list"),
            "n_valid": None if rec.geometry is None else rec.geometry["n_valid"],
            "n_rest": None if rec.geometry is None else rec.geometry["n_rest"],
            "time": time.perf_counter() - start,
        }
    return out


# ----------------------------------------------------------------- rules


def _choices(entry):
    """The strategy each rule picks for one (cell, seed, budget) entry."""
    from sklearn_skll._stats import mean_interval as _t_interval
    from sklearn_skll._stats import resampled_paired_interval
    from sklearn_skll.budget._recommend import REFERENCE, decide

    picks = {"recommend": entry["choice"]}
    for s in STRATEGIES:
        picks[f"always {s}"] = s
    runs = entry["runs"]
    if runs is None:
        for rule in ("naive", "argmax", "corrected 0.8", "corrected 0.5"):
            picks[rule] = REFERENCE
        return picks
    runs = pd.DataFrame(runs).pivot(
        index="repeat", columns="strategy", values="accuracy"
    )
    # The package's rule, applied to the cached repeats (so the table follows
    # decide() as it is now, not as it was when the cell was cached).
    rows = []
    for s in runs.columns:
        diff = runs[s] - runs[REFERENCE]
        mean, low, _ = resampled_paired_interval(
            diff, entry["n_valid"], entry["n_rest"]
        )
        rows.append(
            {
                "strategy": s,
                "accuracy": runs[s].mean(),
                "diff": mean,
                "diff_ci_low": low,
            }
        )
    picks["recommend"] = decide(pd.DataFrame(rows).set_index("strategy"))
    means = runs.mean()
    picks["argmax"] = str(means.idxmax())
    naive = REFERENCE
    best = -np.inf
    for s in runs.columns:
        if s == REFERENCE:
            continue
        mean, low, _ = _t_interval(runs[s] - runs[REFERENCE])
        if low > 0 and mean > best:
            naive, best = s, mean
    picks["naive"] = naive
    # The same rule with the corrected interval at lower confidence levels.
    for level in (0.8, 0.5):
        choice, best = REFERENCE, -np.inf
        for s in runs.columns:
            if s == REFERENCE:
                continue
            mean, low, _ = resampled_paired_interval(
                runs[s] - runs[REFERENCE], entry["n_valid"], entry["n_rest"], level
            )
            if low > 0 and mean > best:
                choice, best = s, mean
        picks[f"corrected {level:g}"] = choice
    return picks


def regret_table(entries):
    """Per cell: best fixed strategy in hindsight and each rule's regret."""
    rows = []
    for e in entries:
        for budget, b in e["budgets"].items():
            picks = _choices(b)
            for rule, s in picks.items():
                rows.append(
                    {
                        "dataset": e["dataset"],
                        "costs": e["costs"],
                        "available": e["available"],
                        "budget": float(budget),
                        "seed": e["seed"],
                        "rule": rule,
                        "choice": s,
                        "accuracy": b["realized"].get(s, np.nan),
                        **{f"acc_{k}": v for k, v in b["realized"].items()},
                    }
                )
    frame = pd.DataFrame(rows)
    cell = ["dataset", "costs", "available", "budget"]
    fixed = frame[frame["rule"] == "always uniform"]
    means = fixed.groupby(cell)[[f"acc_{s}" for s in STRATEGIES]].mean()
    best = means.idxmax(axis=1).str.removeprefix("acc_").rename("best")
    frame = frame.join(best, on=cell)
    frame["regret"] = 100 * (
        frame.apply(lambda r: r[f"acc_{r['best']}"], axis=1) - frame["accuracy"]
    )
    return frame, means


def report(entries):
    from sklearn_skll._stats import mean_interval as _t_interval

    frame, means = regret_table(entries)
    cell = ["dataset", "costs", "available", "budget"]
    rules = [
        "recommend",
        "always uniform",
        "always skll",
        "naive",
        "argmax",
        "corrected 0.8",
        "corrected 0.5",
    ]
    per = frame.pivot_table(index=cell, columns="rule", values="regret", aggfunc="mean")
    seeds = frame[frame["rule"] == "recommend"].groupby(cell)["seed"].nunique()
    best = frame.groupby(cell)["best"].first()
    chosen = (
        frame[frame["rule"] == "recommend"]
        .groupby(cell)["choice"]
        .agg(lambda c: ", ".join(f"{k} {v}" for k, v in c.value_counts().items()))
    )
    table = pd.concat(
        [seeds.rename("seeds"), best, per[rules].round(2), chosen], axis=1
    )
    # Is the best strategy better than uniform beyond noise? (paired over seeds)
    sig = {}
    fixed = frame[frame["rule"] == "always uniform"]
    for key, group in fixed.groupby(cell):
        b = best[key]
        if b == "uniform":
            sig[key] = ""
            continue
        d = group[f"acc_{b}"] - group["acc_uniform"]
        m, lo, hi = _t_interval(d)
        sig[key] = f"{100 * m:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"
    table["best - uniform"] = pd.Series(sig)
    with pd.option_context("display.width", 250, "display.max_rows", 500):
        print(
            "Regret (points) per cell: mean over seeds of best-in-hindsight "
            "minus the rule's choice; recommend's choices (seeds)."
        )
        print(table.to_string())
    print()
    summary = []
    groups = {
        "all cells": per,
        "cells where uniform is best": per[best == "uniform"],
        "cells where another is best": per[best != "uniform"],
    }
    for name, sub in groups.items():
        for rule in rules:
            m, lo, hi = _t_interval(sub[rule])
            summary.append(
                {
                    "cells": name,
                    "n": len(sub),
                    "rule": rule,
                    "mean regret": round(m, 2),
                    "95 % CI": f"[{lo:.2f}, {hi:.2f}]",
                }
            )
    print("Mean regret over cells (points), 95 % Student-t interval over cells:")
    print(pd.DataFrame(summary).to_string(index=False))
    print()
    rec = per["recommend"] - per["always uniform"]
    for name, mask in (("all", slice(None)), ("another best", best != "uniform")):
        m, lo, hi = _t_interval(rec[mask])
        print(
            f"recommend - always uniform, {name} cells: {m:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        )
    counts = frame[frame["rule"] == "recommend"]["choice"].value_counts()
    print("recommend's choices:", counts.to_dict())
    print()
    signal(entries)


def signal(entries):
    """Does the pilot's estimate of a difference to uniform predict the real one?

    Per (cell, seed, strategy other than uniform): the pilot's mean paired
    difference over the repeats against the realized test-accuracy
    difference; their correlation, and the width of the pilot's intervals.
    """
    from sklearn_skll._stats import resampled_paired_interval

    rows = []
    for e in entries:
        for b in e["budgets"].values():
            if b["runs"] is None:
                continue
            runs = pd.DataFrame(b["runs"]).pivot(
                index="repeat", columns="strategy", values="accuracy"
            )
            for s in runs.columns:
                if s == "uniform":
                    continue
                mean, low, high = resampled_paired_interval(
                    runs[s] - runs["uniform"], b["n_valid"], b["n_rest"]
                )
                rows.append(
                    {
                        "dataset": e["dataset"],
                        "strategy": s,
                        "estimated": 100 * mean,
                        "half_width": 100 * (high - low) / 2,
                        "realized": 100 * (b["realized"][s] - b["realized"]["uniform"]),
                    }
                )
    table = pd.DataFrame(rows)
    out = table.groupby("dataset").apply(
        lambda g: pd.Series(
            {
                "pairs": len(g),
                "corr(estimated, realized)": g["estimated"].corr(g["realized"]),
                "median half-width (points)": g["half_width"].median(),
                "realized sd (points)": g["realized"].std(),
            }
        ),
        include_groups=False,
    )
    print(
        "Signal: the pilot's estimated difference to uniform against the "
        "realized one (per cell, seed and strategy):"
    )
    print(out.round(2).to_string())
    print(
        "all: corr "
        f"{table['estimated'].corr(table['realized']):.2f}, "
        f"median half-width {table['half_width'].median():.1f} points"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--available", nargs="+", type=float, default=[0.1, 0.3])
    parser.add_argument("--budgets", nargs="+", type=float, default=[0.1, 0.3, 0.5])
    parser.add_argument(
        "--costs", nargs="+", default=["none", "cheap"], choices=["none", "cheap"]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 seeds, alzheimers and breast_cancer, 10 %% "
        "available, budgets 0.1 and 0.5 (a smoke run)",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="print the tables from the cache, compute nothing",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.available, args.budgets = 3, [0.1], [0.1, 0.5]
        args.datasets = ["alzheimers", "breast_cancer"]
    CACHE.mkdir(parents=True, exist_ok=True)
    entries = []
    budgets_tag = "-".join(f"{b:g}" for b in args.budgets)
    for dataset in args.datasets:
        for tag in args.costs:
            for available in args.available:
                for seed in range(args.seeds):
                    path = CACHE / (
                        f"{dataset}-{tag}-a{available:g}-b{budgets_tag}-s{seed}.json"
                    )
                    if path.exists():
                        entries.append(json.loads(path.read_text()))
                        continue
                    if args.report:
                        continue
                    start = time.perf_counter()
                    entry = run_cell(dataset, tag, available, seed, args.budgets)
                    path.write_text(json.dumps(entry))
                    entries.append(entry)
                    print(
                        f"{dataset} costs={tag} available={available:g} "
                        f"seed={seed}: {time.perf_counter() - start:.0f} s",
                        flush=True,
                    )
    if entries:
        report(entries)


if __name__ == "__main__":
    main()
