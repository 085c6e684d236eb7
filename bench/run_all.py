"""Run every benchmark and print one table of ratios measured side by side.

Usage::

    python bench/run_all.py            # full sizes
    python bench/run_all.py --quick    # smaller cases, a few minutes on 2 cores

    python bench/run_all.py --check    # every script of bench/ answers --help

Each ``bench/bench_*.py`` module exposes ``run(quick) -> list[dict]`` whose
rows carry ``benchmark``, ``case``, ``metric``, ``value`` and, where two things
are compared in the same run, ``ratio``. Every module runs in its own process,
so its peak resident memory is measured too (``os.wait4``).

``--check`` runs nothing long: in this one interpreter it runs every script
of ``bench/`` with ``--help`` and checks that every name a script imports
from ``sklearn_skll`` (inside functions too) still exists. CI runs it, so a
script that no longer starts fails there.
"""

import argparse
import ast
import contextlib
import importlib
import io
import json
import os
import runpy
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
    "bench_concurrent",
    "bench_contention",
    "bench_first_use",
    "bench_engines",
    "bench_startup",
]

#: Only in full mode: the cohort-size bench fits 100,000 rows several times
#: (tens of minutes on 2 cores).
FULL_ONLY = ["bench_scale"]

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


def _missing_names(path):
    """Names ``path`` imports from ``sklearn_skll`` that do not exist."""
    missing = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "sklearn_skll"
        ):
            module = importlib.import_module(node.module)
            for alias in node.names:
                if hasattr(module, alias.name):
                    continue
                try:
                    importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    missing.append(f"{node.module}.{alias.name} (line {node.lineno})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sklearn_skll"):
                    importlib.import_module(alias.name)
    return missing


def check_scripts():
    """Run every script of bench/ with --help here; check its imports.

    Returns
    -------
    failures : list of str
    """
    failures = []
    argv = sys.argv
    for path in sorted(HERE.glob("*.py")):
        start = time.perf_counter()
        out = io.StringIO()
        try:
            missing = _missing_names(path)
            sys.argv = [str(path), "--help"]
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                runpy.run_path(str(path), run_name="__main__")
            code = 0  # a script that does not exit on --help
        except SystemExit as exc:
            code = exc.code or 0
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            code, missing = f"{type(exc).__name__}: {exc}", []
        finally:
            sys.argv = argv
        ok = code == 0 and "usage:" in out.getvalue() and not missing
        status = "ok" if ok else f"FAILED ({code}; {', '.join(missing) or 'no usage'})"
        print(
            f"[run_all --check] {path.name:<36} {status}  "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        if not ok:
            failures.append(path.name)
    return failures


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
    parser.add_argument(
        "--check",
        action="store_true",
        help="run every script of bench/ with --help and check its imports; "
        "measure nothing",
    )
    args = parser.parse_args(argv)
    if args.check:
        return 1 if check_scripts() else 0

    rows, summary = [], []
    default = MODULES if args.quick else MODULES + FULL_ONLY
    for module in args.only or default:
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
