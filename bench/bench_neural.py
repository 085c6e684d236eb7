"""Wall time per epoch: MultimodalNetClassifier versus scikit-learn's MLPClassifier.

Both models see the same data, the same batch size, the same hidden widths
(``MLPClassifier(hidden_layer_sizes=(encoder_hidden, fusion_hidden))``: the
first layer does the same number of multiply-adds as the per-modality
encoders together), and both score a 10 % validation split every epoch. Early
stopping is disabled on both sides so that every epoch runs. The ratio is
net seconds per epoch / MLP seconds per epoch, measured in one run, on one
thread. Seconds per epoch = (fit wall time with E = 20 epochs - with 1
epoch) / (E - 1), so the one-off setup (validation, standardization, skorch
and torch initialization) is left out of it and reported beside it as the
wall time of a 1-epoch fit. The two fits of each side are repeated,
alternating with the other side's, and each fit keeps its fastest time
before the difference is taken (the fastest difference would pick the
repeats whose 1-epoch fit happened to be slow), so that a busy machine slows
both alike. The same ratio is also measured in
process CPU seconds (``cpu_ratio``), which a busy machine moves far less
than wall time (both models run on one thread). Targets at 2,000 rows:
concat <= 1.5, attention <= 2.5.

``--hooks`` measures instead what skorch's batch-level callback hooks cost:
the same fit with no callback (the fast loop) and with one callback whose
``on_batch_begin``, ``on_grad_computed`` and ``on_batch_end`` do nothing
(the hooked loop: every batch goes through skorch's ``notify`` and its loss
is read back at once), seconds per epoch as above, alternating, side by
side in one run. The two fits give the same weights (tested), so the ratio
is the hooks' own cost; what a real callback does in them comes on top.

``--reference DIR`` runs the same measurement a second time, in a
subprocess whose ``sklearn_skll`` is imported from ``DIR`` (an earlier
revision unpacked there, e.g. ``git archive <rev> sklearn_skll | tar -x -C
DIR``), and prints both tables: the before/after ratios of one run.

Usage: ``python bench/bench_neural.py [--quick] [--hooks] [--reference DIR]``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from skorch.callbacks import Callback
from threadpoolctl import threadpool_limits

from sklearn_skll.neural import MultimodalNetClassifier

#: Process CPU seconds: on a busy machine they move far less than wall time.
CPU = time.process_time
#: Targets of the per-epoch ratio at 2,000 rows.
TARGETS = {"6 views, concat": "<= 1.5", "6 views, attention": "<= 2.5"}

# multiple_features: six views of handwritten digits, 2000 rows, 10 classes.
VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}


def make_data(n_samples, seed=0):
    """Synthetic data shaped like multiple_features (649 columns, 6 views)."""
    rng = np.random.RandomState(seed)
    y = rng.randint(10, size=n_samples)
    centers = rng.normal(size=(10, sum(VIEWS.values())))
    X = centers[y] * 0.5 + rng.normal(size=(n_samples, centers.shape[1]))
    modalities, start = {}, 0
    for name, size in VIEWS.items():
        modalities[name] = list(range(start, start + size))
        start += size
    return X, y, modalities


def _fit_seconds(model, X, y, clock=time.perf_counter):
    # One BLAS thread for the MLP, as the net has one torch thread: on an
    # idle machine numpy's BLAS would otherwise take every core.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = clock()
        model.fit(X, y)
    return clock() - start


def _time_net(X, y, modalities, epochs, clock=time.perf_counter, **params):
    """Seconds of the fits with 1 and with `epochs` epochs."""
    times = []
    for e in (1, epochs):
        net = MultimodalNetClassifier(
            modalities=modalities,
            max_epochs=e,
            patience=e,
            random_state=0,
            **params,
        )
        times.append(_fit_seconds(net, X, y, clock))
        assert net.n_iter_ == e
    return np.array(times)


class IdleBatchHooks(Callback):
    """Every batch-level hook, doing nothing: the net runs its hooked loop."""

    def on_batch_begin(self, net, **kwargs):
        pass

    def on_grad_computed(self, net, named_parameters, **kwargs):
        pass

    def on_batch_end(self, net, **kwargs):
        pass


def run_hooks(quick=False):
    """Rows comparing the hooked loop with the fast loop, side by side."""
    torch.set_num_threads(1)
    epochs, repeats = 20, 3 if quick else 5
    X, y, views = make_data(200)
    for callbacks in (None, [IdleBatchHooks()]):  # warm up torch and skorch
        _time_net(X, y, views, 2, callbacks=callbacks)
    rows = []
    X, y, views = make_data(2000)
    cases = (
        [("concat", 128)]
        if quick
        else [
            ("concat", 128),
            ("attention", 128),
            ("concat", 32),
        ]
    )
    for fusion, batch_size in cases:
        params = {
            "encoder_hidden": 64,
            "fusion_hidden": 64,
            "batch_size": batch_size,
        }
        times = {name: np.full(2, np.inf) for name in ("fast", "hooked")}
        cpu = {name: np.full(2, np.inf) for name in ("fast", "hooked")}
        for _ in range(repeats):
            for name, callbacks in (("fast", None), ("hooked", [IdleBatchHooks()])):
                for clock, best in ((time.perf_counter, times), (CPU, cpu)):
                    best[name] = np.minimum(
                        best[name],
                        _time_net(
                            X,
                            y,
                            views,
                            epochs,
                            clock,
                            fusion=fusion,
                            callbacks=callbacks,
                            **params,
                        ),
                    )
        per_epoch = {k: (t[1] - t[0]) / (epochs - 1) for k, t in times.items()}
        per_epoch_cpu = {k: (t[1] - t[0]) / (epochs - 1) for k, t in cpu.items()}
        rows.append(
            {
                "benchmark": "neural_hooks",
                "case": f"2000x{X.shape[1]}, {fusion}, batch {batch_size}",
                "fast": per_epoch["fast"],
                "hooked": per_epoch["hooked"],
                "ratio": per_epoch["hooked"] / per_epoch["fast"],
                "cpu_ratio": per_epoch_cpu["hooked"] / per_epoch_cpu["fast"],
            }
        )
    return rows


def _print_hooks(rows):
    print(
        f"{'case':30s} {'fast s/epoch':>12s} {'hooked s/epoch':>14s} "
        f"{'ratio':>6s} {'CPU ratio':>9s}"
    )
    for row in rows:
        print(
            f"{row['case']:30s} {row['fast']:12.4f} {row['hooked']:14.4f} "
            f"{row['ratio']:6.2f} {row['cpu_ratio']:9.2f}"
        )


def _time_mlp(X, y, epochs, hidden, batch_size, clock=time.perf_counter):
    """Seconds of the fits with 1 and with `epochs` epochs, like `_time_net`."""
    times = []
    for e in (1, epochs):
        mlp = MLPClassifier(
            hidden_layer_sizes=hidden,
            batch_size=batch_size,
            learning_rate_init=1e-3,
            max_iter=e,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=e + 1,
            tol=0,
            random_state=0,
        )
        times.append(_fit_seconds(mlp, X, y, clock))
        assert mlp.n_iter_ == e
    return np.array(times)


def run(quick=False):
    """Return rows ``{"benchmark", "case", "metric", "value", "ratio"}``."""
    torch.set_num_threads(1)
    sizes = [2000] if quick else [2000, 20000]
    epochs = 20
    repeats = 5
    rows = []
    X, y, views = make_data(200)
    for fusion in ("concat", "attention", "moe"):  # warm up torch and skorch
        _time_net(X, y, views, 2, fusion=fusion)
    for n in sizes:
        X, y, views = make_data(n)
        for label, modalities, fusion in [
            ("6 views, concat", views, "concat"),
            ("6 views, attention", views, "attention"),
            ("6 views, moe", views, "moe"),
            ("1 modality, concat", None, "concat"),
        ]:
            if quick and label not in TARGETS:
                continue
            params = {"encoder_hidden": 64, "fusion_hidden": 64, "batch_size": 128}
            # Alternate the two and keep each fit's fastest of `repeats`, so
            # that a busy machine slows both sides alike.
            mlp = net = mlp_cpu = net_cpu = np.full(2, np.inf)
            for _ in range(repeats):
                mlp = np.minimum(mlp, _time_mlp(X, y, epochs, (64, 64), 128))
                net = np.minimum(
                    net, _time_net(X, y, modalities, epochs, fusion=fusion, **params)
                )
                mlp_cpu = np.minimum(
                    mlp_cpu, _time_mlp(X, y, epochs, (64, 64), 128, CPU)
                )
                net_cpu = np.minimum(
                    net_cpu,
                    _time_net(X, y, modalities, epochs, CPU, fusion=fusion, **params),
                )
            # (seconds per epoch, seconds of a 1-epoch fit)
            mlp, net, mlp_cpu, net_cpu = (
                ((t[1] - t[0]) / (epochs - 1), t[0])
                for t in (mlp, net, mlp_cpu, net_cpu)
            )
            rows.append(
                {
                    "benchmark": "neural_epoch_time",
                    "case": f"{n}x{X.shape[1]}, {label}",
                    "metric": "seconds per epoch (net / MLPClassifier)",
                    "value": net[0],
                    "baseline": mlp[0],
                    "ratio": net[0] / mlp[0],
                    "one_epoch_fit_s": net[1],
                    "one_epoch_fit_s_mlp": mlp[1],
                    "cpu_ratio": net_cpu[0] / mlp_cpu[0],
                    "target": TARGETS.get(label, ""),
                }
            )
    return rows


def _print(rows, title):
    import sklearn_skll

    print(f"{title} (sklearn_skll from {os.path.dirname(sklearn_skll.__file__)})")
    print(
        f"{'case':34s} {'net s/epoch':>11s} {'MLP s/epoch':>11s} {'ratio':>6s}"
        f" {'CPU ratio':>9s} {'target':>7s} {'net 1-epoch fit':>15s}"
        f" {'MLP 1-epoch fit':>15s}"
    )
    for row in rows:
        print(
            f"{row['case']:34s} {row['value']:11.4f} {row['baseline']:11.4f} "
            f"{row['ratio']:6.2f} {row['cpu_ratio']:9.2f} {row['target']:>7s} "
            f"{row['one_epoch_fit_s']:15.3f} "
            f"{row['one_epoch_fit_s_mlp']:15.3f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small case")
    parser.add_argument(
        "--hooks",
        action="store_true",
        help="time the hooked loop (batch-level callbacks) against the fast loop",
    )
    parser.add_argument(
        "--reference", metavar="DIR", help="also time the package found in DIR"
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hooks:
        _print_hooks(run_hooks(args.quick))
        return
    rows = run(args.quick)
    if args.json:
        print(json.dumps(rows))
        return
    _print(rows, "this tree")
    if args.reference:
        command = [sys.executable, __file__, "--json"] + ["--quick"] * args.quick
        env = {**os.environ, "PYTHONPATH": os.path.abspath(args.reference)}
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, check=True
        )
        reference = json.loads(done.stdout.strip().splitlines()[-1])
        print()
        print(f"reference (sklearn_skll from {os.path.abspath(args.reference)})")
        for new, old in zip(rows, reference):
            print(
                f"{old['case']:34s} ratio {old['ratio']:6.2f} -> {new['ratio']:6.2f}"
                f", CPU ratio {old['cpu_ratio']:6.2f} -> {new['cpu_ratio']:6.2f}"
                f" (target {new['target'] or '-'})"
            )


if __name__ == "__main__":
    main()
