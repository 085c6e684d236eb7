"""FlowImputer against standard imputers: fidelity and usefulness.

(a) Fidelity. 80 % of the rows (complete) fit every imputer, with labels
where the imputer uses them; on the other 20 %, one modality at a time is
hidden and generated from all the others. Scores: R^2 of generated versus
true (scikit-learn's ``r2_score``, averaged over the modality's columns) and
the mean over columns of the Pearson correlation (a constant column counts
0). For the flow, fusion of the observed modalities is also compared with
each single source (the best one, chosen on the test rows, so an upper bound
for single-source generation) and with averaging single-source outputs.

(b) Usefulness, the paper's protocol. Per seed: 30 % of rows are a complete
test set; 20 % of all rows are available complete rows; 10 % are new rows
carrying only the key pair of modalities (the pair with the best 5-fold
cross-validated LogisticRegression accuracy on the available rows, chosen
per seed). Each imputer fills the new rows' other modalities (fit on the
available and new rows, labels included: the new rows are labelled training
data); the same StandardScaler + LogisticRegression is trained on available
+ filled rows and tested on the complete test rows. Also: available rows
only, and the upper bound where the new rows are complete. Mean and std over
5 seeds.

Usage::

    nice python bench/experiments_impute.py [--datasets alzheimers multiple_features]
        [--seeds 5] [--part a b]
"""

import argparse
import itertools
import json
import time
import warnings

import numpy as np
import torch
from sklearn.covariance import LedoitWolf
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll import resolve_modalities
from sklearn_skll.datasets import load
from sklearn_skll.impute import FlowImputer


class ClassGaussianImputer:
    """Pooled-covariance Gaussian per class; fill with the conditional mean.

    Fit on complete rows: class means and a Ledoit-Wolf within-class
    covariance. For a row, the class is predicted from the observed columns
    (LDA on them), then the missing block is ``mu_c,m + S_mo S_oo^-1 (x_o -
    mu_c,o)``.
    """

    def __init__(self, modalities):
        self.modalities = modalities

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        complete = ~np.isnan(X).any(axis=1)
        X, y = X[complete], np.asarray(y)[complete]
        self.classes_ = np.unique(y)
        self.means_ = np.array([X[y == c].mean(0) for c in self.classes_])
        self.priors_ = np.array([(y == c).mean() for c in self.classes_])
        resid = X - self.means_[np.searchsorted(self.classes_, y)]
        self.cov_ = LedoitWolf().fit(resid).covariance_
        return self

    def transform(self, X):
        X = np.array(X, dtype=float)
        missing = np.isnan(X)
        patterns, inverse = np.unique(missing, axis=0, return_inverse=True)
        for k, pattern in enumerate(patterns):
            if not pattern.any():
                continue
            rows = np.flatnonzero(inverse.ravel() == k)
            o, m = ~pattern, pattern
            S_oo_inv = np.linalg.pinv(self.cov_[np.ix_(o, o)])
            x_o = X[np.ix_(rows, o)]
            diff = x_o[:, None, :] - self.means_[None][:, :, o]  # (n, C, p_o)
            maha = np.einsum("ncp,pq,ncq->nc", diff, S_oo_inv, diff)
            c = np.argmax(-0.5 * maha + np.log(self.priors_), axis=1)
            reg = self.cov_[np.ix_(m, o)] @ S_oo_inv
            X[np.ix_(rows, m)] = self.means_[c][:, m] + np.einsum(
                "mp,np->nm", reg, x_o - self.means_[c][:, o]
            )
        return X


def make_imputers(modalities, n_features, flow_epochs):
    iterative = dict(max_iter=3, random_state=0)
    if n_features > 50:  # all 135 or 649 columns per regression takes minutes
        iterative["n_nearest_features"] = 30
    return {
        "flow": lambda: FlowImputer(
            modalities=modalities, max_epochs=flow_epochs, random_state=0
        ),
        "flow (Eq.5 only)": lambda: FlowImputer(
            modalities=modalities,
            max_epochs=flow_epochs,
            transfer_weight=0.0,
            random_state=0,
        ),
        "mean": lambda: SimpleImputer(),
        "knn": lambda: KNNImputer(),
        "iterative": lambda: IterativeImputer(**iterative),
        "class gaussian": lambda: ClassGaussianImputer(modalities),
    }


def _fit(imputer, X, y):
    if isinstance(imputer, (FlowImputer, ClassGaussianImputer)):
        return imputer.fit(X, y)
    return imputer.fit(X)


def _corr(true, pred):
    t = true - true.mean(0)
    p = pred - pred.mean(0)
    denom = np.sqrt((t**2).sum(0) * (p**2).sum(0))
    r = np.where(denom > 0, (t * p).sum(0) / np.where(denom > 0, denom, 1), 0.0)
    return float(r.mean())


def _score(true, pred):
    keep = true.std(0) > 0
    return r2_score(true[:, keep], pred[:, keep]), _corr(true[:, keep], pred[:, keep])


