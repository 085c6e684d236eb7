"""ModalitySelector at cohort sizes: wall time and peak memory, side by side.

Usage::

    python bench/bench_scale.py                  # the four shapes below
    python bench/bench_scale.py --quick          # 2,000 x 4 and 8,000 x 8
    python bench/bench_scale.py --shapes 1000000x4 --no-budgeted
    python bench/bench_scale.py --baseline /path/to/older/checkout
    python bench/bench_scale.py --shapes 100000x10 --width 32 --seed 1

Data: ``make_multimodal_classification``, 16 features per modality
(``--width``), the first three modalities informative and the others noise,
3 classes (``--seed`` draws the data and seeds the fits), written once per
shape to a ``.npy`` file that every measured process loads (so data
generation is no part of the peak). Shapes (rows x modalities): 2,000 x 4,
8,000 x 8, 32,000 x 8, 100,000 x 10.

Each measurement runs in a fresh process; its peak resident memory is that
process's (``VmHWM``, or ``os.wait4`` without ``/proc``), which includes
Python, torch and the loaded data.
Inside it, torch and the package are imported and a tiny fit is run before
the clock starts. Per shape:

- ``one fit``: the selector's chosen net (``SMALL_NET``) fitted once on all
  modalities and rows, timed before and after the selectors; the ratios
  divide by the mean of the two (the machine's load drifts);
- ``selector``: ``ModalitySelector(modalities=..., random_state=0)`` with its
  defaults (above 1,000 rows: the small net and the masked engine);
- ``selector (baseline)``, with ``--baseline PATH``: the same in a process
  that imports the package from ``PATH`` (e.g. ``git worktree add PATH
  <older commit>``), run between the others in the same minute;
- at 100,000 rows, ``budgeted``: ``BudgetedMultimodalClassifier`` with its
  default parts and ``available=None`` (the data as they are: no budget
  simulation), i.e. the selector, then the default classifier.

``--agreement`` adds the sampled Shapley estimate against the exact values
at 10 modalities (8,000 rows): the selector's exhaustive utility table, then
``search="sampled"`` with 50 to 800 orders (20 draws each) on the same
table: largest error, Kendall tau, the share of errors within 1.96 standard
errors, and the subsets scored.

Times are only comparable within one run: on a shared machine every column
slows alike, so read the ratios. Targets (100,000 x 10): at most 15 one fits
and 1 GiB; at most 20 one fits at 2,000 x 4.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHAPES = [(2_000, 4), (8_000, 8), (32_000, 8), (100_000, 10)]
QUICK_SHAPES = [(2_000, 4), (8_000, 8)]
BUDGETED_ROWS = 100_000
WIDTH, INFORMATIVE, N_CLASSES = 16, 3, 3

TARGETS = {
    (100_000, 10): ("<= 15", 15.0, 1024.0),
    (2_000, 4): ("<= 20", 20.0, None),
}


def make_data(n_rows, n_modalities, seed=0, width=WIDTH):
    """The bench's synthetic table: (X, y, modalities as column positions)."""
    from sklearn_skll.datasets import make_multimodal_classification

    spec = {
        f"m{j}": {
            "n_features": width,
            "role": "informative" if j < INFORMATIVE else "noise",
        }
        for j in range(n_modalities)
    }
    bunch = make_multimodal_classification(
        n_rows,
        modalities=spec,
        n_classes=N_CLASSES,
        random_state=seed,
        as_frame=False,
    )
    return bunch.data, bunch.target, bunch.modalities


