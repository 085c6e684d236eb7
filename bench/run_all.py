"""Run every benchmark and print one table of ratios measured side by side.

Usage::

    python bench/run_all.py            # full sizes
    python bench/run_all.py --quick    # smaller cases, a few minutes on 2 cores

Each ``bench/bench_*.py`` module exposes ``run(quick) -> list[dict]`` whose
rows carry ``benchmark``, ``case``, ``metric``, ``value`` and, where two things
are compared in the same run, ``ratio``. Every module runs in its own process,
so its peak resident memory is measured too (``os.wait4``).
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
MODULES = [
    "bench_neural",
    "bench_selection",
    "bench_impute",
    "bench_explain",
    "bench_end_to_end",
    "bench_threads",
    "bench_contention",
    "bench_defaults",
    "bench_engines",
    "bench_startup",
]

_CHILD = """
import json, sys
sys.path.insert(0, {here!r})
import {module} as m
rows = m.run(quick={quick})
with open({out!r}, "w") as fh:
    json.dump(rows, fh)
"""


def _run_module(module, quick):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        code = _CHILD.format(here=str(HERE), module=module, quick=quick, out=out)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code])
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        peak_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
        if proc.returncode != 0:
            return [], wall, peak_mib, f"exit code {proc.returncode}"
        with open(out) as fh:
            return json.load(fh), wall, peak_mib, None


def _fmt(value):
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases")
    parser.add_argument("--only", nargs="*", default=None, help="module names to run")
    parser.add_argument("--json", type=Path, default=None, help="also write rows here")
    args = parser.parse_args(argv)

    rows, summary = [], []
    for module in args.only or MODULES:
        if not (HERE / f"{module}.py").exists():
            summary.append((module, 0.0, 0.0, "missing"))
            continue
        print(f"[run_all] {module} ...", flush=True)
        got, wall, peak, error = _run_module(module, args.quick)
        rows.extend(got)
        summary.append((module, wall, peak, error or "ok"))

    header = ("benchmark", "case", "metric", "value", "ratio", "target")
    table = [header] + [tuple(_fmt(r.get(k)) for k in header) for r in rows]
    widths = [max(len(r[j]) for r in table) for j in range(len(header))]
    print()
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print("\nmodule              wall (s)  peak RSS (MiB)  status")
    for module, wall, peak, status in summary:
        print(f"{module:<18} {wall:9.1f} {peak:15.0f}  {status}")
    largest = max(summary, key=lambda s: s[2])
    print(f"\nPeak memory of the largest case: {largest[2]:.0f} MiB ({largest[0]})")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "modules": summary}, indent=2))
    return 0 if all(s[3] in ("ok", "missing") for s in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
