"""Start-up and the clinical path: whole processes timed, medians of runs.

Cases, each a fresh interpreter, run in alternated rounds so that other load
slows every case alike:

- references: ``python -c "pass"`` and ``python -c "import sklearn"``;
- ``python -c "import sklearn_skll"`` (target: < 2 s on an idle machine;
  it imports no scikit-learn, torch, shap or matplotlib until a name is
  used) and ``from sklearn_skll import ModalitySelector`` (scikit-learn, no
  torch), compared with ``import sklearn``;
- ``python -m sklearn_skll --help`` and ``python -m sklearn_skll datasets``
  (target: < 1 s);
- ``sklearn-skll select`` on the 200-patient cohort of the tests (mri 5
  columns, pet 3 missing for 28 %, clinical 4 with ``sex`` as M/F, two empty
  targets, one empty lab value) with the default ``--bootstrap auto`` and
  with ``--bootstrap 0`` (target: about 10 s on an idle machine).

Each row gives the median seconds and the ratio to ``python -c "pass"`` (and,
for ``import sklearn_skll``, to ``import sklearn``).

Usage: ``python bench/bench_startup.py [--quick] [--runs N]``.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COHORT = [
    "--modality",
    "mri=re:^mri_",
    "--modality",
    "pet=re:^pet_",
    "--modality",
    "clinical=age,sex,mmse,education",
    "--target",
    "diagnosis",
    "--missing-target",
    "drop",
    "--partial-cells",
    "impute",
    "--quiet",
]


def _cohort(folder):
    sys.path.insert(0, str(ROOT / "tests"))
    from test_cli_clinical import make_cohort_csv

    return make_cohort_csv(Path(folder) / "cohort.csv")


def _cases(csv):
    py = [sys.executable]
    select = [*py, "-m", "sklearn_skll", "select", "--table", str(csv), *COHORT]
    return {
        "python -c pass": [*py, "-c", "pass"],
        "import sklearn": [*py, "-c", "import sklearn"],
        "import sklearn_skll": [*py, "-c", "import sklearn_skll"],
        "from sklearn_skll import ModalitySelector": [
            *py,
            "-c",
            "from sklearn_skll import ModalitySelector",
        ],
        "sklearn-skll --help": [*py, "-m", "sklearn_skll", "--help"],
        "sklearn-skll datasets": [*py, "-m", "sklearn_skll", "datasets"],
        "select cohort (bootstrap auto)": select,
        "select cohort (bootstrap 0)": [*select, "--bootstrap", "0"],
    }


TARGETS = {
    "import sklearn_skll": "< 2 s idle",
    "sklearn-skll --help": "< 1 s idle",
    "sklearn-skll datasets": "< 1 s idle",
    "select cohort (bootstrap auto)": "about 10 s idle",
}


def _time(command, env):
    start = time.perf_counter()
    subprocess.run(
        command,
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def run(quick=False, runs=None):
    runs = runs or (3 if quick else 7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as folder:
        cases = _cases(_cohort(folder))
        slow = [name for name in cases if name.startswith("select")]
        times = {name: [] for name in cases}
        for name in cases:  # warm the file cache once, untimed
            _time(cases[name], env)
        for _ in range(runs):
            for name, command in cases.items():
                if name in slow and len(times[name]) >= max(2, runs // 2):
                    continue  # the selects are long; fewer runs suffice
                times[name].append(_time(command, env))
    median = {name: statistics.median(t) for name, t in times.items()}
    rows = []
    for name, value in median.items():
        row = {
            "benchmark": "startup",
            "case": name,
            "metric": "median s",
            "value": round(value, 3),
            "ratio": round(value / median["python -c pass"], 1),
            "target": TARGETS.get(name, "reference"),
        }
        rows.append(row)
    rows.append(
        {
            "benchmark": "startup",
            "case": "import sklearn_skll / import sklearn",
            "metric": "ratio",
            "value": "",
            "ratio": round(median["import sklearn_skll"] / median["import sklearn"], 2),
            "target": "",
        }
    )
    rows.append(
        {
            "benchmark": "startup",
            "case": "import ModalitySelector / import sklearn",
            "metric": "ratio",
            "value": "",
            "ratio": round(
                median["from sklearn_skll import ModalitySelector"]
                / median["import sklearn"],
                2,
            ),
            "target": "",
        }
    )
    rows.append(
        {
            "benchmark": "startup",
            "case": "select: bootstrap auto / bootstrap 0",
            "metric": "ratio",
            "value": "",
            "ratio": round(
                median["select cohort (bootstrap auto)"]
                / median["select cohort (bootstrap 0)"],
                2,
            ),
            "target": "",
        }
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 7")
    parser.add_argument("--runs", type=int, default=None, help="runs per case")
    args = parser.parse_args()
    rows = run(quick=args.quick, runs=args.runs)
    print(f"{'case':<42} {'median s':>9} {'x pass':>7}  target")
    for r in rows:
        value = f"{r['value']:.3f}" if r["value"] != "" else ""
        print(f"{r['case']:<42} {value:>9} {r['ratio']:>7}  {r['target']}")


if __name__ == "__main__":
    main()
