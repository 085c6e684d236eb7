"""Which generation earns its place: imputers compared downstream and on fidelity.

The paper's protocol, per dataset and seed (stratified split): 30 % of the
rows are a complete test set, 20 % are available complete rows, 10 % are
new rows that carry only the key pair of modalities (the pair with the best
3-fold cross-validated StandardScaler + RidgeClassifier accuracy on the
available rows, chosen per seed); their other modalities are hidden. Every
method then trains the same ``HistGradientBoostingClassifier(max_iter=50)``
on the available + new rows and is scored on the test rows:

- ``no generation (HGB)``: the new rows keep their NaN blocks, which HGB
  handles natively. It is the reference of the paired differences;
- ``flow (label-free)``: :class:`~sklearn_skll.FlowImputer` (``n_flows=4``
  as the budgeted classifier builds it, but ``max_epochs=20``), fitted with
  the labels (class prior), the new rows filled by ``transform`` (no labels);
- ``flow (label-aware)``: the same fit, the new rows filled by
  ``fit_transform(X, y)`` (each row with its own class);
- ``flow (5 draws)``: 5 label-aware posterior draws per new row
  (``sample``), each weighted 1/5 (multiple imputation);
- ``class Gaussian``: :class:`~sklearn_skll.ClassConditionalGaussianImputer`,
  label-aware ``fit_transform``;
- ``iterative`` (``max_iter=3``, 20 nearest features on wide data),
  ``knn``, ``mean``: scikit-learn's imputers (label-free);
- context: ``available only`` and ``upper bound`` (new rows complete).

Fidelity: R^2 (averaged over the hidden columns) of the generated blocks of
the new rows against their true values. Paired differences of accuracy to
the reference, seed by seed, with a Student-t 95 % interval over seeds
(:func:`sklearn_skll.budget.summarize`); an interval holding 0 is "no
difference".

``imputer="auto"`` (the held-out choice of
:class:`~sklearn_skll.BudgetedMultimodalClassifier`) is run on the
available rows of the first ``--auto-seeds`` seeds (1 by default), with
the same candidates and classifier; its choice, its held-out scores and
the test accuracy of the chosen method are printed.

Usage::

    nice python bench/experiments_imputers.py [--seeds 10] [--auto-seeds 3]
        [--datasets alzheimers multiple_features breast_cancer synthetic]
        [--max-rows 500] [--flow-epochs 20] [--out runs.json]
    python bench/experiments_imputers.py --report runs.json

``--max-rows`` subsamples larger datasets (multiple_features: 500 of its
2,000 rows, stratified, drawn per seed).
"""

import argparse
import itertools
import json
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import RidgeClassifier
from sklearn.metrics import r2_score
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll._modalities import resolve_modalities
from sklearn_skll.budget import summarize
from sklearn_skll.budget._imputer_choice import choose_imputer
from sklearn_skll.datasets import load
from sklearn_skll.impute import ClassConditionalGaussianImputer, FlowImputer

REFERENCE = "no generation (HGB)"
N_DRAWS = 5


def classifier():
    return HistGradientBoostingClassifier(max_iter=50, random_state=0)


#: Flow epochs (``--flow-epochs``); few, to keep the whole run short.
FLOW_EPOCHS = [20]


def flow(seed):
    return FlowImputer(
        modalities=None, n_flows=4, max_epochs=FLOW_EPOCHS[0], random_state=seed
    )


def split(y, seed):
    """Stratified test (30 %), available (20 %) and new (10 %) rows."""
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=0.3, stratify=y, random_state=seed)
    avail, rest = train_test_split(
        rest, train_size=2 / 7, stratify=y[rest], random_state=seed
    )
    new, _ = train_test_split(
        rest, train_size=0.1 * len(y) / len(rest), stratify=y[rest], random_state=seed
    )
    return test, avail, new


def key_pair(X, y, mods, rows):
    clf = make_pipeline(StandardScaler(), RidgeClassifier())
    best, best_acc = None, -np.inf
    for pair in itertools.combinations(mods, 2):
        cols = np.concatenate([mods[p] for p in pair])
        acc = cross_val_score(clf, X[np.ix_(rows, cols)], y[rows], cv=3).mean()
        if acc > best_acc:
            best, best_acc = pair, acc
    return best


