"""Do the utility engines agree? Kendall tau of subset utilities, and cost.

For each dataset, ``ModalitySelector`` is fitted with the selector's small
net (``_default_estimator``, forced on every dataset, also below 1,000 rows)
and each utility engine: ``"retrain"`` (the paper: one model per subset and
fold), ``"masked"`` (one model per fold, subsets scored by hiding the other
modalities) and ``"finetune"`` (the masked model, its fusion head fine-tuned
per subset), with the same folds (``cv=3``) and the same seeds. Printed side
by side, measured in one run:

- Kendall tau between each engine's utilities and retraining's over every
  subset (target for a fast engine: >= 0.8), for the fast engines the mean
  over eight net seeds with its 95 % t-interval, and the paired difference
  finetune - masked (same folds, same seeds);
- how noisy the reference is. Retraining is run with four net seeds (same
  folds). ``retrain, other seed``: seeds 1-3 against seed 0, how far one
  retraining run agrees with another (the ceiling for "tau vs retrain").
  ``tau vs mean of 3 other retrains``: each fast engine's run, and
  retraining's seed 0 (its ceiling), against the mean utilities of seeds
  1-3, a less noisy reference. ``tau, mean of seeds vs mean of 4
  retrains``: the fast engine's utilities averaged over its eight seeds
  against retraining's averaged over four: what is left when seed noise is
  averaged out (a systematic disagreement); ``split half``: retraining's
  own value of that, the mean of seeds 0-1 against the mean of seeds 2-3;
- each engine's time / one cross-validated fit of the same net on every
  modality, in CPU seconds of this process (``time.process_time``) and in
  wall seconds (target for a fast engine: <= 3). One full fit is timed next
  to each seed's fast engines, and the ratio divides by their mean, so a
  busy machine slows both sides alike (retraining, timed in runs of its
  own or read from the cache, is divided by the same mean);
- on ``synthetic``, the utility of the XOR pair ``synergy_a+synergy_b`` minus
  the larger of its two single modalities (a pure XOR pair is worth nothing
  alone: an engine that sees it gives a clearly positive gap).

The full run adds ``multiple_features`` and ``breast_cancer`` (held out: the
fine-tune engine's settings were chosen on the other three). ``--quick`` runs
``alzheimers`` and ``synthetic`` only (``multiple_features`` has 63 subsets:
retraining fits 189 nets there, four times). ``--cache DIR`` keeps
the retrain utilities and times in ``DIR`` and reuses them in later runs
(delete the files after changing the net or the data).

``--scoring`` sets the selector's score (default ``accuracy``, the
selector's default), e.g. ``neg_log_loss`` to see whether a smoother score
makes retraining agree with itself more.

Usage: ``python bench/bench_engines.py [--quick] [--cache DIR] [--scoring S]``.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

ENGINES = ("masked", "finetune")
CV_SEED = 0
RETRAIN_SEEDS = (0, 1, 2, 3)  # seed 0: the reference; 1-3: retraining vs itself
ENGINE_SEEDS = tuple(range(8))  # net seeds of the fast engines (paired: same seeds)


def _timed(func):
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _fit_selector(X, y, mods, cv, utility, seed, scoring):
    from sklearn_skll.selection import ModalitySelector
    from sklearn_skll.selection._selector import _default_estimator

    selector = ModalitySelector(
        _default_estimator(seed),
        modalities=mods,
        utility=utility,
        scoring=scoring,
        cv=cv,
        random_state=0,
    )
    selector.fit(X, y)
    return selector.utilities_.set_index("subset")["utility"].to_dict()


def _retrain(name, X, y, mods, cv, seed, cache, scoring):
    stem = f"retrain_{name}_seed{seed}"
    if scoring != "accuracy":
        stem += f"_{scoring}"
    path = cache / f"{stem}.json" if cache else None
    if path is not None and path.exists():
        return {**json.loads(path.read_text()), "cached": True}
    utilities, wall, cpu = _timed(
        lambda: _fit_selector(X, y, mods, cv, "retrain", seed, scoring)
    )
    out = {"utilities": utilities, "wall": wall, "cpu": cpu}
    if path is not None:
        path.write_text(json.dumps(out))
    return out


def _xor_gap(u):
    return u["synergy_a+synergy_b"] - max(u["synergy_a"], u["synergy_b"])


def _one_dataset(name, cache, scoring):
    import numpy as np
    from scipy.stats import kendalltau
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from sklearn_skll.datasets import load
    from sklearn_skll.selection._selector import _default_estimator

    data = load(name)
    X, y, mods = data.data, np.asarray(data.target), data.modalities
    cv = StratifiedKFold(3, shuffle=True, random_state=CV_SEED)
    estimator = _default_estimator(RETRAIN_SEEDS[0]).set_params(modalities=mods)

    def full_fit():
        for train, _ in cv.split(X, y):
            rows = X.iloc[train] if hasattr(X, "iloc") else X[train]
            clone(estimator).fit(rows, y[train])

    full_fit()  # warms torch up
    # one full fit timed next to every seed's fast engines (the same minutes
    # on a busy machine): the denominator of the cost ratios is their mean
    full_times = []

    retrains = [
        _retrain(name, X, y, mods, cv, seed, cache, scoring) for seed in RETRAIN_SEEDS
    ]
    keys = list(retrains[0]["utilities"])

    def vector(run):
        return np.array([run["utilities"][k] for k in keys])

    def tau(a, b):
        return float(kendalltau(a, b).statistic)

    ref = vector(retrains[0])
    # the less noisy reference: the mean of the other retraining runs
    mean_ref = np.mean([vector(r) for r in retrains[1:]], axis=0)
    runs = {"retrain": retrains[:1], "retrain, other seed": retrains[1:]}
    for engine in ENGINES:
        runs[engine] = []
    for seed in ENGINE_SEEDS:
        full_times.append(_timed(full_fit)[1:])
        for engine in ENGINES:
            utilities, wall, cpu = _timed(
                lambda engine=engine, seed=seed: _fit_selector(
                    X, y, mods, cv, engine, seed, scoring
                )
            )
            runs[engine].append({"utilities": utilities, "wall": wall, "cpu": cpu})
    full_wall = float(np.mean([t[0] for t in full_times]))
    full_cpu = float(np.mean([t[1] for t in full_times]))
    half = len(retrains) // 2
    split_half = tau(
        np.mean([vector(r) for r in retrains[:half]], axis=0),
        np.mean([vector(r) for r in retrains[half:]], axis=0),
    )
    retrain_mean = np.mean([vector(r) for r in retrains], axis=0)
    rows = []
    per_seed = {}
    for engine, seeds in runs.items():
        taus = [tau(ref, vector(r)) for r in seeds]
        per_seed[engine] = np.array(taus)
        fast = engine in ENGINES
        row = {
            "dataset": name,
            "engine": engine,
            "n_subsets": len(keys),
            "n_seeds": len(seeds),
            "tau": float(np.mean(taus)),
            "tau_ci": _interval(taus),
            "cpu_ratio": float(np.mean([r["cpu"] for r in seeds])) / full_cpu,
            "wall_ratio": float(np.mean([r["wall"] for r in seeds])) / full_wall,
            "xor_gap": (
                float(np.mean([_xor_gap(r["utilities"]) for r in seeds]))
                if name == "synthetic"
                else None
            ),
            "cached": any(r.get("cached", False) for r in seeds),
        }
        if engine == "retrain" or fast:
            # one run (retrain: seed 0) against the mean of retrain seeds 1..
            taus_mean = [tau(mean_ref, vector(r)) for r in seeds]
            row["tau_mean_ref"] = float(np.mean(taus_mean))
            row["tau_mean_ref_ci"] = _interval(taus_mean)
        if fast:
            # the engine's mean utilities over its seeds against retraining's
            # over its seeds: what is left when seed noise is averaged out
            row["tau_of_means"] = tau(
                retrain_mean, np.mean([vector(r) for r in seeds], axis=0)
            )
        if engine == "retrain, other seed":
            row["split_half"] = split_half
        rows.append(row)
    diff = per_seed["finetune"] - per_seed["masked"]
    rows.append(
        {
            "dataset": name,
            "engine": "finetune - masked (paired)",
            "tau": float(diff.mean()),
            "tau_ci": _interval(diff),
        }
    )
    return rows


def _interval(values):
    """95 % t-interval of the mean (None for fewer than two values)."""
    import math

    from sklearn_skll._stats import mean_interval

    _, low, high = mean_interval(values)
    return None if math.isnan(low) else (float(low), float(high))


def run(quick=False, cache=None, scoring="accuracy"):
    names = ["alzheimers", "synthetic"]
    if not quick:
        names += ["multiple_features", "breast_cancer"]
    if cache is not None:
        cache = Path(cache)
        cache.mkdir(parents=True, exist_ok=True)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            for r in _one_dataset(name, cache, scoring):
                case = f"{name}, {r['engine']}"
                if r.get("cached"):
                    case += " (time cached)"
                fast = r["engine"] in ENGINES
                ci = r["tau_ci"]
                rows.append(
                    {
                        "benchmark": "engines",
                        "case": case,
                        "metric": "Kendall tau vs retrain"
                        + (f" ({r['n_seeds']} seeds)" if fast else ""),
                        "value": r["tau"],
                        "interval": "" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]",
                        "target": ">= 0.8" if fast else "",
                    }
                )
                if "cpu_ratio" not in r:
                    continue

                def extra(metric, value, ci=None, r=r, case=case):
                    rows.append(
                        {
                            "benchmark": "engines",
                            "case": case,
                            "metric": metric,
                            "value": value,
                            "interval": ""
                            if ci is None
                            else f"[{ci[0]:.3f}, {ci[1]:.3f}]",
                        }
                    )

                n_other = len(RETRAIN_SEEDS) - 1
                if "tau_mean_ref" in r:
                    extra(
                        f"tau vs mean of {n_other} other retrains",
                        r["tau_mean_ref"],
                        r.get("tau_mean_ref_ci"),
                    )
                if "tau_of_means" in r:
                    extra(
                        f"tau, mean of seeds vs mean of {len(RETRAIN_SEEDS)} retrains",
                        r["tau_of_means"],
                    )
                if "split_half" in r:
                    half = len(RETRAIN_SEEDS) // 2
                    extra(f"split half: mean of {half} vs {half}", r["split_half"])
                for unit in ("cpu", "wall"):
                    rows.append(
                        {
                            "benchmark": "engines",
                            "case": case,
                            "metric": f"{unit} s / one CV full fit",
                            "value": r[f"{unit}_ratio"],
                            "ratio": r[f"{unit}_ratio"],
                            "target": "<= 3" if fast else "",
                        }
                    )
                if r["xor_gap"] is not None:
                    rows.append(
                        {
                            "benchmark": "engines",
                            "case": case,
                            "metric": "XOR pair utility - best single",
                            "value": r["xor_gap"],
                        }
                    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep retrain utilities here"
    )
    parser.add_argument(
        "--scoring",
        default="accuracy",
        help="the selector's scoring (default: accuracy, the selector's default)",
    )
    args = parser.parse_args()
    for r in run(args.quick, args.cache, args.scoring):
        print(
            f"{r['case']:<46} {r['metric']:<44} {r['value']:7.3f}  "
            f"{r.get('interval', ''):<16} {r.get('target', '')}",
            flush=True,
        )


if __name__ == "__main__":
    main()
