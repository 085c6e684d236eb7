"""Wall time of the README's two jobs on bundled data: the main command,
``sklearn-skll recommend --dataset alzheimers --budget 0.3``, and
``sklearn-skll benchmark``.

Usage::

    python bench/bench_end_to_end.py [--quick]

``recommend`` runs as in the README (20 repeats of the nested simulation
on the benchmark's 23-row pilot, the learning curve, report and plots).
``benchmark`` runs with its defaults (``sklearn_skll.budget.run_benchmark``:
``alzheimers``, available 10 %, budgets 10/30/50 %, five strategies, 10
seeds, logistic regression on the acquired rows, the learning curve and the
Shapley values); the quick case runs two seeds of it. The ratio column
divides by a reference measured in the same process: one fit of the
benchmark's flow imputer on 70 rows (the unit of work that dominates a run),
so the ratio holds on a loaded machine as well as on an idle one.
"""

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path


def _reference_seconds(repeats=3):
    """Median wall time of one flow-imputer fit of the benchmark's parts."""
    import numpy as np
    from sklearn.base import clone

    from sklearn_skll.budget import fast_parts
    from sklearn_skll.datasets import load

    data = load("alzheimers")
    imputer = fast_parts(data.modalities)["imputer"].set_params(random_state=0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        clone(imputer).fit(data.data.iloc[:70], data.target[:70])
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _timed(main, args, out):
    """Wall and CPU seconds of ``sklearn-skll ARGS`` run in this process."""
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main([*args, "--out", str(Path(out or tmp) / args[0])])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if code != 0:
        raise RuntimeError(f"sklearn-skll {args[0]} exited with {code}")
    return wall, cpu


def run(quick=False, out=None):
    from sklearn_skll.cli import main

    seeds = 2 if quick else None
    reference = _reference_seconds()
    case = "defaults" if seeds is None else f"defaults, {seeds} seeds"
    commands = [
        (
            "sklearn-skll recommend --dataset alzheimers --budget 0.3 (main command)",
            ["recommend", "--dataset", "alzheimers", "--budget", "0.3", "--quiet"],
        ),
        (
            f"sklearn-skll benchmark ({case})",
            ["benchmark", "--quiet"] + (["--seeds", str(seeds)] if seeds else []),
        ),
    ]
    rows = []
    for name, args in commands:
        wall, cpu = _timed(main, args, out)
        rows += [
            {
                "benchmark": "end_to_end",
                "case": name,
                "metric": "wall time (s)",
                "value": wall,
                "ratio": wall / reference,
            },
            {
                "benchmark": "end_to_end",
                "case": name,
                "metric": "CPU time of the process (s)",
                "value": cpu,
            },
        ]
    rows.append(
        {
            "benchmark": "end_to_end",
            "case": "reference: one flow-imputer fit, 70 rows",
            "metric": "wall time (s)",
            "value": reference,
        }
    )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None, help="keep the report in this folder")
    options = parser.parse_args()
    for row in run(options.quick, options.out):
        print(row)
