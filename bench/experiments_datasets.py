"""Profile the bundled datasets: size, classes, modalities, and how much each
modality predicts alone and all together.

For every dataset of ``sklearn_skll.datasets.list_datasets()`` (the synthetic
one with its defaults, ``random_state=0``) this fits
``make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))`` with
5-fold ``StratifiedKFold(shuffle=True, random_state=0)`` on each modality
alone and on all modalities, and prints accuracy mean +- std over the folds,
next to the majority-class accuracy. ``--forest`` adds a
``RandomForestClassifier(n_estimators=200, random_state=0)`` column (a
non-linear model sees the synthetic XOR pair; a linear one cannot).

Usage::

    python bench/experiments_datasets.py            # every dataset
    python bench/experiments_datasets.py --quick    # small datasets only
    python bench/experiments_datasets.py --forest   # add the random-forest column
    python bench/experiments_datasets.py --datasets synthetic --forest

For the synthetic data the table also scores the ground-truth subsets: each
synergy group (``synergy_a+synergy_b``) and ``best_subset``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll.datasets import list_datasets, load

QUICK = ("breast_cancer", "synthetic")


def _scores(estimator, X, y):
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cross_val_score(estimator, X, y, cv=cv, scoring="accuracy")


def profile(name, *, forest=False):
    """Rows ``{dataset, subset, width, lr_mean, lr_std, [rf_mean, rf_std]}``."""
    bunch = load(name)
    X, y = bunch.data, bunch.target
    subsets = {m: [m] for m in bunch.modalities}
    # ground-truth subsets of the synthetic data: each synergy group, the best subset
    for _group, members in getattr(bunch, "synergy_groups", {}).items():
        subsets["+".join(members)] = list(members)
    if getattr(bunch, "best_subset", None):
        subsets["best_subset"] = list(bunch.best_subset)
    subsets["ALL"] = list(bunch.modalities)
    majority = _scores(DummyClassifier(), X, y).mean()
    rows = []
    for label, names in subsets.items():
        cols = [c for m in names for c in bunch.modalities[m]]
        lr = _scores(
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
            X[cols],
            y,
        )
        row = {
            "dataset": name,
            "n_samples": X.shape[0],
            "n_classes": len(np.unique(y)),
            "majority": majority,
            "subset": label,
            "width": len(cols),
            "lr_mean": lr.mean(),
            "lr_std": lr.std(),
        }
        if forest:
            rf = _scores(
                RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1),
                X[cols],
                y,
            )
            row.update(rf_mean=rf.mean(), rf_std=rf.std())
        rows.append(row)
    return rows


def run(quick: bool, forest: bool = False, names=None) -> list[dict]:
    """Bench rows in the shape ``bench/run_all.py`` collects."""
    if names is None:
        names = QUICK if quick else tuple(list_datasets()["name"])
    out = []
    for name in names:
        for row in profile(name, forest=forest):
            out.append(
                {
                    "benchmark": "experiments_datasets",
                    "case": f"{name}:{row['subset']}",
                    "metric": "accuracy_5fold_logreg",
                    "value": row["lr_mean"],
                    "ratio": row["lr_mean"] / row["majority"],
                    **row,
                }
            )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small datasets only")
    parser.add_argument("--forest", action="store_true", help="add a forest column")
    parser.add_argument("--datasets", nargs="+", help="only these datasets")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = run(args.quick, forest=args.forest, names=args.datasets)
    table = list_datasets()[["name", "n_samples", "n_classes", "modalities"]]
    print(table.to_string(index=False))
    print()
    header = f"{'dataset':18s} {'subset':20s} {'width':>5s} {'logreg acc':>15s}"
    if args.forest:
        header += f" {'forest acc':>15s}"
    header += f" {'majority':>8s}"
    print(header)
    print("-" * len(header))
    for r in rows:
        line = (
            f"{r['dataset']:18s} {r['subset']:20s} {r['width']:5d} "
            f"{r['lr_mean']:.3f} +- {r['lr_std']:.3f}"
        )
        if args.forest:
            line += f"   {r['rf_mean']:.3f} +- {r['rf_std']:.3f}"
        line += f" {r['majority']:8.3f}"
        print(line)
    print(f"\n[experiments_datasets] {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
