"""Accuracy experiments for MultimodalNetClassifier.

Fusions, missing rows, masked vs retrained subsets, defaults.

(a) Held-out accuracy of each fusion on ``multiple_features`` and
    ``alzheimers`` next to LogisticRegression and HistGradientBoosting, same
    stratified 70/30 split, mean (std) over 5 seeds.
(b) The same nets when 50 % of the training rows miss one modality (chosen
    at random per row): trained natively on every row versus trained on the
    complete rows only. HistGradientBoosting on the NaN data, for reference.
    The test rows are complete.
(c) One net trained with ``modality_dropout`` and evaluated with the other
    modalities masked (set to NaN) for every modality subset, versus a net
    retrained on each subset: mean absolute gap and Spearman correlation of
    the two subset rankings (what the selector's masked engine relies on).
(d) Learning-rate choice: the paper's 1e-4 against 1e-3 and 3e-3 (concat
    fusion, everything else default): accuracy, epochs run and fit time.

Usage::

    nice python bench/experiments_neural.py [--quick] [--parts a b c d]

Runs on one thread; about 10-15 minutes of CPU for everything.
"""

import argparse
import itertools
import time
import warnings

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll import hide_modalities, restrict_modalities
from sklearn_skll.datasets import load
from sklearn_skll.neural import MultimodalNetClassifier

FUSIONS = ["concat", "attention", "moe"]


def _data(name, views=None):
    bunch = load(name)
    X = bunch.data.to_numpy(dtype=float)
    names = list(bunch.data.columns)
    modalities = {
        m: [names.index(c) for c in cols] for m, cols in bunch.modalities.items()
    }
    if views is not None:
        columns, modalities = restrict_modalities(
            {m: np.asarray(v) for m, v in modalities.items()}, views
        )
        X = X[:, columns]
    return X, np.asarray(bunch.target), modalities


def _split(X, y, seed):
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


def _baselines(seed):
    return {
        "LogisticRegression": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000)
        ),
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=seed),
    }


def _summary(values):
    return f"{np.mean(values):.4f} ({np.std(values):.4f})"


def part_a(datasets, seeds):
    rows = []
    for name in datasets:
        X, y, modalities = _data(name)
        scores = {}
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = _split(X, y, seed)
            models = {
                f"net {f}": MultimodalNetClassifier(
                    modalities=modalities, fusion=f, random_state=seed
                )
                for f in FUSIONS
            }
            models.update(_baselines(seed))
            for label, model in models.items():
                start = time.perf_counter()
                model.fit(X_tr, y_tr)
                scores.setdefault(label, []).append(
                    (model.score(X_te, y_te), time.perf_counter() - start)
                )
        for label, values in scores.items():
            acc, sec = zip(*values)
            rows.append(
                {
                    "part": "a",
                    "dataset": name,
                    "model": label,
                    "accuracy": _summary(acc),
                    "fit_s": f"{np.mean(sec):.1f}",
                }
            )
            print(rows[-1], flush=True)
    return rows


def _hide_random_modality(X, modalities, fraction, rng):
    """Hide one random modality in ``fraction`` of the rows."""
    n, m = X.shape[0], len(modalities)
    hidden = np.zeros((n, m), dtype=bool)
    rows = rng.choice(n, size=int(round(fraction * n)), replace=False)
    hidden[rows, rng.randint(m, size=rows.size)] = True
    resolved = {k: np.asarray(v) for k, v in modalities.items()}
    return hide_modalities(X, resolved, hidden), ~hidden.any(axis=1)


def part_b(datasets, seeds, fraction=0.5):
    rows = []
    for name in datasets:
        X, y, modalities = _data(name)
        scores = {}
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = _split(X, y, seed)
            X_miss, complete = _hide_random_modality(
                X_tr, modalities, fraction, np.random.RandomState(seed)
            )
            for f in FUSIONS:
                net = MultimodalNetClassifier(
                    modalities=modalities, fusion=f, random_state=seed
                )
                native = clone(net).fit(X_miss, y_tr).score(X_te, y_te)
                dropped = clone(net).fit(X_miss[complete], y_tr[complete])
                scores.setdefault(f"net {f}, native", []).append(native)
                scores.setdefault(f"net {f}, drop rows", []).append(
                    dropped.score(X_te, y_te)
                )
            hgb = HistGradientBoostingClassifier(random_state=seed)
            scores.setdefault("HistGradientBoosting, native NaN", []).append(
                hgb.fit(X_miss, y_tr).score(X_te, y_te)
            )
        for label, values in scores.items():
            rows.append(
                {
                    "part": "b",
                    "dataset": name,
                    "model": label,
                    "accuracy": _summary(values),
                }
            )
            print(rows[-1], flush=True)
    return rows