def fidelity(name, X, y, mods, seed, flow_epochs):
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X))
    n_test = len(X) // 5
    test, train = order[:n_test], order[n_test:]
    names = list(mods)
    results = []
    for label, make in make_imputers(mods, X.shape[1], flow_epochs).items():
        start = time.perf_counter()
        imputer = _fit(make(), X[train], y[train])
        fit_s = time.perf_counter() - start
        for j, target in enumerate(names):
            X_hid = X[test].copy()
            X_hid[:, mods[target]] = np.nan
            out = imputer.transform(X_hid)
            r2, corr = _score(X[test][:, mods[target]], out[:, mods[target]])
            row = dict(
                dataset=name,
                seed=seed,
                imputer=label,
                target=target,
                r2=r2,
                corr=corr,
                fit_s=fit_s,
            )
            if label == "flow":
                singles = []
                for i, source in enumerate(names):
                    if i == j:
                        continue
                    X_one = X[test].copy()
                    for other in names:
                        if other != source:
                            X_one[:, mods[other]] = np.nan
                    singles.append(imputer.transform(X_one)[:, mods[target]])
                scores = [_score(X[test][:, mods[target]], s) for s in singles]
                best = int(np.argmax([s[0] for s in scores]))
                row["best_single_r2"] = scores[best][0]
                row["best_single_source"] = [n for n in names if n != target][best]
                row["avg_outputs_r2"] = _score(
                    X[test][:, mods[target]], np.mean(singles, axis=0)
                )[0]
            results.append(row)
        print(
            f"[fidelity] {name} seed {seed} {label:18s} fit {fit_s:6.1f}s "
            + " ".join(f"{r['target']}={r['r2']:.2f}" for r in results[-len(names) :]),
            flush=True,
        )
    return results


def key_pair(X, y, mods, rows):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    best, best_acc = None, -np.inf
    for pair in itertools.combinations(mods, 2):
        cols = np.concatenate([mods[p] for p in pair])
        acc = cross_val_score(clf, X[np.ix_(rows, cols)], y[rows], cv=5).mean()
        if acc > best_acc:
            best, best_acc = pair, acc
    return best


def usefulness(name, X, y, mods, seed, flow_epochs):
    rng = np.random.RandomState(seed)
    n = len(X)
    order = rng.permutation(n)
    n_test, n_av, n_new = int(0.3 * n), int(0.2 * n), int(0.1 * n)
    test = order[:n_test]
    avail = order[n_test : n_test + n_av]
    new = order[n_test + n_av : n_test + n_av + n_new]
    pair = key_pair(X, y, mods, avail)
    rest = [m for m in mods if m not in pair]
    X_new = X[new].copy()
    for m in rest:
        X_new[:, mods[m]] = np.nan
    X_fit = np.vstack([X[avail], X_new])
    y_fit = np.concatenate([y[avail], y[new]])
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    def accuracy(X_train, y_train):
        return clf.fit(X_train, y_train).score(X[test], y[test])

    rows = [
        dict(
            dataset=name,
            seed=seed,
            method="available only",
            pair=pair,
            acc=accuracy(X[avail], y[avail]),
        ),
        dict(
            dataset=name,
            seed=seed,
            method="upper bound (new rows complete)",
            pair=pair,
            acc=accuracy(np.vstack([X[avail], X[new]]), y_fit),
        ),
    ]
    for label, make in make_imputers(mods, X.shape[1], flow_epochs).items():
        if label == "flow (Eq.5 only)":
            continue
        imputer = _fit(make(), X_fit, y_fit)
        filled = imputer.transform(X_fit)
        assert np.array_equal(filled[: len(avail)], X[avail])
        rows.append(
            dict(
                dataset=name,
                seed=seed,
                method=label,
                pair=pair,
                acc=accuracy(filled, y_fit),
            )
        )
    print(
        f"[usefulness] {name} seed {seed} pair {pair}: "
        + " ".join(f"{r['method'].split(' ')[0]}={r['acc']:.3f}" for r in rows),
        flush=True,
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["alzheimers", "multiple_features"]
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--fidelity-seeds", type=int, default=1)
    parser.add_argument("--part", nargs="+", default=["a", "b"])
    parser.add_argument("--flow-epochs", type=int, default=200)
    parser.add_argument("--out", default=None, help="also write raw rows as JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    results = {"fidelity": [], "usefulness": []}
    for name in args.datasets:
        data = load(name)
        X = data.data.to_numpy(dtype=float)
        y = np.asarray(data.target)
        mods = {
            k: list(v)
            for k, v in resolve_modalities(data.modalities, data.data).items()
        }
        if "a" in args.part:
            for seed in range(args.fidelity_seeds):
                results["fidelity"] += fidelity(
                    name, X, y, mods, seed, args.flow_epochs
                )
        if "b" in args.part:
            for seed in range(args.seeds):
                results["usefulness"] += usefulness(
                    name, X, y, mods, seed, args.flow_epochs
                )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1, default=str)
    report(results)


def report(results):
    import pandas as pd

    if results["fidelity"]:
        fid = pd.DataFrame(results["fidelity"])
        print(
            "\n(a) fidelity on held-out complete rows: R^2 / mean corr, "
            "per hidden modality"
        )
        table = fid.groupby(["dataset", "target", "imputer"])[["r2", "corr"]].mean()
        print(table.unstack("imputer").round(3).to_string())
        print("\nmean over modalities:")
        print(
            fid.groupby(["dataset", "imputer"])[["r2", "corr", "fit_s"]]
            .mean()
            .round(3)
            .to_string()
        )
        flow = fid[fid.imputer == "flow"]
        print("\nflow fusion vs single sources (R^2):")
        print(
            flow[
                [
                    "dataset",
                    "target",
                    "r2",
                    "best_single_r2",
                    "best_single_source",
                    "avg_outputs_r2",
                ]
            ]
            .round(3)
            .to_string(index=False)
        )
    if results["usefulness"]:
        use = pd.DataFrame(results["usefulness"])
        print("\n(b) usefulness: test accuracy, mean +- std over seeds")
        agg = use.groupby(["dataset", "method"])["acc"].agg(["mean", "std"]).round(4)
        print(agg.to_string())
        print(
            "\nkey pairs:",
            use.groupby("dataset")["pair"]
            .agg(lambda p: sorted(set(map(str, p))))
            .to_dict(),
        )


if __name__ == "__main__":
    main()
