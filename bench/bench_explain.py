"""Timing of sklearn_skll.explain.modality_shap_values: 100 rows x 4 modalities.

Run: python bench/bench_explain.py [--quick]
"""

import argparse
import time

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_skll.datasets import load
from sklearn_skll.explain import modality_shap_values


def _time(fn, repeat):
    """Best wall and CPU (this process) seconds over ``repeat`` runs."""
    wall = cpu = np.inf
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def run(quick: bool) -> list[dict]:
    torch.set_num_threads(1)
    threadpool_limits(1)
    bunch = load("alzheimers")
    X, y, mods = bunch.data, bunch.target, bunch.modalities
    n_rows = 20 if quick else 100
    X_explain = X.iloc[:n_rows]
    repeat = 1 if quick else 3
    hgb = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(X, y)
    logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        X, y
    )
    modality_shap_values(
        logreg, X.iloc[:2], mods, background=X.iloc[:5]
    )  # numba JIT warm-up
    cases = {
        "hgb nan exact": lambda: modality_shap_values(
            hgb, X_explain, mods, missing="nan"
        ),
        "hgb background(100) exact": lambda: modality_shap_values(
            hgb, X_explain, mods, missing="background", random_state=0
        ),
        "logreg background(100) exact": lambda: modality_shap_values(
            logreg, X_explain, mods, missing="background", random_state=0
        ),
        "logreg background(100) permutation": lambda: modality_shap_values(
            logreg,
            X_explain,
            mods,
            missing="background",
            method="permutation",
            random_state=0,
        ),
        "logreg background(100) exact n_jobs=2": lambda: modality_shap_values(
            logreg, X_explain, mods, missing="background", random_state=0, n_jobs=2
        ),
    }
    rows, base = [], None
    for case, fn in cases.items():
        wall, cpu = _time(fn, repeat)
        base = base if base is not None else wall
        label = f"{case}, {n_rows} rows x {len(mods)} modalities"
        rows.append(
            {
                "benchmark": "explain",
                "case": label,
                "metric": "wall seconds",
                "value": wall,
                "ratio": wall / base,
            }
        )
        rows.append(
            {
                "benchmark": "explain",
                "case": label,
                "metric": "cpu seconds",
                "value": cpu,
                "ratio": None,
            }
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for row in run(args.quick):
        ratio = "" if row["ratio"] is None else f"x{row['ratio']:.2f}"
        print(f"{row['case']:<62} {row['metric']:<13} {row['value']:8.3f}  {ratio}")