def fidelity(truth, filled):
    keep = truth.std(axis=0) > 0
    return r2_score(truth[:, keep], filled[:, keep])


def run_seed(name, X, y, mods, seed, auto):
    test, avail, new = split(y, seed)
    pair = key_pair(X, y, mods, avail)
    hidden_cols = np.concatenate([mods[m] for m in mods if m not in pair])
    X_new = X[new].copy()
    X_new[:, hidden_cols] = np.nan
    X_fit = np.vstack([X[avail], X_new])
    y_fit = np.concatenate([y[avail], y[new]])
    truth = X[np.ix_(new, hidden_cols)]
    n_av = len(avail)
    rows = []

    def record(method, X_train, y_train, weight=None, filled=None, fit_s=np.nan):
        clf = classifier().fit(X_train, y_train, sample_weight=weight)
        r2 = np.nan
        if filled is not None:
            assert np.array_equal(filled[:n_av], X[avail])
            r2 = fidelity(truth, filled[n_av:, hidden_cols])
        rows.append(
            {
                "dataset": name,
                "seed": seed,
                "available": 0.2,
                "budget": 0.1,
                "strategy": method,
                "n_train": len(y_train),
                "key_subset": ",".join(pair),
                "accuracy": clf.score(X[test], y[test]),
                "r2": r2,
                "fit_s": fit_s,
            }
        )

    record("available only (HGB)", X[avail], y[avail])
    record("upper bound (HGB)", np.vstack([X[avail], X[new]]), y_fit)
    record(REFERENCE, X_fit, y_fit)
    mods_idx = {m: list(c) for m, c in mods.items()}

    start = time.perf_counter()
    imp = flow(seed).set_params(modalities=mods_idx)
    aware = imp.fit_transform(X_fit, y_fit)
    fit_s = time.perf_counter() - start
    record("flow (label-aware)", aware, y_fit, filled=aware, fit_s=fit_s)
    free = imp.transform(X_fit)
    record("flow (label-free)", free, y_fit, filled=free, fit_s=fit_s)
    draws = imp.sample(X_fit, y_fit, n_draws=N_DRAWS)
    X_draws = np.vstack([draws[0]] + [d[n_av:] for d in draws[1:]])
    y_draws = np.concatenate([y_fit] + [y[new]] * (N_DRAWS - 1))
    weight = np.concatenate(
        [np.ones(n_av)] + [np.full(len(new), 1 / N_DRAWS)] * N_DRAWS
    )
    mean_draw = draws[0].copy()
    mean_draw[n_av:] = draws[:, n_av:].mean(axis=0)
    record(
        f"flow ({N_DRAWS} draws)",
        X_draws,
        y_draws,
        weight,
        filled=mean_draw,
        fit_s=fit_s,
    )

    others = {
        "class Gaussian": ClassConditionalGaussianImputer(modalities=mods_idx),
        "iterative": IterativeImputer(
            max_iter=3,
            random_state=seed,
            keep_empty_features=True,
            n_nearest_features=20 if X.shape[1] > 50 else None,
        ),
        "knn": KNNImputer(),
        "mean": SimpleImputer(),
    }
    for method, imputer in others.items():
        start = time.perf_counter()
        filled = imputer.fit_transform(X_fit, y_fit)
        record(method, filled, y_fit, filled=filled, fit_s=time.perf_counter() - start)

    choice = None
    if auto:
        candidates = {
            "none": None,
            "gaussian": others["class Gaussian"],
            "iterative": others["iterative"],
            "flow": flow(seed).set_params(modalities=mods_idx),
        }
        hidden = [m for m in mods if m not in pair]
        label, table = choose_imputer(
            candidates,
            classifier(),
            X[avail],
            y[avail],
            {m: np.asarray(c) for m, c in mods.items()},
            hidden,
            seed,
        )
        method = {
            "none": REFERENCE,
            "gaussian": "class Gaussian",
            "iterative": "iterative",
            "flow": "flow (label-aware)",
        }[label]
        acc = next(r["accuracy"] for r in rows if r["strategy"] == method)
        ref = next(r["accuracy"] for r in rows if r["strategy"] == REFERENCE)
        choice = {
            "dataset": name,
            "seed": seed,
            "choice": label,
            "test_accuracy": acc,
            "diff_to_reference": acc - ref,
            **{f"score_{k}": v for k, v in table["score"].items()},
        }
    print(
        f"[{name} seed {seed}] pair {pair} "
        + " ".join(
            f"{r['strategy'].split(' (')[0][:10]}={r['accuracy']:.3f}" for r in rows
        )
        + (f" auto={choice['choice']}" if choice else ""),
        flush=True,
    )
    return rows, choice


