"""Measurements for the ModalitySelector issue (printed as Markdown tables).

Usage::

    nice python bench/experiments_selection.py [--part a|b|c] [--quick]

(a) Synthetic data with known roles (informative, synergistic pair, redundant
    copy, noise): chosen subsets, Shapley values, C(S) of every pair, for the
    retrain and masked engines. Estimator: the selector's default small
    MultimodalNetClassifier (a linear model cannot see an XOR synergy).
(b) alzheimers and multiple_features, 20 %, 40 % and 100 % of a stratified
    70 % training split: the subsets of size M - 1 as in the paper's Tables
    1 and 5 (CV accuracy, C(S), rank, and the accuracy of a model trained on
    the subset and tested on the held-out 30 %), retrain vs masked, Kendall tau
    between the engines' utility rankings over all subsets, and wall times.
    Estimators: StandardScaler + LogisticRegression (alzheimers, cv=5),
    StandardScaler + RidgeClassifier (multiple_features, 63 subsets, cv=3;
    logistic regression takes ~2 s per fit there on the shared machine).
(c) The paper's Table 11: C(S) of the size M - 1 subsets with all training
    rows versus ``max_samples=100`` over 5 seeds, retrain engine.

Everything runs on one thread (``torch.set_num_threads(1)``, threadpoolctl).
Results are also written to ``bench/results/selection_experiments.json``.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def _setup():
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)
    from sklearn_skll.exceptions import CooperationWarning

    warnings.simplefilter("ignore", CooperationWarning)
    warnings.simplefilter("ignore", UserWarning)


def _fit(selector, X, y):
    start = time.perf_counter()
    selector.fit(X, y)
    return selector, time.perf_counter() - start


def part_a(quick):
    from sklearn_skll.datasets import make_multimodal_classification
    from sklearn_skll.selection import ModalitySelector

    n = 300 if quick else 600
    data = make_multimodal_classification(n, random_state=0)
    out = {"roles": data.roles, "engines": {}}
    print(f"\n## (a) synthetic, n={n}, roles {data.roles}\n")
    for engine in ["retrain", "masked"]:
        sel, wall = _fit(
            ModalitySelector(
                modalities=data.modalities,
                utility=engine,
                cv=5,
                random_state=0,
                n_bootstrap=50,
            ),
            data.data,
            data.target,
        )
        df = sel.utilities_
        greedy = sel.greedy_path_["modality"].tolist()
        pair_sel = df[(df["size"] == 2)].sort_values("rank").iloc[0]["subset"]
        print(f"### {engine} ({wall:.1f} s, {sel.n_fits_} fits)\n")
        print(f"- selected (cooperation, size M-1 = 4): {sel.selected_modalities_}")
        print(f"- greedy path (Algorithm 1): {greedy}")
        print(f"- best pair by C(S): {pair_sel}")
        shap = pd.DataFrame(
            {
                "shapley": sel.shapley_values_,
                "std": sel.shapley_std_,
                "scaled": sel.scaled_shapley_values_,
            }
        )
        print("\n" + shap.round(3).to_markdown() + "\n")
        pairs = df[df["size"] <= 2][
            [
                "subset",
                "score",
                "utility",
                "utility_std",
                "cooperation",
                "cooperation_std",
                "rank",
            ]
        ]
        print(pairs.round(3).to_markdown(index=False) + "\n")
        print("interactions:\n\n" + sel.interactions_.round(3).to_markdown() + "\n")
        out["engines"][engine] = {
            "wall_s": wall,
            "selected": sel.selected_modalities_,
            "greedy": greedy,
            "shapley": sel.shapley_values_.round(4).to_dict(),
            "shapley_std": sel.shapley_std_.round(4).to_dict(),
            "pairs": pairs.round(4).to_dict(orient="records"),
        }
    return out


def _estimator(name):
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "alzheimers":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), 5
    return make_pipeline(StandardScaler(), RidgeClassifier()), 3


def _split(name):
    from sklearn.model_selection import train_test_split

    from sklearn_skll.datasets import load

    data = load(name)
    X_tr, X_te, y_tr, y_te = train_test_split(
        data.data, data.target, test_size=0.3, stratify=data.target, random_state=0
    )
    return data, X_tr, X_te, y_tr, y_te


def _fraction(X, y, frac, seed=0):
    from sklearn.model_selection import train_test_split

    if frac >= 1:
        return X, y
    X_f, _, y_f, _ = train_test_split(
        X, y, train_size=frac, stratify=y, random_state=seed
    )
    return X_f, y_f


def _test_accuracy(estimator, modalities, names, X_tr, y_tr, X_te, y_te):
    from sklearn.base import clone

    cols = [c for n in names for c in modalities[n]]
    model = clone(estimator).fit(X_tr[cols], y_tr)
    return float(model.score(X_te[cols], y_te))


def part_b(quick):
    from scipy.stats import kendalltau

    from sklearn_skll.selection import ModalitySelector

    results = {}
    fracs = [0.2, 1.0] if quick else [0.2, 0.4, 1.0]
    for name in ["alzheimers", "multiple_features"]:
        data, X_tr, X_te, y_tr, y_te = _split(name)
        estimator, cv = _estimator(name)
        m = len(data.modalities)
        print(
            f"\n## (b) {name}: {m} modalities, {type(estimator[-1]).__name__}, "
            f"cv={cv}\n"
        )
        results[name] = {}
        for frac in fracs:
            X_f, y_f = _fraction(X_tr, y_tr, frac)
            fitted, walls = {}, {}
            for engine in ["retrain", "masked"]:
                fitted[engine], walls[engine] = _fit(
                    ModalitySelector(
                        estimator,
                        modalities=data.modalities,
                        utility=engine,
                        cv=cv,
                        random_state=0,
                    ),
                    X_f,
                    y_f,
                )
            u_r = fitted["retrain"].utilities_.set_index("subset")
            u_m = fitted["masked"].utilities_.set_index("subset").loc[u_r.index]
            tau = kendalltau(u_r["utility"], u_m["utility"]).statistic
            big = u_r[u_r["size"] == m - 1].copy()
            big["test_acc"] = [
                _test_accuracy(estimator, data.modalities, mods, X_f, y_f, X_te, y_te)
                for mods in big["modalities"]
            ]
            table = pd.DataFrame(
                {
                    "cv_acc": big["score"],
                    "C(S) retrain": big["cooperation"],
                    "rank retrain": big["rank"],
                    "C(S) masked": u_m.loc[big.index, "cooperation"],
                    "rank masked": u_m.loc[big.index, "rank"],
                    "test_acc": big["test_acc"],
                }
            )
            test_rank = table["test_acc"].rank(ascending=False, method="min")
            tau_test = kendalltau(table["C(S) retrain"], table["test_acc"]).statistic
            print(
                f"### {int(frac * 100)} % of training ({len(y_f)} rows): "
                f"retrain {walls['retrain']:.1f} s ({fitted['retrain'].n_fits_} fits), "
                f"masked {walls['masked']:.1f} s ({fitted['masked'].n_fits_} fits), "
                f"Kendall tau(utility, all {len(u_r)} subsets) = {tau:.3f}; "
                f"selected retrain {fitted['retrain'].selected_modalities_}, "
                f"masked {fitted['masked'].selected_modalities_}; "
                f"tau(C(S), test acc) = {tau_test:.3f}\n"
            )
            print(table.assign(test_rank=test_rank).round(3).to_markdown() + "\n")
            results[name][frac] = {
                "n_rows": int(len(y_f)),
                "wall_retrain_s": walls["retrain"],
                "wall_masked_s": walls["masked"],
                "kendall_tau_utility": float(tau),
                "kendall_tau_coop_vs_test_acc": float(tau_test),
                "selected_retrain": fitted["retrain"].selected_modalities_,
                "selected_masked": fitted["masked"].selected_modalities_,
                "table": table.round(4).reset_index().to_dict(orient="records"),
            }
    return results


def part_c(quick):
    from scipy.stats import kendalltau

    from sklearn_skll.selection import ModalitySelector

    seeds = range(2 if quick else 5)
    results = {}
    for name in ["alzheimers", "multiple_features"]:
        data, X_tr, _, y_tr, _ = _split(name)
        estimator, cv = _estimator(name)
        m = len(data.modalities)

        def fit(
            max_samples,
            seed,
            estimator=estimator,
            cv=cv,
            data=data,
            X_tr=X_tr,
            y_tr=y_tr,
        ):
            sel = ModalitySelector(
                estimator,
                modalities=data.modalities,
                cv=cv,
                max_samples=max_samples,
                random_state=seed,
            )
            return _fit(sel, X_tr, y_tr)

        full, wall_full = fit(None, 0)
        ref = full.utilities_.set_index("subset")
        big = ref[ref["size"] == m - 1].index
        runs, walls, taus, same_top = [], [], [], []
        for seed in seeds:
            sel, wall = fit(100, seed)
            u = sel.utilities_.set_index("subset")
            runs.append(u.loc[big, "cooperation"])
            walls.append(wall)
            taus.append(
                kendalltau(
                    ref.loc[big, "cooperation"], u.loc[big, "cooperation"]
                ).statistic
            )
            same_top.append(sel.selected_modalities_ == full.selected_modalities_)
        runs = pd.concat(runs, axis=1)
        table = pd.DataFrame(
            {
                "acc all rows": ref.loc[big, "score"],
                "C(S) all rows": ref.loc[big, "cooperation"],
                "rank all": ref.loc[big, "rank"],
                "C(S) 100 mean": runs.mean(axis=1),
                "C(S) 100 std": runs.std(axis=1),
                "mean rank 100": runs.rank(ascending=False).mean(axis=1),
            }
        )
        print(
            f"\n## (c) {name}: all {len(y_tr)} rows ({wall_full:.1f} s) vs "
            f"max_samples=100 over {len(runs.columns)} seeds "
            f"({np.mean(walls):.1f} s each)\n"
        )
        print(table.round(3).to_markdown() + "\n")
        print(
            f"Kendall tau of the size-{m - 1} C(S) ranking vs all rows: "
            f"{np.round(taus, 3).tolist()}; same selected subset in "
            f"{sum(same_top)}/{len(same_top)} seeds\n"
        )
        results[name] = {
            "table": table.round(4).reset_index().to_dict(orient="records"),
            "kendall_tau": [float(t) for t in taus],
            "same_selected": int(sum(same_top)),
            "wall_all_s": wall_full,
            "wall_100_s": float(np.mean(walls)),
        }
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["a", "b", "c"], action="append")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    _setup()
    parts = args.part or ["a", "b", "c"]
    funcs = {"a": part_a, "b": part_b, "c": part_c}
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / "selection_experiments.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    for part in parts:
        start = time.perf_counter()
        saved[part] = funcs[part](args.quick)
        print(f"[part {part}: {time.perf_counter() - start:.0f} s]")
        path.write_text(json.dumps(saved, indent=1, default=str))


if __name__ == "__main__":
    main()
