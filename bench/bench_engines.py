"""Do the utility engines agree? Kendall tau of subset utilities, and cost.

For each dataset, ``ModalitySelector`` is fitted with ``utility="retrain"``
(the paper: one model per subset and fold) and ``utility="masked"`` (one
model per fold, subsets scored by hiding the other modalities), with the
selector's default estimator, the same folds (``cv=3``) and the same seed.
Printed side by side, measured in one run:

- Kendall tau between the two engines' utilities over every subset
  (target for a fast engine: >= 0.8);
- each engine's wall time / one cross-validated fit of the same estimator on
  every modality (target for a fast engine: <= 3);
- on ``synthetic``, the utility of the XOR pair ``synergy_a+synergy_b`` minus
  the larger of its two single modalities (a pure XOR pair is worth nothing
  alone: an engine that sees it gives a clearly positive gap).

``--quick`` runs ``alzheimers`` and ``synthetic`` only (``multiple_features``
has 63 subsets: the retrain engine trains 189 nets there).

Usage: ``python bench/bench_engines.py [--quick]``.
"""

import argparse
import time
import warnings


def _one_dataset(name):
    import numpy as np
    from scipy.stats import kendalltau
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from sklearn_skll.datasets import load
    from sklearn_skll.selection import ModalitySelector
    from sklearn_skll.selection._selector import _default_estimator

    data = load(name)
    X, y, mods = data.data, np.asarray(data.target), data.modalities
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    estimator = _default_estimator(0).set_params(modalities=mods)
    full = float("inf")
    for _ in range(2):  # the first pass also warms torch up
        start = time.perf_counter()
        for train, _ in cv.split(X, y):
            rows = X.iloc[train] if hasattr(X, "iloc") else X[train]
            clone(estimator).fit(rows, y[train])
        full = min(full, time.perf_counter() - start)

    utilities, seconds = {}, {}
    for engine in ("retrain", "masked"):
        selector = ModalitySelector(
            modalities=mods, utility=engine, cv=cv, random_state=0
        )
        start = time.perf_counter()
        selector.fit(X, y)
        seconds[engine] = time.perf_counter() - start
        utilities[engine] = selector.utilities_.set_index("subset")["utility"]
    retrain = utilities["retrain"]
    masked = utilities["masked"].loc[retrain.index]
    row = {
        "dataset": name,
        "n_subsets": int(retrain.size),
        "tau": float(kendalltau(retrain, masked).statistic),
        "retrain_cost": seconds["retrain"] / full,
        "masked_cost": seconds["masked"] / full,
    }
    if name == "synthetic":
        for engine, u in utilities.items():
            row[f"xor_gap_{engine}"] = float(
                u["synergy_a+synergy_b"] - max(u["synergy_a"], u["synergy_b"])
            )
    return row


def run(quick=False):
    names = ["alzheimers", "synthetic"] + ([] if quick else ["multiple_features"])
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            r = _one_dataset(name)
            rows.append(
                {
                    "benchmark": "engines",
                    "case": f"{name}, masked vs retrain",
                    "metric": "Kendall tau",
                    "value": r["tau"],
                    "target": ">= 0.8",
                }
            )
            for engine in ("masked", "retrain"):
                rows.append(
                    {
                        "benchmark": "engines",
                        "case": f"{name}, {engine}",
                        "metric": "s / one CV full fit",
                        "value": r[f"{engine}_cost"],
                        "ratio": r[f"{engine}_cost"],
                        "target": "<= 3" if engine == "masked" else "",
                    }
                )
            for key in ("xor_gap_retrain", "xor_gap_masked"):
                if key in r:
                    rows.append(
                        {
                            "benchmark": "engines",
                            "case": f"{name}, {key[8:]}",
                            "metric": "XOR pair utility - best single",
                            "value": r[key],
                        }
                    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for r in run(args.quick):
        print(
            f"{r['case']:<36} {r['metric']:<32} {r['value']:8.3f}  "
            f"{r.get('target', '')}"
        )


if __name__ == "__main__":
    main()
