"""Per-sample acquisition: which criterion buys the most accuracy per block acquired.

Question: when every held-out row lacks its expensive block and a budget pays
it for some rows, which criterion of
:class:`~sklearn_skll.acquisition.AcquisitionRanker` should choose the rows,
and how close does it come to an oracle that knows the truth?

Per dataset, classifier, imputer and seed: a stratified half of the rows
(complete) trains the classifier and the imputer (and, for ``learned``, one
of each per cross-fitting fold); on the other half, the held-out rows, the
expensive modalities are hidden (one block, acquired together at cost 1 per
row). Each criterion ranks the held-out rows; at a budget of k % of them the
top-k rows get their true block back, and the accuracy on all held-out rows
is measured. ``oracle`` knows the truth: it acquires first for the rows whose
true block turns the prediction right (then those it leaves unchanged, by
the gain in log loss), the best any criterion could do. Same seed, same rows,
same fitted parts for every criterion: differences are paired, with 95 %
Student-t intervals over seeds; a difference whose interval holds 0 is "no
difference". ``share`` is a criterion's gain over random as a fraction of
the oracle's.

Classifiers: ``logreg`` (StandardScaler + LogisticRegression; a missing block
is filled with the imputer's conditional mean) and ``hgb``
(HistGradientBoostingClassifier, which takes the missing block as NaN; it
is fitted on the training rows and a copy of them with the hidden block
removed, so that it has learned what to do with NaN). Imputers:
``gaussian`` (the package's ClassConditionalGaussianImputer) and ``flow``
(FlowImputer, slower: ``--imputers flow`` runs it on the small datasets).

Data: alzheimers (proteins + csf hidden; apoe and demographics observed),
multiple_features (fac + pix + kar hidden; fou, zer, mor observed),
synthetic (make_multimodal_classification, 600 rows: ``informative``
hidden, its noisy copy observed) and ``subgroup`` (800 synthetic rows: the
expensive ``scan`` is informative only for the 30 % of patients in a
subgroup that the cheap ``clinical`` block records, so per-patient choice
matters most).

``--scenario choice``: several hidden modalities per row with unequal costs
(CHOICE), spent greedily by gain per cost; it also measures ``rounds``:
``select(..., max_per_row=1)`` twice, each round ranking again with what the
first one revealed.

Every (scenario, dataset, classifier, imputer, seed) result is cached under
``bench/results/acquisition/`` (delete it to rerun). Everything runs on one
thread per process.

Usage::

    nice -n 10 python bench/experiments_acquisition.py            # full
    nice -n 10 python bench/experiments_acquisition.py --quick    # minutes
    python bench/experiments_acquisition.py --report-only --plot acquisition.png
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_skll import resolve_modalities
from sklearn_skll._stats import format_interval, paired_interval, verdict
from sklearn_skll.acquisition import CRITERIA, AcquisitionRanker
from sklearn_skll.acquisition._masked import _MaskedFitClassifier
from sklearn_skll.datasets import load, make_multimodal_classification
from sklearn_skll.impute import ClassConditionalGaussianImputer, FlowImputer

#: Bump when a change invalidates the cached results.
VERSION = "5"
RESULTS = Path(__file__).resolve().parent / "results" / "acquisition"

HIDDEN = {
    "alzheimers": ["proteins", "csf"],
    "multiple_features": ["fac", "pix", "kar"],
    "synthetic": ["informative"],
    "subgroup": ["scan"],
}
REAL = ("alzheimers", "multiple_features", "synthetic")
#: The "which modality" scenario: hidden modalities and their costs.
CHOICE = {
    "alzheimers": {"proteins": 3.0, "csf": 5.0},
    "multiple_features": {"fac": 3.0, "pix": 2.0, "kar": 1.0},
    "synthetic": {"informative": 2.0, "redundant": 1.0},
    "subgroup": {"scan": 2.0, "labs": 1.0},
}
BUDGETS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
ORACLE = "oracle"
ALL = (*CRITERIA, ORACLE)


def make_subgroup(n=800, random_state=0):
    """Synthetic patients whose ``scan`` pays only inside a subgroup.

    ``clinical`` (4 columns: a 0/1 subgroup flag and three weak signals) and
    ``labs`` (3 weak signals) are cheap; ``scan`` (6 columns) carries the
    class strongly for the 30 % of rows with the flag and is noise for the
    others. Returns ``X, y, modalities``.
    """
    rng = np.random.RandomState(random_state)
    y = rng.randint(2, size=n)
    t = 2.0 * y - 1.0
    flag = (rng.uniform(size=n) < 0.3).astype(float)
    clinical = np.column_stack([flag, 0.4 * t[:, None] + rng.normal(size=(n, 3))])
    labs = 0.3 * t[:, None] + rng.normal(size=(n, 3))
    scan = 1.5 * (flag * t)[:, None] + rng.normal(size=(n, 6))
    X = np.hstack([clinical, labs, scan])
    mods = {"clinical": np.arange(4), "labs": np.arange(4, 7), "scan": np.arange(7, 13)}
    return X, y, mods


def load_data(name, seed):
    """``X`` (float), ``y`` and resolved modalities (column positions)."""
    if name == "subgroup":
        return make_subgroup(random_state=seed)
    if name == "synthetic":
        data = make_multimodal_classification(600, random_state=seed)
    else:
        data = load(name)
    mods = resolve_modalities(data.modalities, data.data)
    return np.asarray(data.data, dtype=float), np.asarray(data.target), mods


def make_classifier(kind, blocks):
    if kind == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    # Small on purpose: 40 trees of 15 leaves on 32 bins fit multiple_features
    # in 2.5 s (100 full trees: 19 s) for the same accuracy on complete rows.
    return _MaskedFitClassifier(
        HistGradientBoostingClassifier(
            max_iter=40,
            learning_rate=0.2,
            max_leaf_nodes=15,
            max_bins=32,
            early_stopping=False,
        ),
        blocks=blocks,
    )


def make_imputer(kind, mods):
    if kind == "flow":
        return FlowImputer(modalities=mods)
    return ClassConditionalGaussianImputer(modalities=mods)


def _truth_gains(ranker, X_hidden, X_true, y, pairs):
    """Realized 0-1 and log-loss gain of revealing each (row, columns) pair."""
    codes = np.searchsorted(ranker.classes_, y)
    rows = np.array([r for r, _ in pairs])
    before = ranker._proba(X_hidden)[rows]
    after = X_hidden[rows].copy()
    for k, (r, cols) in enumerate(pairs):
        after[k, cols] = X_true[r, cols]
    after = ranker._proba(after)
    truth, n = codes[rows], np.arange(len(rows))
    right = (after.argmax(axis=1) == truth).astype(float)
    was = (before.argmax(axis=1) == truth).astype(float)
    eps = 1e-12
    log_gain = np.log(np.clip(after[n, truth], eps, 1)) - np.log(
        np.clip(before[n, truth], eps, 1)
    )
    return right - was, log_gain


def _split(name, seed):
    X, y, mods = load_data(name, seed)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    return X_tr, X_te, y_tr, y_te, mods


def _accuracy(ranker, X, y):
    return float(np.mean(ranker.classes_[ranker._proba(X).argmax(axis=1)] == y))


def run_block(name, seed, classifier, imputer, n_draws):
    """Accuracy on the held-out rows per criterion and budget, one seed."""
    X_tr, X_te, y_tr, y_te, mods = _split(name, seed)
    hidden = np.concatenate([mods[m] for m in HIDDEN[name]])
    blocks = {"hidden": hidden}
    blocks.update({m: c for m, c in mods.items() if m not in HIDDEN[name]})
    ranker = AcquisitionRanker(
        make_classifier(classifier, [hidden]),
        make_imputer(imputer, blocks),
        modalities=blocks,
        criterion="learned",
        n_draws=n_draws,
        random_state=seed,
    )
    start = time.perf_counter()
    ranker.fit(X_tr, y_tr)
    fit_seconds = time.perf_counter() - start
    X_hid = X_te.copy()
    X_hid[:, hidden] = np.nan
    n = X_te.shape[0]
    orders, seconds = {}, {}
    for criterion in CRITERIA:
        ranker.set_params(criterion=criterion)
        start = time.perf_counter()
        orders[criterion] = ranker.rank(X_hid)["row"].to_numpy()
        seconds[criterion] = time.perf_counter() - start
    zero_one, log_gain = _truth_gains(
        ranker, X_hid, X_te, y_te, [(r, hidden) for r in range(n)]
    )
    orders[ORACLE] = np.lexsort((-log_gain, -zero_one))
    seconds[ORACLE] = 0.0
    rows = []
    for criterion, order in orders.items():
        for budget in BUDGETS:
            k = round(budget * n)
            X_acq = X_hid.copy()
            X_acq[order[:k]] = X_te[order[:k]]
            rows.append(
                {
                    "criterion": criterion,
                    "budget": budget,
                    "accuracy": _accuracy(ranker, X_acq, y_te),
                    "rank_seconds": seconds[criterion],
                    "fit_seconds": fit_seconds,
                }
            )
    return rows


def _spend(ranking, costs_left, taken_rows=None, max_per_row=None):
    """Greedy by the ranking's order within ``costs_left`` (``select``'s rule)."""
    take, left, per_row = [], costs_left, {}
    for k, (row, cost) in enumerate(zip(ranking["row"], ranking["cost"])):
        if max_per_row is not None and per_row.get(row, 0) >= max_per_row:
            continue
        if cost <= left + 1e-9:
            take.append(k)
            left -= cost
            per_row[row] = per_row.get(row, 0) + 1
    return take, left


def run_choice(name, seed, classifier, imputer, n_draws):
    """Several hidden modalities per row, unequal costs; greedy and in rounds."""
    X_tr, X_te, y_tr, y_te, mods = _split(name, seed)
    costs = CHOICE[name]
    ranker = AcquisitionRanker(
        make_classifier(classifier, [mods[m] for m in costs]),
        make_imputer(imputer, mods),
        modalities=mods,
        costs={**dict.fromkeys(mods, 1.0), **costs},
        criterion="learned",
        n_draws=n_draws,
        random_state=seed,
    )
    ranker.fit(X_tr, y_tr)
    X_hid = X_te.copy()
    for m in costs:
        X_hid[:, mods[m]] = np.nan
    n = X_te.shape[0]
    total = n * sum(costs.values())
    rankings = {}
    for criterion in CRITERIA:
        ranker.set_params(criterion=criterion)
        rankings[criterion] = ranker.rank(X_hid)
    pairs = [(r, mods[m]) for m in costs for r in range(n)]
    zero_one, log_gain = _truth_gains(ranker, X_hid, X_te, y_te, pairs)
    cost = np.array([costs[m] for m in costs for _ in range(n)])
    order = np.lexsort((-log_gain / cost, -zero_one / cost))
    names = [m for m in costs for _ in range(n)]
    rankings[ORACLE] = pd.DataFrame(
        {
            "row": [pairs[k][0] for k in order],
            "modality": [names[k] for k in order],
            "cost": cost[order],
        }
    )
    rows = []

    def reveal(X, ranking, take):
        X = X.copy()
        for k in take:
            r, m = ranking["row"].iloc[k], ranking["modality"].iloc[k]
            X[r, mods[m]] = X_te[r, mods[m]]
        return X

    for criterion, ranking in rankings.items():
        for budget in BUDGETS:
            take, _ = _spend(ranking, budget * total)
            X_acq = reveal(X_hid, ranking, take)
            rows.append(
                {
                    "criterion": criterion,
                    "budget": budget,
                    "accuracy": _accuracy(ranker, X_acq, y_te),
                }
            )
    # Rounds: at most one modality per row per round, ranked again after each.
    for criterion in ("uncertainty", "expected_change", "learned"):
        ranker.set_params(criterion=criterion)
        for budget in BUDGETS:
            left, X_acq = budget * total, X_hid
            for _ in range(2):
                if left <= 0 or not np.isnan(X_acq).any():
                    break
                chosen = ranker.select(
                    X_acq, left / 2 if _ == 0 else left, max_per_row=1
                )
                X_acq = reveal(X_acq, chosen, range(len(chosen)))
                left -= chosen["cost"].sum()
            rows.append(
                {
                    "criterion": f"{criterion}, rounds",
                    "budget": budget,
                    "accuracy": _accuracy(ranker, X_acq, y_te),
                }
            )
    return rows


def cached(scenario, name, seed, classifier, imputer, n_draws):
    key = f"{scenario}-{name}-{classifier}-{imputer}-d{n_draws}-s{seed}-v{VERSION}"
    path = RESULTS / f"{key}.csv"
    if path.exists():
        return pd.read_csv(path)
    run = run_block if scenario == "block" else run_choice
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        frame = pd.DataFrame(run(name, seed, classifier, imputer, n_draws))
    frame.insert(0, "seed", seed)
    frame.insert(0, "imputer", imputer)
    frame.insert(0, "classifier", classifier)
    frame.insert(0, "dataset", name)
    RESULTS.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return frame


def paired(group, reference):
    """Per budget and criterion: mean accuracy, difference to ``reference``
    with its paired 95 % interval, and the share of the oracle's gain."""
    wide = group.pivot_table(
        index=["seed", "budget"], columns="criterion", values="accuracy"
    )
    out = []
    for budget, at in wide.groupby(level="budget"):
        oracle_gain = (at[ORACLE] - at["random"]).mean() if ORACLE in at else np.nan
        for criterion in at.columns:
            if criterion == reference:
                continue
            diff = at[criterion] - at[reference]
            mean, low, high = paired_interval(diff)
            gain = (at[criterion] - at["random"]).mean()
            out.append(
                {
                    "budget": budget,
                    "criterion": criterion,
                    "accuracy": at[criterion].mean(),
                    "diff": mean,
                    "low": low,
                    "high": high,
                    "verdict": verdict(low, high),
                    "share": gain / oracle_gain if oracle_gain > 0 else np.nan,
                }
            )
    return pd.DataFrame(out)


