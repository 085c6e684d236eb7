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
accuracy over the cell's seeds. Rules, applied to the same cached repeats:
``recommend`` (the package's decision as it is now: uniform unless another
is better with its interval above 0), the same rule with Nadeau and
Bengio's wider interval (``Nadeau-Bengio``, the rule before the repeats'
correlation was measured) and with a plain Student-t interval over repeats
(``naive``), the best estimated mean (``argmax``), and the fixed strategies.

Groups: ``bundled`` (the default: the bundled datasets below) and ``power``
(generated tables where a cheap key's rows truly beat complete rows, pilots
of 30, 100 and 300 rows, budgets 5 and 20 %: how often does ``recommend``
see the win?). ``--calibration`` measures, from every cached cell, how much
the pilot's estimate varies between pilots against the width of the
intervals (the repeats' correlation that ``recommend`` uses).

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

    nice -n 10 python bench/experiments_recommend.py [--group bundled|power]
        [--quick] [--datasets alzheimers ...] [--seeds 10] [--repeats 20]
        [--available 0.1 0.3] [--budgets 0.1 0.3 0.5] [--costs none cheap]
        [--report] [--calibration]
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

#: Generated tables of the ``power`` group (3000 rows, 2 classes): a cheap key
#: (two informative modalities, cost 1 each) carries the signal; an expensive
#: assay (cost 5) is a noisy copy of one key modality and an expensive imaging
#: block (cost 10) is noise. SK-LL's key rows cost 2 against 17 for a complete
#: row. In ``cheap_key`` the expensive blocks are 10 columns each (a model
#: trained on mean-imputed blocks pays for them on small pilots); in
#: ``cheap_key_wide`` the key is 80 columns (a steep learning curve) and the
#: expensive blocks 2 columns each.
GENERATED = {
    "cheap_key": {
        "n_samples": 3000,
        "n_classes": 2,
        "modalities": {
            "clinical": {"n_features": 30, "role": "informative", "class_sep": 0.8},
            "labs": {"n_features": 30, "role": "informative", "class_sep": 0.6},
            "assay": {"n_features": 10, "role": "redundant", "copy_of": "clinical"},
            "imaging": {"n_features": 10, "role": "noise"},
        },
        "costs": {"clinical": 1, "labs": 1, "assay": 5, "imaging": 10},
    },
    "cheap_key_wide": {
        "n_samples": 3000,
        "n_classes": 2,
        "modalities": {
            "clinical": {"n_features": 40, "role": "informative", "class_sep": 0.7},
            "labs": {"n_features": 40, "role": "informative", "class_sep": 0.5},
            "assay": {"n_features": 2, "role": "redundant", "copy_of": "clinical"},
            "imaging": {"n_features": 2, "role": "noise"},
        },
        "costs": {"clinical": 1, "labs": 1, "assay": 5, "imaging": 10},
    },
}
CHEAP.update({name: table["costs"] for name, table in GENERATED.items()})

#: The experiment's groups: the bundled data (the regret table), and the
#: generated tables where another strategy can truly beat uniform (power).
GROUPS = {
    "bundled": {
        "datasets": list(DATASETS),
        "available": [0.1, 0.3],
        "budgets": [0.1, 0.3, 0.5],
        "costs": ["none", "cheap"],
    },
    "power": {
        "datasets": list(GENERATED),
        "available": [30, 100, 300],
        "budgets": [0.05, 0.2],
        "costs": ["cheap"],
    },
}


def _costs(dataset, tag, modalities):
    if tag == "none":
        return None
    return {m: float(CHEAP[dataset].get(m, 1.0)) for m in modalities}


def _load(dataset):
    """``(X, y, modalities)`` of a bundled dataset or a generated table."""
    from sklearn_skll.datasets import load, make_multimodal_classification

    if dataset in GENERATED:
        table = GENERATED[dataset]
        data = make_multimodal_classification(
            table["n_samples"],
            modalities=table["modalities"],
            n_classes=table["n_classes"],
            random_state=0,
        )
    else:
        data = load(dataset)
    return data.data, np.asarray(data.target), data.modalities


def _n_available(available, n_train):
    """Rows of the pilot: a count, or a fraction of the training part."""
    if float(available).is_integer() and available >= 1:
        return int(available)
    return int(np.floor(available * n_train + 1e-9))


def _pilot_order(y_train, seed):
    """The stratified order in which the budgeted classifier takes rows."""
    from sklearn_skll._base import seed_streams
    from sklearn_skll.planning._simulation import stratified_order

    seeds = seed_streams(seed, "split", "selector", "imputer", "classifier")
    return stratified_order(y_train, np.random.RandomState(seeds["split"]))


def run_cell(dataset, tag, available, seed, budgets, n_repeats=20):
    """Realized accuracies and recommendations of one (dataset, costs, a, seed)."""
    from sklearn.model_selection import train_test_split

    from sklearn_skll.budget import recommend, run_protocol
    from sklearn_skll.budget._protocol import TEST_RANDOM_STATE, TEST_SIZE
    from sklearn_skll.budget._recommend import recommend_parts

    X, y, mods = _load(dataset)
    available = int(available) if available >= 1 else available
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
    n_available = _n_available(available, len(train))
    pilot = _pilot_order(y_train, seed)[:n_available]
    out = {
        "dataset": dataset,
        "costs": tag,
        "available": available,
        "seed": seed,
        "n_pilot": n_available,
        "n_train": len(train),
        "realized_time": realized_time,
        "n_repeats": n_repeats,
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
                n_repeats=n_repeats,
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
            "n_small": None if rec.geometry is None else rec.geometry["n_small"],
            "real_rows": rec.estimates["rows_bought"].to_dict(),
            "time": time.perf_counter() - start,
        }
    return out


# ----------------------------------------------------------------- rules


#: The rules other than the fixed strategies, as the tables name them.
RULES = ("recommend", "Nadeau-Bengio", "naive", "argmax")


def _choices(entry):
    """The strategy each rule picks for one (cell, seed, budget) entry.

    ``recommend``: the package's rule and interval as they are now
    (``decide`` on ``difference_interval``), applied to the cached repeats;
    ``Nadeau-Bengio``: the same rule with Nadeau and Bengio's corrected
    interval (the rule before the repeats' correlation was measured);
    ``naive``: the plain Student-t interval over the repeats; ``argmax``:
    the best estimated mean.
    """
    from sklearn_skll._stats import mean_interval as _t_interval
    from sklearn_skll._stats import resampled_paired_interval
    from sklearn_skll.budget._recommend import REFERENCE, decide, difference_interval

    picks = {"recommend": entry["choice"]}
    for s in STRATEGIES:
        picks[f"always {s}"] = s
    runs = entry["runs"]
    if runs is None:
        for rule in RULES:
            picks[rule] = REFERENCE
        return picks
    runs = pd.DataFrame(runs).pivot(
        index="repeat", columns="strategy", values="accuracy"
    )
    intervals = {
        "recommend": difference_interval,
        "Nadeau-Bengio": lambda d: resampled_paired_interval(
            d, entry["n_valid"], entry["n_rest"]
        ),
        "naive": _t_interval,
    }
    for rule, interval in intervals.items():
        rows = []
        for s in runs.columns:
            mean, low, _ = interval(runs[s] - runs[REFERENCE])
            rows.append(
                {
                    "strategy": s,
                    "accuracy": runs[s].mean(),
                    "diff": mean,
                    "diff_ci_low": low,
                }
            )
        picks[rule] = decide(pd.DataFrame(rows).set_index("strategy"))
    picks["argmax"] = str(runs.mean().idxmax())
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


def _complete_cells(entries, min_seeds):
    """The entries of the cells with at least ``min_seeds`` seeds cached."""
    seeds = {}
    for e in entries:
        key = (e["dataset"], e["costs"], e["available"])
        seeds.setdefault(key, set()).add(e["seed"])
    short = sorted(k for k, v in seeds.items() if len(v) < min_seeds)
    for k in short:
        print(
            f"left out (fewer than {min_seeds} seeds cached): {k[0]} costs={k[1]} "
            f"available={k[2]:g} ({len(seeds[k])} seeds)"
        )
    return [
        e for e in entries if (e["dataset"], e["costs"], e["available"]) not in short
    ]


def report(entries):
    from sklearn_skll._stats import mean_interval as _t_interval

    frame, means = regret_table(entries)
    cell = ["dataset", "costs", "available", "budget"]
    rules = ["recommend", "always uniform", "always skll", *RULES[1:]]
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
    for other in ("always uniform", "Nadeau-Bengio"):
        rec = per["recommend"] - per[other]
        for name, mask in (("all", slice(None)), ("another best", best != "uniform")):
            m, lo, hi = _t_interval(rec[mask])
            print(f"recommend - {other}, {name} cells: {m:+.2f} [{lo:+.2f}, {hi:+.2f}]")
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
    from sklearn_skll.budget._recommend import difference_interval

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
                mean, low, high = difference_interval(runs[s] - runs["uniform"])
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


def _estimates(b):
    """Per strategy: the pilot's difference to uniform, its interval and the
    smallest difference it finds 4 times in 5 (the package's, from the
    cached repeats)."""
    from sklearn_skll._stats import detectable_difference
    from sklearn_skll.budget._recommend import DETECTION_POWER, difference_interval

    if b["runs"] is None:
        return {}
    runs = pd.DataFrame(b["runs"]).pivot(
        index="repeat", columns="strategy", values="accuracy"
    )
    out = {}
    for s in runs.columns:
        diff = runs[s] - runs["uniform"]
        mean, low, high = difference_interval(diff)
        out[s] = {
            "diff": mean,
            "diff_ci_low": low,
            "diff_ci_high": high,
            "detectable": detectable_difference(
                low, high, len(diff), power=DETECTION_POWER
            ),
        }
    return out


def power_report(entries):
    """Can ``recommend`` see a real win? Per cell of the generated tables.

    Per cell: the best strategy in hindsight and its paired difference to
    uniform over seeds (realized test accuracy); what the pilot estimated for
    that difference (mean over seeds of the estimate and of its interval's
    half-width); how often each rule picked the best strategy; the regret of
    the rules. Power is the share of recommendations that pick a strategy
    better than uniform beyond noise, over the cells where one exists; a
    false switch is a pick other than uniform where uniform is best.
    """
    from sklearn_skll._stats import mean_interval as _t_interval

    frame, _ = regret_table(entries)
    cell = ["dataset", "costs", "available", "budget"]
    rules = ["recommend", "always uniform", "always skll_no_generation"]
    rules += ["always skll", *RULES[1:]]
    estimates = {}
    for e in entries:
        for budget, b in e["budgets"].items():
            key = (e["dataset"], e["costs"], e["available"], float(budget), e["seed"])
            estimates[key] = _estimates(b)
    rows, better_sets = [], {}
    fixed = frame[frame["rule"] == "always uniform"]
    for key, group in fixed.groupby(cell):
        best = group["best"].iloc[0]
        better = []
        for s in STRATEGIES:
            if s == "uniform":
                continue
            _, lo, _ = _t_interval(group[f"acc_{s}"] - group["acc_uniform"])
            if lo > 0:
                better.append(s)
        better_sets[key] = better
        row = dict(zip(cell, key))
        row["seeds"] = group["seed"].nunique()
        row["uniform %"] = round(100 * group["acc_uniform"].mean(), 1)
        row["best"] = best
        if best == "uniform":
            others = [s for s in STRATEGIES if s != "uniform"]
            top = max(others, key=lambda s: group[f"acc_{s}"].mean())
        else:
            top = best
        m, lo, hi = _t_interval(group[f"acc_{top}"] - group["acc_uniform"])
        row["realized: best other - uniform"] = (
            f"{top} {100 * m:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"
        )
        est = [
            estimates[(*key, seed)].get(top)
            for seed in group["seed"]
            if (*key, seed) in estimates
        ]
        est = [r for r in est if r is not None and np.isfinite(r["diff"])]
        if est:
            row["pilot's estimate"] = round(100 * np.mean([r["diff"] for r in est]), 1)
            row["found 4 in 5 from"] = round(
                100 * np.mean([r["detectable"] for r in est]), 1
            )
            row["half-width"] = round(
                100
                * np.mean([(r["diff_ci_high"] - r["diff_ci_low"]) / 2 for r in est]),
                1,
            )
        at = (frame[cell] == pd.Series(dict(zip(cell, key)))).all(axis=1)
        mine = (frame["rule"] == "recommend") & at
        picks = frame.loc[mine, "choice"]
        row["recommend's picks"] = ", ".join(
            f"{k} {v}" for k, v in picks.value_counts().items()
        )
        rows.append(row)
    table = pd.DataFrame(rows).set_index(cell)
    per = frame.pivot_table(index=cell, columns="rule", values="regret", aggfunc="mean")
    for rule in ("recommend", "always uniform", "argmax"):
        table[f"regret {rule.removeprefix('always ')}"] = per[rule].round(2)
    with pd.option_context("display.width", 250, "display.max_rows", 500):
        print(
            "Power: per cell, the realized difference of the best strategy other "
            "than uniform (paired over seeds, 95 % t), the pilot's estimate of it "
            "(mean over seeds), the smallest difference its interval finds 4 "
            "times in 5 and that interval's half-width, recommend's picks and "
            "regrets (points)."
        )
        print(table.drop(columns="costs", errors="ignore").to_string())
    print()
    summary = []
    for rule in rules:
        sub = frame[frame["rule"] == rule]
        win, win_n, false, false_n = 0, 0, 0, 0
        for key, group in sub.groupby(cell):
            better = better_sets[key]
            if better:
                win += int(group["choice"].isin(better).sum())
                win_n += len(group)
            elif group["best"].iloc[0] == "uniform":
                false += int((group["choice"] != "uniform").sum())
                false_n += len(group)
        regret = per[rule]
        has_win = pd.Series({k: bool(v) for k, v in better_sets.items()})
        summary.append(
            {
                "rule": rule,
                "power": f"{win}/{win_n}",
                "false switches": f"{false}/{false_n}",
                "mean regret, all cells": round(regret.mean(), 2),
                "cells with a win": round(
                    regret[has_win.reindex(regret.index)].mean(), 2
                ),
                "other cells": round(regret[~has_win.reindex(regret.index)].mean(), 2),
            }
        )
    print(
        "Power: picks of a strategy better than uniform beyond noise, over the "
        "recommendations in cells where one exists; false switches: picks "
        "other than uniform where uniform is best; mean regret (points):"
    )
    print(pd.DataFrame(summary).to_string(index=False))
    has_win = pd.Series({k: bool(v) for k, v in better_sets.items()})
    rec = per["recommend"] - per["always uniform"]
    for name, mask in (("all", rec.index), ("with a win", has_win[has_win].index)):
        m, lo, hi = _t_interval(rec.loc[mask])
        print(
            f"recommend - always uniform, {name} cells: {m:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        )


def calibration(entries):
    """Is the interval's width right? The estimate's spread between pilots.

    Per cell, strategy and number of repeats ``J`` (>= 8 seeds, each a pilot
    drawn anew): the variance of the pilot's mean difference between seeds
    against the mean within-pilot variance ``s^2`` of the repeats' differences.
    ``c = var_between / s^2 - 1 / J`` is the correlation term of
    ``s^2 (1 / J + c)``; its mean over cells (bootstrap 95 % interval) gives
    the repeats' correlation ``rho = c / (1 + c)``. Then the coverage of each
    interval: how often it holds the mean estimate of the cell's other
    pilots (leave one out, the deviation scaled by ``sqrt((n - 1) / n)`` for
    that mean's own noise).
    """
    from scipy import stats

    from sklearn_skll.budget._recommend import REPEAT_CORRELATION

    rows = []
    for e in entries:
        for budget, b in e["budgets"].items():
            if b["runs"] is None:
                continue
            runs = pd.DataFrame(b["runs"]).pivot(
                index="repeat", columns="strategy", values="accuracy"
            )
            for s in runs.columns:
                if s == "uniform":
                    continue
                d = (runs[s] - runs["uniform"]).to_numpy()
                rows.append(
                    {
                        "dataset": e["dataset"],
                        "costs": e["costs"],
                        "available": e["available"],
                        "budget": float(budget),
                        "strategy": s,
                        "J": d.size,
                        "est": d.mean(),
                        "sd": d.std(ddof=1),
                        "nb": b["n_valid"] / b["n_rest"],
                    }
                )
    df = pd.DataFrame(rows)
    key = ["dataset", "costs", "available", "budget", "strategy", "J"]
    group = df.groupby(key)["est"]
    df["n"] = group.transform("size")
    df = df[df["n"] >= 8].copy()
    df["loo"] = (df.groupby(key)["est"].transform("sum") - df["est"]) / (df["n"] - 1)
    cells = df.groupby(key).agg(
        v=("est", "var"), s2=("sd", lambda x: np.mean(x**2)), J=("J", "first")
    )
    cells = cells[cells["s2"] > 0]
    c = (cells["v"] / cells["s2"] - 1 / cells["J"]).to_numpy()
    rng = np.random.default_rng(0)
    boot = [rng.choice(c, c.size).mean() for _ in range(2000)]
    print(
        f"Repeats' correlation term c over {c.size} cells x strategies: mean "
        f"{c.mean():.4f} [{np.percentile(boot, 2.5):.4f}, "
        f"{np.percentile(boot, 97.5):.4f}], median {np.median(c):.4f}; "
        f"rho = c / (1 + c) = {c.mean() / (1 + c.mean()):.3f}"
    )
    t = stats.t.ppf(0.975, df["J"] - 1)
    dev = np.abs(df["est"] - df["loo"]) * np.sqrt((df["n"] - 1) / df["n"])
    widths = {"Nadeau-Bengio": df["nb"]}
    for rho in (0.0, 0.01, 0.02, REPEAT_CORRELATION, 0.05):
        widths[f"rho {rho:g}"] = rho / (1 - rho) + 0 * df["nb"]
    out = []
    for name, term in widths.items():
        covered = dev <= t * df["sd"] * np.sqrt(1 / df["J"] + term)
        out.append(
            {
                "interval": name,
                "all": round(covered.mean(), 3),
                **covered.groupby(df["dataset"]).mean().round(3).to_dict(),
                **{
                    f"J={j}": v
                    for j, v in covered.groupby(df["J"]).mean().round(3).items()
                },
            }
        )
    print(
        "Coverage of the 95 % interval (share of pilots whose interval holds "
        f"the other pilots' mean estimate; {len(df)} pilots x strategies); "
        f"recommend uses rho {REPEAT_CORRELATION:g}:"
    )
    with pd.option_context("display.width", 250):
        print(pd.DataFrame(out).to_string(index=False))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--group",
        choices=sorted(GROUPS),
        default="bundled",
        help="bundled: the bundled datasets (the regret table); power: generated "
        "tables with a cheap informative key, where another strategy can truly "
        "beat uniform (default: bundled)",
    )
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--repeats",
        type=int,
        default=20,
        help="recommend's n_repeats (default 20, its default)",
    )
    parser.add_argument(
        "--available",
        nargs="+",
        type=float,
        default=None,
        help="pilot sizes: fractions of the training part, or row counts (>= 1)",
    )
    parser.add_argument("--budgets", nargs="+", type=float, default=None)
    parser.add_argument("--costs", nargs="+", default=None, choices=["none", "cheap"])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 3 seeds; bundled: alzheimers and breast_cancer, 10 %% "
        "available, budgets 0.1 and 0.5; power: pilots of 30 and 300 rows, "
        "budget 0.2",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="print the tables from the cache, compute nothing",
    )
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="from every cached entry (both groups, any --repeats): the "
        "repeats' correlation and the coverage of the intervals; computes nothing",
    )
    args = parser.parse_args(argv)
    if args.calibration:
        entries = [json.loads(p.read_text()) for p in sorted(CACHE.glob("*.json"))]
        calibration(entries)
        return
    group = dict(GROUPS[args.group])
    if args.quick:
        args.seeds = 3
        if args.group == "bundled":
            group.update(
                available=[0.1],
                budgets=[0.1, 0.5],
                datasets=["alzheimers", "breast_cancer"],
            )
        else:
            group.update(available=[30, 300], budgets=[0.2])
    for name in ("datasets", "available", "budgets", "costs"):
        if getattr(args, name) is None:
            setattr(args, name, group[name])
    CACHE.mkdir(parents=True, exist_ok=True)
    entries = []
    budgets_tag = "-".join(f"{b:g}" for b in args.budgets)
    for dataset in args.datasets:
        for tag in args.costs:
            for available in args.available:
                for seed in range(args.seeds):
                    repeats = "" if args.repeats == 20 else f"-r{args.repeats}"
                    path = CACHE / (
                        f"{dataset}-{tag}-a{available:g}-b{budgets_tag}{repeats}"
                        f"-s{seed}.json"
                    )
                    if path.exists():
                        entries.append(json.loads(path.read_text()))
                        continue
                    if args.report:
                        continue
                    start = time.perf_counter()
                    entry = run_cell(
                        dataset, tag, available, seed, args.budgets, args.repeats
                    )
                    path.write_text(json.dumps(entry))
                    entries.append(entry)
                    print(
                        f"{dataset} costs={tag} available={available:g} "
                        f"seed={seed}: {time.perf_counter() - start:.0f} s",
                        flush=True,
                    )
    entries = _complete_cells(entries, args.seeds)
    if not entries:
        return
    if args.group == "power":
        power_report(entries)
    else:
        report(entries)


if __name__ == "__main__":
    main()
