"""Where do intra-op torch threads pay? One training step, 1 thread versus all.

An MLP ``width -> width -> width`` is trained (forward, backward, SGD step) on
a batch of ``rows x width``; the ratio is seconds per step with every core's
thread (``os.cpu_count()``) / with one thread, measured side by side in one
run (best of two alternated repeats each). A ratio below 1 means more threads
pay; the package's default ``n_threads="auto"`` uses one thread whatever the
machine's load. Rerun this on the machine at hand before raising
``n_threads`` (:func:`sklearn_skll.set_config`).

It also fits the package's torch parts on ``multiple_features`` with one
thread and with every core's, same seed, and prints the largest difference
of their outputs: the net (``MultimodalNetClassifier``, concat and attention
fusion, 15 epochs; ``predict_proba``) and the flow (``FlowImputer``, 20
epochs; the values it generates for the first modality, hidden in 300
rows). A thread count that followed the machine's load would make the same
seed give other results on a busy machine than on an idle one.

Usage: ``python bench/bench_threads.py [--quick]``.
"""

import argparse
import os
import time

import torch


def _seconds_per_step(rows, width, reps):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(width, width), torch.nn.ReLU(), torch.nn.Linear(width, width)
    )
    x = torch.randn(rows, width)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    for i in range(reps + 2):  # 2 warm-up steps
        if i == 2:
            start = time.perf_counter()
        opt.zero_grad()
        net(x).sum().backward()
        opt.step()
    return (time.perf_counter() - start) / reps


def run(quick=False):
    cores = os.cpu_count() or 1
    sizes = (
        [(128, 64), (1024, 256), (8192, 256)]
        if quick
        else [(rows, width) for rows in (128, 1024, 8192) for width in (64, 256, 1024)]
    )
    previous = torch.get_num_threads()
    rows_out = []
    try:
        for rows, width in sizes:
            reps = max(3, int(5e7 / (rows * width * width)))
            best = {}
            for n in (1, cores, 1, cores):
                torch.set_num_threads(n)
                t = _seconds_per_step(rows, width, reps)
                best[n] = min(best.get(n, t), t)
            rows_out.append(
                {
                    "benchmark": "threads",
                    "case": f"{rows} rows x {width} wide",
                    "metric": f"step s, {cores} threads / 1",
                    "value": best[1],
                    "ratio": best[cores] / best[1],
                    "target": "<1 means threads pay",
                }
            )
    finally:
        torch.set_num_threads(previous)
    return rows_out + thread_reproducibility()


def thread_reproducibility(epochs=15):
    """Largest output differences of the torch parts fitted with 1 and all threads."""
    import numpy as np

    import sklearn_skll
    from sklearn_skll.datasets import load_multiple_features
    from sklearn_skll.neural import MultimodalNetClassifier

    cores = os.cpu_count() or 1
    data = load_multiple_features()
    rows_out = []
    for fusion in ("concat", "attention"):
        proba = {}
        for n in (1, cores):
            with sklearn_skll.config_context(n_threads=n):
                net = MultimodalNetClassifier(
                    modalities=data.modalities,
                    fusion=fusion,
                    max_epochs=epochs,
                    random_state=0,
                )
                proba[n] = net.fit(data.data, data.target).predict_proba(data.data)
        rows_out.append(
            {
                "benchmark": "threads",
                "case": f"net {fusion}, same seed",
                "metric": f"max |proba {cores} threads - 1 thread|",
                "value": float(np.abs(proba[cores] - proba[1]).max()),
                "ratio": float("nan"),
                "target": "0 means the thread count does not change results",
            }
        )
    flow = _flow_thread_difference(data, cores)
    rows_out.append(
        {
            "benchmark": "threads",
            "case": "flow imputer, same seed",
            "metric": f"max |generated {cores} threads - 1 thread|",
            "value": flow,
            "ratio": float("nan"),
            "target": "0 means the thread count does not change results",
        }
    )
    return rows_out


def _flow_thread_difference(data, cores, epochs=20):
    import numpy as np

    import sklearn_skll
    from sklearn_skll.impute import FlowImputer

    X = data.data.copy()
    hidden = list(data.modalities[next(iter(data.modalities))])
    X.loc[X.index[:300], hidden] = np.nan
    out = {}
    for n in (1, cores):
        with sklearn_skll.config_context(n_threads=n):
            flow = FlowImputer(
                modalities=data.modalities, max_epochs=epochs, random_state=0
            )
            out[n] = np.asarray(flow.fit(X, data.target).transform(X))[:300]
    return float(np.abs(out[cores] - out[1]).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = run(args.quick)
    print(f"{'case':<24} {'1 thread (ms)':>14} {'all / 1':>8}")
    for r in rows[:-3]:
        print(f"{r['case']:<24} {1e3 * r['value']:14.3f} {r['ratio']:8.2f}")
    cores = os.cpu_count() or 1
    print(f"\nsame seed, {cores} threads vs 1: largest difference of the outputs")
    for r in rows[-3:]:
        print(f"{r['case']:<24} {r['value']:.2e}")


if __name__ == "__main__":
    main()