def _cell(row):
    return format_interval(row["diff"], row["low"], row["high"], scale=100)


def report(runs, default="learned"):
    """Print, per case: accuracy by budget, the paired differences of every
    criterion to random and to uncertainty, and the share of the oracle's gain;
    then the verdict on ``default``."""
    cases = runs.groupby(["dataset", "classifier", "imputer"], sort=False)
    verdicts = []
    for (dataset, classifier, imputer), group in cases:
        n_seeds = group["seed"].nunique()
        print(
            f"\n## {dataset}, {classifier}, {imputer} imputer ({n_seeds} seeds): "
            "held-out accuracy (%) by budget (fraction of the held-out rows; "
            "with --scenario choice, of the cost of everything)"
        )
        mean = group.pivot_table(
            index="budget", columns="criterion", values="accuracy", aggfunc="mean"
        )
        columns = [c for c in ALL if c in mean] + [c for c in mean if c not in ALL]
        print((100 * mean[columns]).round(1).to_string())
        for reference in ("random", "uncertainty"):
            table = paired(group, reference)
            table = table[table["budget"] > 0]
            wide = table.assign(cell=table.apply(_cell, axis=1)).pivot(
                index="budget", columns="criterion", values="cell"
            )
            print(f"\npaired difference to {reference} (points, 95 % interval)")
            print(wide[[c for c in columns if c in wide]].to_string())
        rounds = [c for c in columns if c.endswith(", rounds")]
        if rounds:
            wide = group.pivot_table(
                index=["seed", "budget"], columns="criterion", values="accuracy"
            )
            cells = {}
            for name in rounds:
                diff = wide[name] - wide[name.removesuffix(", rounds")]
                cells[name] = {
                    budget: format_interval(*paired_interval(d), scale=100)
                    for budget, d in diff.groupby(level="budget")
                    if budget > 0
                }
            print(
                "\nrounds (at most one modality per row, then ranked again) "
                "against one greedy pass of the same criterion (points)"
            )
            print(pd.DataFrame(cells).to_string())
        table = paired(group, "random")
        table = table[table["budget"] > 0]
        share = table.pivot(index="budget", columns="criterion", values="share")
        print("\nshare of the oracle's gain over random")
        print(share[[c for c in columns if c in share]].round(2).to_string())
        for budget in sorted(table["budget"].unique()):
            versus = {}
            for reference in ("random", "uncertainty"):
                t = paired(group[group["budget"] == budget], reference)
                versus[reference] = t[t["criterion"] == default].iloc[0]
            verdicts.append(
                {
                    "dataset": dataset,
                    "classifier": classifier,
                    "imputer": imputer,
                    "budget": budget,
                    "vs_random": _cell(versus["random"]),
                    "vs_uncertainty": _cell(versus["uncertainty"]),
                    "share": versus["random"]["share"],
                    "target_met": bool(
                        versus["random"]["low"] > 0
                        and versus["uncertainty"]["low"] > 0
                        and versus["random"]["diff"] >= 0.005
                        and versus["uncertainty"]["diff"] >= 0.005
                    ),
                }
            )
    verdicts = pd.DataFrame(verdicts)
    if len(verdicts):
        print(
            f"\n## `{default}` against random and uncertainty (points, 95 % "
            "interval), and its share of the oracle's gain over random; "
            "target: >= +0.5 with the interval above 0 against both"
        )
        print(verdicts.round(2).to_string(index=False))
    return verdicts


