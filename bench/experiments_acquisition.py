"""Per-sample acquisition, validated by simulation on complete data.

Per dataset and seed: a stratified half of the rows (complete) trains the
classifier and the imputer; on the other half (the held-out rows) the
"expensive" modalities are hidden. Each criterion of
:class:`~sklearn_skll.acquisition.AcquisitionRanker` ranks the held-out rows
(the hidden modalities form one block, acquired together at cost 1 per
row); at a budget of k % of the held-out rows the top-k rows get their true
block back, and the accuracy on all held-out rows is measured (rows still
missing are predicted with the imputer's conditional mean in the hidden
block). Same seed, same rows, same fitted parts for every criterion, so the
differences to ``random`` (and to ``uncertainty``) are paired; the 95 %
interval is Student's t over seeds. ``random`` draws its own order per seed.

Parts (fast on purpose): StandardScaler + LogisticRegression, and the
package's ClassConditionalGaussianImputer (class means, one shrunk
within-class covariance; its ``sample`` draws the class from its posterior
given the observed blocks, then the hidden block from the conditional
Gaussian). ``--imputer joint_gaussian`` uses one Gaussian for all classes;
``--imputer iterative`` scikit-learn's IterativeImputer(sample_posterior=True)
(slow on multiple_features).

Hidden blocks: alzheimers proteins+csf (the CSF assay; apoe and demographics
observed); multiple_features fac+pix+kar (fou, zer, mor observed); synthetic
(make_multimodal_classification, 600 rows) informative (its noisy copy
``redundant`` stays observed, with the XOR pair and noise).

Usage::

    nice python bench/experiments_acquisition.py [--datasets alzheimers ...]
        [--seeds 10] [--draws 20] [--imputer gaussian|joint_gaussian|iterative]
        [--out FILE.csv] [--plot FILE.png]
    python bench/experiments_acquisition.py --runs FILE.csv --plot FILE.png
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll import resolve_modalities
from sklearn_skll._stats import paired_interval, verdict
from sklearn_skll.acquisition import CRITERIA, AcquisitionRanker
from sklearn_skll.datasets import load, make_multimodal_classification
from sklearn_skll.impute import ClassConditionalGaussianImputer

HIDDEN = {
    "alzheimers": ["proteins", "csf"],
    "multiple_features": ["fac", "pix", "kar"],
    "synthetic": ["informative"],
}
#: The "which modality" scenario (``--scenario choice``): hidden blocks, costs.
CHOICE = {
    "alzheimers": {"proteins": 3.0, "csf": 5.0},
    "multiple_features": {"fac": 3.0, "pix": 2.0, "kar": 1.0},
    "synthetic": {"informative": 2.0, "redundant": 1.0},
}
BUDGETS = np.round(np.arange(0, 1.01, 0.1), 2)


def _load(name, seed):
    if name == "synthetic":
        data = make_multimodal_classification(600, random_state=seed)
    else:
        data = load(name)
    return data.data, np.asarray(data.target), data.modalities


def _imputer(kind, blocks):
    if kind == "iterative":
        return IterativeImputer(sample_posterior=True, max_iter=5)
    if kind == "joint_gaussian":
        return ClassConditionalGaussianImputer(
            modalities=blocks, class_conditional=False
        )
    return ClassConditionalGaussianImputer(modalities=blocks)


def run_one(name, seed, *, n_draws=20, imputer="gaussian"):
    """Accuracy on the held-out rows per criterion and budget, one seed."""
    X, y, modalities = _load(name, seed)
    mods = resolve_modalities(modalities, X)
    X = np.asarray(X, dtype=float)
    hidden = np.concatenate([mods[m] for m in HIDDEN[name]])
    blocks = {"hidden": hidden}
    blocks.update({m: c for m, c in mods.items() if m not in HIDDEN[name]})
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    ranker = AcquisitionRanker(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        _imputer(imputer, blocks),
        modalities=blocks,
        n_draws=n_draws,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ranker.fit(X_tr, y_tr)
    X_hid = X_te.copy()
    X_hid[:, hidden] = np.nan
    n = X_te.shape[0]
    rows = []
    for criterion in CRITERIA:
        ranker.set_params(criterion=criterion)
        start = time.perf_counter()
        order = ranker.rank(X_hid)["row"].to_numpy()
        seconds = time.perf_counter() - start
        for budget in BUDGETS:
            k = round(budget * n)
            X_acq = X_hid.copy()
            X_acq[order[:k]] = X_te[order[:k]]
            pred = ranker.classes_[ranker._proba(X_acq).argmax(axis=1)]
            rows.append(
                {
                    "dataset": name,
                    "seed": seed,
                    "criterion": criterion,
                    "budget": budget,
                    "n_acquired": k,
                    "accuracy": float(np.mean(pred == y_te)),
                    "rank_seconds": seconds,
                }
            )
    return rows


def run_choice(name, seed, *, n_draws=20, imputer="gaussian"):
    """The "which modality" scenario: several hidden blocks with unequal costs.

    Every held-out row misses each modality of ``CHOICE[name]``; a budget is a
    fraction of the cost of acquiring everything; each criterion's ranking
    of the (row, modality) pairs is spent greedily by gain per cost.
    """
    X, y, modalities = _load(name, seed)
    mods = resolve_modalities(modalities, X)
    X = np.asarray(X, dtype=float)
    costs = CHOICE[name]
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    ranker = AcquisitionRanker(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        _imputer(imputer, mods),
        modalities=mods,
        costs=costs,
        n_draws=n_draws,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ranker.fit(X_tr, y_tr)
    X_hid = X_te.copy()
    for m in costs:
        X_hid[:, mods[m]] = np.nan
    total = X_te.shape[0] * sum(costs.values())
    rows = []
    for criterion in CRITERIA:
        ranker.set_params(criterion=criterion)
        start = time.perf_counter()
        ranking = ranker.rank(X_hid)
        seconds = time.perf_counter() - start
        for budget in BUDGETS:
            # ranker.select's rule, on the one ranking of this criterion.
            left, take = budget * total, []
            for k, cost in enumerate(ranking["cost"]):
                if cost <= left + 1e-9:
                    take.append(k)
                    left -= cost
            X_acq = X_hid.copy()
            for k in take:
                r, m = ranking["row"].iloc[k], ranking["modality"].iloc[k]
                X_acq[r, mods[m]] = X_te[r, mods[m]]
            pred = ranker.classes_[ranker._proba(X_acq).argmax(axis=1)]
            rows.append(
                {
                    "dataset": name,
                    "seed": seed,
                    "criterion": criterion,
                    "budget": budget,
                    "n_acquired": len(take),
                    "accuracy": float(np.mean(pred == y_te)),
                    "rank_seconds": seconds,
                }
            )
    return rows


def paired(runs, reference):
    """Mean accuracy and paired difference to ``reference`` with a 95 % t-interval."""
    out = []
    keys = ["dataset", "budget"]
    for (dataset, budget), group in runs.groupby(keys):
        ref = group[group["criterion"] == reference].set_index("seed")["accuracy"]
        for criterion, g in group.groupby("criterion", sort=False):
            if criterion == reference:
                continue
            acc = g.set_index("seed")["accuracy"]
            diff = (acc - ref.loc[acc.index]).to_numpy()
            _, low, high = paired_interval(diff)
            out.append(
                {
                    "dataset": dataset,
                    "budget": budget,
                    "criterion": criterion,
                    "accuracy": acc.mean(),
                    "reference": ref.mean(),
                    "diff": diff.mean(),
                    "low": low,
                    "high": high,
                    "verdict": verdict(low, high),
                }
            )
    return pd.DataFrame(out)


def _cell(row):
    low, high = 100 * row["low"], 100 * row["high"]
    return f"{100 * row['diff']:+.1f} [{low:+.1f}, {high:+.1f}]"


def report(runs):
    """Print accuracy per budget and the paired differences."""
    for dataset, group in runs.groupby("dataset", sort=False):
        print(
            f"\n## {dataset}: held-out accuracy (%) by budget (fraction of the "
            "held-out rows; with --scenario choice, of the cost of everything)"
        )
        mean = group.pivot_table(
            index="budget", columns="criterion", values="accuracy", aggfunc="mean"
        )[list(CRITERIA)]
        print((100 * mean).round(1).to_string())
        for reference in ("random", "uncertainty"):
            table = paired(group, reference)
            table = table[~table["budget"].isin([0.0, 1.0])]
            wide = table.assign(cell=table.apply(_cell, axis=1)).pivot(
                index="budget", columns="criterion", values="cell"
            )
            print(
                f"\npaired difference to {reference} (points, 95 % interval over "
                f"{group['seed'].nunique()} seeds)"
            )
            print(wide.to_string())
            counts = (
                table.groupby("criterion")["verdict"]
                .value_counts()
                .unstack(fill_value=0)
            )
            print(counts.to_string())


def plot(runs, path):
    """Accuracy against budget per dataset; shaded: paired 95 % interval of
    each criterion's difference to random, drawn around random's mean."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(runs["dataset"]))
    fig, axes = plt.subplots(
        1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False
    )
    for ax, name in zip(axes[0], names):
        group = runs[runs["dataset"] == name]
        mean = group.pivot_table(
            index="budget", columns="criterion", values="accuracy", aggfunc="mean"
        )
        table = paired(group, "random")
        for criterion in CRITERIA:
            (line,) = ax.plot(
                100 * mean.index,
                100 * mean[criterion],
                marker="o",
                ms=3,
                label=criterion,
            )
            if criterion == "random":
                continue
            t = table[table["criterion"] == criterion].sort_values("budget")
            ax.fill_between(
                100 * t["budget"],
                100 * (t["reference"] + t["low"]),
                100 * (t["reference"] + t["high"]),
                color=line.get_color(),
                alpha=0.15,
                lw=0,
            )
        ax.set_title(name)
        ax.set_xlabel("held-out rows acquired (%)")
    axes[0][0].set_ylabel("held-out accuracy (%)")
    axes[0][-1].legend(frameon=False, fontsize=8)
    fig.suptitle(
        "Acquisition by criterion; bands: random + paired 95 % interval "
        "of the difference",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(HIDDEN))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument(
        "--imputer",
        default="gaussian",
        choices=["gaussian", "joint_gaussian", "iterative"],
    )
    parser.add_argument(
        "--scenario",
        choices=["block", "choice"],
        default="block",
        help="one hidden block per row (default), or several "
        "hidden modalities with unequal costs (CHOICE)",
    )
    parser.add_argument("--out", default=None, help="write every run to this CSV")
    parser.add_argument("--plot", default=None, help="write the figure to this PNG")
    parser.add_argument(
        "--runs",
        default=None,
        help="report (and plot) the runs of an earlier --out CSV",
    )
    args = parser.parse_args(argv)
    if args.runs:
        runs = pd.read_csv(args.runs)
        report(runs)
        if args.plot:
            plot(runs, args.plot)
        return
    start = time.perf_counter()
    rows = []
    for name in args.datasets:
        for seed in range(args.seeds):
            run = run_one if args.scenario == "block" else run_choice
            rows.extend(run(name, seed, n_draws=args.draws, imputer=args.imputer))
            print(
                f"[acquisition] {name} seed {seed} done "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    runs = pd.DataFrame(rows)
    if args.out:
        runs.to_csv(args.out, index=False)
    report(runs)
    if args.plot:
        plot(runs, args.plot)
    seconds = runs.groupby("criterion")["rank_seconds"].mean()
    print("\nmean seconds per rank() call:", seconds.round(3).to_dict())
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