def report(runs, choices):
    runs = pd.DataFrame(runs)
    out = []
    for name, part in runs.groupby("dataset", sort=False):
        paired = summarize(part, metric="accuracy", reference=REFERENCE)
        paired = paired.reset_index().set_index("strategy")
        r2 = part.groupby("strategy")["r2"].agg(["mean", "std"])
        acc = part.groupby("strategy")["accuracy"].mean()
        for method in part["strategy"].unique():
            row = {"dataset": name, "method": method, "accuracy": acc[method]}
            if method in paired.index:
                p = paired.loc[method]
                row.update(
                    diff=p["mean_diff"],
                    low=p["diff_ci_low"],
                    high=p["diff_ci_high"],
                    verdict=p["verdict"],
                    wins=f"{p['wins']}/{p['ties']}/{p['losses']}",
                )
            row.update(r2=r2.loc[method, "mean"], r2_std=r2.loc[method, "std"])
            out.append(row)
    table = pd.DataFrame(out)
    n_seeds = runs["seed"].nunique()
    print(
        f"\nAccuracy (mean over {n_seeds} seeds), paired difference to "
        f"'{REFERENCE}' in points [95 % interval], wins/ties/losses, "
        "fidelity R^2 of the hidden blocks (mean +- std):\n"
    )
    for name, part in table.groupby("dataset", sort=False):
        print(f"{name}")
        for _, r in part.iterrows():
            diff = (
                "reference"
                if pd.isna(r.get("diff"))
                else f"{100 * r['diff']:+5.2f} [{100 * r['low']:+5.2f}, "
                f"{100 * r['high']:+5.2f}] {r['verdict']:13s} {r['wins']}"
            )
            fid = "" if pd.isna(r["r2"]) else f"R^2 {r['r2']:+.3f} +- {r['r2_std']:.3f}"
            print(f"  {r['method']:22s} {100 * r['accuracy']:6.2f}  {diff:48s} {fid}")
    if choices:
        ch = pd.DataFrame(choices)
        print(
            "\nimputer='auto' (held-out scores on the available rows; "
            "test accuracy of the chosen method minus the reference):\n"
        )
        print(ch.round(3).to_string(index=False))
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["alzheimers", "multiple_features", "breast_cancer", "synthetic"],
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--auto-seeds", type=int, default=1)
    parser.add_argument("--max-rows", type=int, default=500)
    parser.add_argument("--flow-epochs", type=int, default=20)
    parser.add_argument(
        "--out", default=None, help="write the runs as JSON (after every seed)"
    )
    parser.add_argument(
        "--report", default=None, help="print the tables of a JSON written by --out"
    )
    args = parser.parse_args()
    FLOW_EPOCHS[0] = args.flow_epochs
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    if args.report:
        with open(args.report) as fh:
            saved = json.load(fh)
        report(saved["runs"], saved["auto"])
        return
    start = time.perf_counter()
    data = {}
    for name in args.datasets:
        bunch = load(name)
        data[name] = (
            bunch.data.to_numpy(dtype=float),
            np.asarray(bunch.target),
            resolve_modalities(bunch.modalities, bunch.data),
        )
    runs, choices = [], []
    for seed in range(args.seeds):  # seed-major: a partial run covers every dataset
        for name, (X_all, y_all, mods) in data.items():
            X, y = X_all, y_all
            if len(y_all) > args.max_rows:
                keep, _ = train_test_split(
                    np.arange(len(y_all)),
                    train_size=args.max_rows,
                    stratify=y_all,
                    random_state=1000 + seed,
                )
                X, y = X_all[keep], y_all[keep]
            rows, choice = run_seed(name, X, y, mods, seed, seed < args.auto_seeds)
            runs += rows
            if choice:
                choices.append(choice)
            if args.out:
                with open(args.out, "w") as fh:
                    json.dump(
                        {"runs": runs, "auto": choices}, fh, indent=1, default=float
                    )
    report(runs, choices)
    print(f"\n{time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