def plot(runs, path):
    """Gain over random against budget per case, the oracle as the ceiling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(runs.groupby(["dataset", "classifier", "imputer"], sort=False))
    cols = min(4, len(cases))
    rows = -(-len(cases) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.8 * cols, 3.2 * rows), squeeze=False
    )
    for ax, ((dataset, classifier, imputer), group) in zip(axes.flat, cases):
        table = paired(group, "random")
        for criterion in ALL[1:]:
            t = table[table["criterion"] == criterion].sort_values("budget")
            if not len(t):
                continue
            style = {"color": "k", "ls": "--"} if criterion == ORACLE else {}
            (line,) = ax.plot(
                100 * t["budget"],
                100 * t["diff"],
                marker="o",
                ms=3,
                label=criterion,
                **style,
            )
            if criterion != ORACLE:
                ax.fill_between(
                    100 * t["budget"],
                    100 * t["low"],
                    100 * t["high"],
                    color=line.get_color(),
                    alpha=0.12,
                    lw=0,
                )
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(f"{dataset}, {classifier}, {imputer}", fontsize=9)
        ax.set_xlabel("held-out rows acquired (%)")
    for ax in axes.flat[len(cases) :]:
        ax.axis("off")
    axes[0][0].set_ylabel("accuracy gain over random (points)")
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle(
        "Gain over random by criterion; bands: paired 95 % intervals; "
        "dashed: the oracle",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


#: (classifier, imputer, datasets) of the full run.
FULL = [
    (
        "logreg",
        "gaussian",
        ("alzheimers", "multiple_features", "synthetic", "subgroup"),
    ),
    ("hgb", "gaussian", ("alzheimers", "multiple_features", "synthetic", "subgroup")),
    ("logreg", "flow", ("alzheimers", "subgroup")),
]
QUICK = [("logreg", "gaussian", ("synthetic", "subgroup"))]
#: --scenario choice: multiple_features is left out (ranking again after each
#: round of every budget took over 10 minutes a seed on two busy cores).
CHOICE_PLAN = [("logreg", "gaussian", ("alzheimers", "synthetic", "subgroup"))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds, 2 datasets")
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--classifiers", nargs="*", default=None)
    parser.add_argument("--imputers", nargs="*", default=None)
    parser.add_argument("--seeds", type=int, default=None, help="default 10 (3 quick)")
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--scenario", choices=["block", "choice"], default="block")
    parser.add_argument("--default", default="learned", help="the criterion judged")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="report the cached results, run nothing",
    )
    parser.add_argument("--out", default=None, help="write every run to this CSV")
    parser.add_argument("--plot", default=None, help="write the figure to this PNG")
    args = parser.parse_args(argv)
    n_seeds = args.seeds or (3 if args.quick else 10)
    plan = QUICK if args.quick else FULL
    if args.scenario == "choice" and not args.quick:
        plan = CHOICE_PLAN
    if args.datasets or args.classifiers or args.imputers:
        plan = [
            (c, i, tuple(d for d in (args.datasets or HIDDEN) if d in HIDDEN))
            for c in (args.classifiers or ["logreg"])
            for i in (args.imputers or ["gaussian"])
        ]
    start = time.perf_counter()
    frames = []
    with threadpool_limits(1):
        for classifier, imputer, datasets in plan:
            for name in datasets:
                for seed in range(n_seeds):
                    key = (args.scenario, name, seed, classifier, imputer, args.draws)
                    if args.report_only:
                        path = RESULTS / (
                            f"{key[0]}-{name}-{classifier}-{imputer}-d{args.draws}"
                            f"-s{seed}-v{VERSION}.csv"
                        )
                        if path.exists():
                            frames.append(pd.read_csv(path))
                        continue
                    frames.append(cached(*key))
                    print(
                        f"[acquisition] {name} {classifier} {imputer} seed {seed} "
                        f"({time.perf_counter() - start:.0f} s)",
                        flush=True,
                    )
    if not frames:
        print("no results")
        return
    runs = pd.concat(frames, ignore_index=True)
    if args.out:
        runs.to_csv(args.out, index=False)
    report(runs, args.default)
    if args.plot:
        plot(runs, args.plot)
    if "rank_seconds" in runs:
        seconds = runs.groupby(["dataset", "criterion"])["rank_seconds"].mean()
        print("\nmean seconds per rank() call (one thread, shared machine):")
        print(seconds.unstack().round(2).to_string())
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