def _child(job):
    """Run one measurement in this (fresh) process; print its JSON result."""
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    X, y = np.load(job["X"]), np.load(job["y"])
    width, seed = job.get("width", WIDTH), job.get("seed", 0)
    mods = {f"m{j}": list(range(width * j, width * (j + 1))) for j in range(job["m"])}

    import torch  # noqa: F401  (imported before the clock, as a user has it)

    from sklearn_skll.neural import MultimodalNetClassifier
    from sklearn_skll.selection import ModalitySelector
    from sklearn_skll.selection._selector import SMALL_NET

    # a tiny fit first: lazy imports and first-call costs are no part of it
    MultimodalNetClassifier(**dict(SMALL_NET, max_epochs=1), random_state=0).fit(
        X[:200], y[:200]
    )
    kind = job["kind"]
    start = time.perf_counter()
    info = {}
    if kind == "net":
        net = MultimodalNetClassifier(modalities=mods, **SMALL_NET, random_state=seed)
        net.fit(X, y)
        info["epochs"] = int(net.n_iter_)
    elif kind == "selector":
        sel = ModalitySelector(modalities=mods, random_state=seed).fit(X, y)
        info["subsets"] = len(sel.utilities_)
        info["key"] = "+".join(sel.key_subset_)
    elif kind == "budgeted":
        from sklearn_skll.budget import BudgetedMultimodalClassifier

        clf = BudgetedMultimodalClassifier(modalities=mods, random_state=seed)
        clf.fit(X, y)
        info["key"] = "+".join(clf.selector_.key_subset_)
    else:
        raise ValueError(f"unknown job kind {kind!r}")
    info["wall"] = time.perf_counter() - start
    info["peak_mib"] = _own_peak_mib()
    print("RESULT " + json.dumps(info))


