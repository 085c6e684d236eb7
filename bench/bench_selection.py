"""Cost of ModalitySelector's utility engines, as ratios measured in one run.

Usage::

    python bench/bench_selection.py [--quick]

Data: ``make_multimodal_classification`` (five modalities: informative, a
synergistic pair, a redundant copy, noise; 31 subsets), 600 rows (300 with
``--quick``), ``cv=3``, the selector's default estimator (a small
``MultimodalNetClassifier``), ``torch.set_num_threads(1)``.

Rows returned:

- ``masked`` engine wall time / one cross-validated full-model fit (the same
  net on all modalities, fitted on each of the same three training folds).
  Target: at most 1.5.
- ``retrain`` engine wall time / the same full-model fit (for scale: it
  trains 31 x 3 models).
- ``retrain`` with ``n_jobs=1`` / with ``n_jobs=2`` (loky workers started
  before timing). Target: at least 1.6 on two free cores.
- control: the same ``n_jobs`` ratio for pure-CPU Python tasks, i.e. how much
  parallel headroom the machine had during the run (on a shared machine the
  retrain speed-up cannot exceed it).

Each timing is the best of ``repeats`` runs (1 for the retrain engine).
"""

import argparse
import time
import warnings


def _best(func, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _warm_workers(n_jobs):
    from sklearn.utils.parallel import Parallel, delayed

    def touch():
        import sklearn_skll.neural  # noqa: F401  (imports torch in the worker)

        return 0

    Parallel(n_jobs=n_jobs)(delayed(touch)() for _ in range(2 * n_jobs))


def _spin(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def _control_speedup(n_tasks=8, size=2_000_000):
    """n_jobs=1 / n_jobs=2 time of pure-CPU tasks: the machine's free headroom."""
    from sklearn.utils.parallel import Parallel, delayed

    times = {}
    for n_jobs in (1, 2):
        times[n_jobs] = _best(
            lambda n_jobs=n_jobs: Parallel(n_jobs=n_jobs)(
                delayed(_spin)(size) for _ in range(n_tasks)
            ),
            2,
        )
    return times[1] / times[2]


def run(quick=False):
    import torch
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from sklearn_skll.datasets import make_multimodal_classification
    from sklearn_skll.exceptions import CooperationWarning
    from sklearn_skll.neural import MultimodalNetClassifier
    from sklearn_skll.selection import ModalitySelector
    from sklearn_skll.selection._selector import SMALL_NET

    torch.set_num_threads(1)
    warnings.simplefilter("ignore", CooperationWarning)
    n = 300 if quick else 600
    data = make_multimodal_classification(n, random_state=0, as_frame=False)
    X, y, mods = data.data, data.target, data.modalities
    cv = 3

    # The same folds and small net (the selector's default) for every timing.
    splitter = StratifiedKFold(cv, shuffle=True, random_state=0)
    folds = list(splitter.split(X, y))
    # The selector's small net above 1000 rows (its documented default).
    net = MultimodalNetClassifier(modalities=mods, **SMALL_NET, random_state=0)

    def selector(**params):
        return ModalitySelector(
            net, modalities=mods, cv=splitter, random_state=0, **params
        )

    def full_fit():
        for train, _ in folds:
            clone(net).fit(X[train], y[train])

    repeats = 2 if quick else 3
    t_full = _best(full_fit, repeats)
    t_masked = _best(lambda: selector(utility="masked").fit(X, y), repeats)
    t_retrain_1 = _best(lambda: selector(n_jobs=1).fit(X, y), 1)
    _warm_workers(2)
    t_retrain_2 = _best(lambda: selector(n_jobs=2).fit(X, y), 1)
    control = _control_speedup()

    case = f"make_multimodal_classification n={n}, 5 modalities, cv={cv}, default net"
    bench = "selection"
    return [
        {
            "benchmark": bench,
            "case": case,
            "metric": "full-model CV fit (s)",
            "value": t_full,
        },
        {
            "benchmark": bench,
            "case": case,
            "metric": "masked engine / full-model fit",
            "value": t_masked,
            "ratio": t_masked / t_full,
        },
        {
            "benchmark": bench,
            "case": case,
            "metric": "retrain engine / full-model fit",
            "value": t_retrain_1,
            "ratio": t_retrain_1 / t_full,
        },
        {
            "benchmark": bench,
            "case": case,
            "metric": "retrain speed-up n_jobs=2 vs n_jobs=1",
            "value": t_retrain_2,
            "ratio": t_retrain_1 / t_retrain_2,
        },
        {
            "benchmark": bench,
            "case": "8 pure-Python CPU tasks (control)",
            "metric": "speed-up n_jobs=2 vs n_jobs=1 (free cores on this machine)",
            "value": None,
            "ratio": control,
        },
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(row)
