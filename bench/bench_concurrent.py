"""Torch fits in threads of one process: the same results as alone, and faster?

Four fits with seeds 0 to 3 run one after the other, then ``--threads`` at
a time in a ``concurrent.futures.ThreadPoolExecutor`` (as joblib's
threading backend or a Dask worker with several threads would run them),
alternated, best of two repeats each: the ratio is the threaded wall time
over the serial one (below 1: the threads overlap). The fits are a
``MultimodalNetClassifier`` (attention fusion, dropout and modality dropout,
10 epochs) and a ``FlowImputer`` (5 epochs) on synthetic data. Each fit
draws from torch generators of its own, so the threaded fits must give the
serial fits' outputs exactly: the largest difference is printed too (0
expected).

Usage: ``python bench/bench_concurrent.py [--quick] [--threads N]``.
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def _fits(n_samples):
    from sklearn_skll.datasets import make_multimodal_classification
    from sklearn_skll.impute import FlowImputer
    from sklearn_skll.neural import MultimodalNetClassifier

    data = make_multimodal_classification(n_samples, random_state=0, as_frame=False)
    X, y, mods = data.data, data.target, data.modalities
    X_missing = X.copy()
    X_missing[: n_samples // 4, mods[list(mods)[0]]] = np.nan

    def net(seed):
        clf = MultimodalNetClassifier(
            modalities=mods,
            fusion="attention",
            dropout=0.3,
            modality_dropout=0.3,
            max_epochs=10,
            validation_fraction=0,
            random_state=seed,
        )
        return clf.fit(X, y).predict_proba(X)

    def flow(seed):
        imp = FlowImputer(
            modalities=mods, max_epochs=5, validation_fraction=0, random_state=seed
        )
        return imp.fit(X_missing, y).transform(X_missing)

    return {"net attention": net, "flow imputer": flow}


def _timed(fit, seeds, threads):
    start = time.perf_counter()
    if threads == 1:
        out = [fit(seed) for seed in seeds]
    else:
        with ThreadPoolExecutor(threads) as pool:
            out = list(pool.map(fit, seeds))
    return time.perf_counter() - start, out


def run(quick=False, threads=2):
    n_samples = 600 if quick else 2000
    seeds = range(4)
    rows = []
    for name, fit in _fits(n_samples).items():
        fit(0)  # warm-up: imports, first kernels
        best, outputs = {}, {}
        for n in (1, threads, 1, threads):
            seconds, outputs[n] = _timed(fit, seeds, n)
            best[n] = min(best.get(n, seconds), seconds)
        diff = max(
            float(np.abs(a - b).max()) for a, b in zip(outputs[threads], outputs[1])
        )
        case = f"{name}, 4 fits, {n_samples} rows"
        rows.append(
            {
                "benchmark": "concurrent",
                "case": case,
                "metric": f"wall s, {threads} threads / one at a time",
                "value": best[1],
                "ratio": best[threads] / best[1],
                "target": "<1 means threads overlap",
            }
        )
        rows.append(
            {
                "benchmark": "concurrent",
                "case": case,
                "metric": "max |threaded - alone|",
                "value": diff,
                "ratio": float("nan"),
                "target": "0: same seed, same result",
            }
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rows = run(args.quick, args.threads)
    print(f"{'case':<34} {'alone (s)':>10} {'threads/alone':>14} {'max diff':>9}")
    for timing, diff in zip(rows[::2], rows[1::2]):
        print(
            f"{timing['case']:<34} {timing['value']:10.2f} "
            f"{timing['ratio']:14.2f} {diff['value']:9.2g}"
        )


if __name__ == "__main__":
    main()
