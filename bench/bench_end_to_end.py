"""Wall time of the README's main job, ``sklearn-skll benchmark``.

Usage::

    python bench/bench_end_to_end.py [--quick]

The full case is the README's command with its defaults (``alzheimers``,
available 10/20/30/40 %, budget 10 %, five strategies, 5 seeds). The quick case
runs one seed. The ratio column is the time per run relative to one fit of
the default classifier on all the training rows, measured in the same process.
"""

import argparse
import tempfile
import time
from pathlib import Path


def _one_fit_seconds():
    from sklearn.model_selection import train_test_split

    from sklearn_skll.budget import fast_parts
    from sklearn_skll.datasets import load

    data = load("alzheimers")
    X_train, _, y_train, _ = train_test_split(
        data.data, data.target, test_size=0.3, stratify=data.target, random_state=0
    )
    clf = fast_parts(data.modalities)["classifier"].set_params(random_state=0)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    return time.perf_counter() - start


def run(quick=False):
    import contextlib
    import io

    from sklearn_skll.cli import main

    seeds = 1 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["benchmark", "--seeds", str(seeds), "--out", str(Path(tmp)),
                         "--quiet"])
        wall = time.perf_counter() - start
        if code != 0:
            raise RuntimeError(f"sklearn-skll benchmark exited with {code}")
    n_runs = 4 * 5 * seeds
    fit = _one_fit_seconds()
    return [
        {"benchmark": "end_to_end", "case": f"alzheimers, {seeds} seed(s), "
         f"{n_runs} runs", "metric": "wall time (s)", "value": wall},
        {"benchmark": "end_to_end", "case": "per run vs one full classifier fit",
         "metric": "s per run", "value": wall / n_runs, "ratio": wall / n_runs / fit},
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(row)