def part_c(cases, seeds, rates=(0.0, 0.5)):
    rows = []
    for name, views in cases:
        X, y, modalities = _data(name, views)
        names = list(modalities)
        subsets = [
            s
            for r in range(1, len(names) + 1)
            for s in itertools.combinations(names, r)
        ]
        resolved = {k: np.asarray(v) for k, v in modalities.items()}
        retrained = np.zeros((len(seeds), len(subsets)))
        masked = {rate: np.zeros((len(seeds), len(subsets))) for rate in rates}
        for i, seed in enumerate(seeds):
            X_tr, X_te, y_tr, y_te = _split(X, y, seed)
            for rate in rates:
                net = MultimodalNetClassifier(
                    modalities=modalities, modality_dropout=rate, random_state=seed
                ).fit(X_tr, y_tr)
                for j, subset in enumerate(subsets):
                    hidden = np.array([n not in subset for n in names])
                    X_hidden = hide_modalities(X_te, resolved, hidden)
                    masked[rate][i, j] = net.score(X_hidden, y_te)
            for j, subset in enumerate(subsets):
                columns, sub = restrict_modalities(resolved, list(subset))
                net = MultimodalNetClassifier(modalities=sub, random_state=seed)
                net.fit(X_tr[:, columns], y_tr)
                retrained[i, j] = net.score(X_te[:, columns], y_te)
        reference = retrained.mean(axis=0)
        for j, subset in enumerate(subsets):
            row = {
                "part": "c",
                "dataset": name,
                "subset": "+".join(subset),
                "retrained": f"{reference[j]:.4f}",
            }
            for rate in rates:
                row[f"masked md={rate}"] = f"{masked[rate][:, j].mean():.4f}"
            rows.append(row)
            print(row, flush=True)
        for rate in rates:
            gap = np.abs(masked[rate] - retrained).mean()
            rho = np.mean(
                [spearmanr(masked[rate][i], retrained[i])[0] for i in range(len(seeds))]
            )
            rho_mean = spearmanr(masked[rate].mean(axis=0), reference)[0]
            rows.append(
                {
                    "part": "c",
                    "dataset": name,
                    "subset": "SUMMARY",
                    "modality_dropout": rate,
                    "mean_abs_gap": f"{gap:.4f}",
                    "spearman_per_seed": f"{rho:.3f}",
                    "spearman_of_means": f"{rho_mean:.3f}",
                }
            )
            print(rows[-1], flush=True)
    return rows


def part_d(datasets, seeds, lrs=(1e-4, 1e-3, 3e-3)):
    rows = []
    for name in datasets:
        X, y, modalities = _data(name)
        for lr in lrs:
            acc, epochs, seconds = [], [], []
            for seed in seeds:
                X_tr, X_te, y_tr, y_te = _split(X, y, seed)
                net = MultimodalNetClassifier(
                    modalities=modalities, lr=lr, random_state=seed
                )
                start = time.perf_counter()
                net.fit(X_tr, y_tr)
                seconds.append(time.perf_counter() - start)
                acc.append(net.score(X_te, y_te))
                epochs.append(net.n_iter_)
            rows.append(
                {
                    "part": "d",
                    "dataset": name,
                    "lr": lr,
                    "accuracy": _summary(acc),
                    "epochs": float(np.mean(epochs)),
                    "fit_s": f"{np.mean(seconds):.1f}",
                }
            )
            print(rows[-1], flush=True)
    return rows


def run(quick=False, parts=("a", "b", "c", "d")):
    """Return the result rows of the chosen parts."""
    torch.set_num_threads(1)
    seeds = [0, 1] if quick else [0, 1, 2, 3, 4]
    datasets = ["alzheimers"] if quick else ["alzheimers", "multiple_features"]
    cases = [("alzheimers", None)]
    if not quick:
        cases.append(("multiple_features", ["fou", "kar", "zer", "mor"]))
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if "a" in parts:
            rows += part_a(datasets, seeds)
        if "b" in parts:
            rows += part_b(datasets, seeds)
        if "c" in parts:
            rows += part_c(cases, seeds)
        if "d" in parts:
            rows += part_d(datasets, seeds)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="alzheimers, 2 seeds")
    parser.add_argument("--parts", nargs="+", default=["a", "b", "c", "d"])
    args = parser.parse_args()
    start = time.perf_counter()
    run(args.quick, args.parts)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
