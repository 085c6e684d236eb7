"""bench/ is code too: every script starts, answers --help and imports only
names the package still has (``python bench/run_all.py --check``)."""

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_every_bench_script_answers_help():
    result = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    lines = [line for line in result.stdout.splitlines() if "--check]" in line]
    assert result.returncode == 0, result.stdout + result.stderr
    checked = {line.split()[2] for line in lines}
    assert checked == {p.name for p in BENCH.glob("*.py")}
    assert all(" ok " in line for line in lines), lines


def test_the_bench_readme_lists_every_script():
    readme = (BENCH / "README.md").read_text()
    for path in BENCH.glob("*.py"):
        assert f"`{path.name}`" in readme, path.name