def _own_peak_mib():
    """This process's peak resident memory since it started its program.

    ``VmHWM`` belongs to the program's own address space; the rusage of a
    child can also count the parent's pages at the time it was forked.
    None where ``/proc`` is missing (the rusage is used then).
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _measure(job, package_root):
    """Run ``job`` in a fresh process; (result dict, peak RSS in MiB)."""
    env = dict(os.environ, PYTHONPATH=str(package_root))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(job)]
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(package_root)
        )
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{job['kind']} failed:\n{text[-2000:]}")
    line = [ln for ln in text.splitlines() if ln.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT ") :])
    peak = result.pop("peak_mib", None)
    return result, usage.ru_maxrss / 1024 if peak is None else peak


def _shape_rows(n_rows, m, tmp, baseline, budgeted, width=WIDTH, seed=0):
    import numpy as np

    X, y, _ = make_data(n_rows, m, seed=seed, width=width)
    paths = {"X": f"{tmp}/X_{n_rows}_{m}.npy", "y": f"{tmp}/y_{n_rows}_{m}.npy"}
    np.save(paths["X"], X)
    np.save(paths["y"], y)
    del X, y
    job = dict(paths, m=m, width=width, seed=seed)
    case = f"{n_rows:,} x {m}"
    if (width, seed) != (WIDTH, 0):
        case += f" (width {width}, seed {seed})"
    runs = [("one fit", "net", ROOT), ("selector", "selector", ROOT)]
    if baseline is not None:
        runs.append(("selector (baseline)", "selector", baseline))
    if budgeted and n_rows == BUDGETED_ROWS:
        runs.append(("budgeted", "budgeted", ROOT))
    runs.append(("one fit", "net", ROOT))
    results = []
    for label, kind, root in runs:
        got, peak = _measure(dict(job, kind=kind), root)
        print(f"[bench_scale] {case} {label}: {got['wall']:.1f} s, {peak:.0f} MiB")
        results.append((label, got, peak))
    fits = [got["wall"] for label, got, _ in results if label == "one fit"]
    one_fit = sum(fits) / len(fits)
    target = TARGETS.get((n_rows, m))
    rows = [
        dict(
            benchmark="bench_scale",
            case=case,
            metric="one fit (s)",
            value=one_fit,
            peak_mib=max(p for label, _, p in results if label == "one fit"),
            epochs=results[0][1]["epochs"],
        )
    ]
    for label, got, peak in results:
        if label == "one fit":
            continue
        rows.append(
            dict(
                benchmark="bench_scale",
                case=case,
                metric=f"{label} (s)",
                value=got["wall"],
                ratio=got["wall"] / one_fit,
                peak_mib=peak,
                target=target[0] if target and label == "selector" else "",
                subsets=got.get("subsets"),
                key=got.get("key"),
            )
        )
    return rows


def agreement_rows(n_rows=8_000, m=10, orders=(50, 100, 200, 400, 800), draws=20):
    """Sampled Shapley values against the exact ones on one utility table."""
    import warnings

    import numpy as np
    from scipy.stats import kendalltau

    from sklearn_skll.game import PermutationSample
    from sklearn_skll.selection import ModalitySelector

    X, y, mods = make_data(n_rows, m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = ModalitySelector(modalities=mods, random_state=0).fit(X, y)
    names = list(mods)
    table = exact.utility_table()
    table[frozenset()] = 0.0
    phi = exact.shapley_values_.to_numpy()
    boot_std = float(exact.shapley_std_.max())
    top = set(np.argsort(-phi)[:INFORMATIVE])
    rows = []
    for n_orders in orders:
        err, tau, cover, n_sub, same_top = [], [], [], [], []
        for seed in range(draws):
            sample = PermutationSample(m, n_orders, seed)
            subsets = sample.subsets(names)
            est, se = sample.estimate(np.array([table[s] for s in subsets]))
            err.append(np.abs(est - phi).max())
            tau.append(kendalltau(est, phi).statistic)
            cover.append(np.mean(np.abs(est - phi) <= 1.96 * se))
            n_sub.append(len(subsets) - 1)
            same_top.append(set(np.argsort(-est)[:INFORMATIVE]) == top)
        rows.append(
            dict(
                benchmark="bench_scale",
                case=f"sampled Shapley, {n_rows:,} x {m}, {n_orders} orders",
                metric="max |error| (mean over draws)",
                value=float(np.mean(err)),
                worst=float(np.max(err)),
                kendall_tau=float(np.mean(tau)),
                coverage_196se=float(np.mean(cover)),
                same_top3=float(np.mean(same_top)),
                subsets=float(np.mean(n_sub)),
                exhaustive_subsets=2**m - 1,
                largest_value=float(phi.max()),
                bootstrap_std_max=boot_std,
            )
        )
    return rows


def run(
    quick=False,
    baseline=None,
    budgeted=True,
    shapes=None,
    agreement=False,
    width=WIDTH,
    seed=0,
):
    shapes = shapes or (QUICK_SHAPES if quick else SHAPES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_rows, m in shapes:
            rows.extend(
                _shape_rows(
                    n_rows, m, tmp, baseline, budgeted and not quick, width, seed
                )
            )
    if agreement:
        rows.extend(agreement_rows())
    return rows


def _print(rows):
    keys = ["case", "metric", "value", "ratio", "peak_mib", "target", "subsets", "key"]
    for r in rows:
        shown = []
        for k in keys:
            v = r.get(k)
            if v is None or v == "":
                continue
            shown.append(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}")
        extra = [
            f"{k}={r[k]:.3g}" if isinstance(r[k], float) else f"{k}={r[k]}"
            for k in r
            if k not in keys and k != "benchmark"
        ]
        print("  ".join(shown + extra))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 x 4 and 8,000 x 8")
    parser.add_argument(
        "--shapes", nargs="*", default=None, help="ROWSxMODALITIES, e.g. 1000000x4"
    )
    parser.add_argument(
        "--baseline", type=Path, default=None, help="checkout to time beside this one"
    )
    parser.add_argument(
        "--no-budgeted", action="store_true", help="skip the budgeted fit"
    )
    parser.add_argument(
        "--agreement", action="store_true", help="sampled vs exact Shapley values"
    )
    parser.add_argument(
        "--width", type=int, default=WIDTH, help="features per modality"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the data and of the fits"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write rows")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(json.loads(args.child))
        return 0
    shapes = None
    if args.shapes:
        shapes = [tuple(int(v) for v in s.lower().split("x")) for s in args.shapes]
    rows = run(
        quick=args.quick,
        baseline=args.baseline,
        budgeted=not args.no_budgeted,
        shapes=shapes,
        agreement=args.agreement,
        width=args.width,
        seed=args.seed,
    )
    print("\n(times on a shared machine: compare the ratios, measured side by side)")
    _print(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
