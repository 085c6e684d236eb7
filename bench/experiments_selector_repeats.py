"""The selector's repeats on the README command: does ``n_repeats`` change SK-LL?

The README's main command (``sklearn-skll benchmark``: alzheimers, 10 %
available, budgets 10/30/50 %, the logistic-regression classifier) runs the
strategies ``uniform`` and ``skll`` for many seeds, once per selector
setting (``ModalitySelector(n_repeats=R)``, everything else the default).
Every setting sees the same seeds, hence the same available rows and the
same fixed test split, and uniform's runs do not depend on the selector.

Printed per budget, with 95 % Student-t intervals over the seeds:

- SK-LL minus uniform, per setting (the README's comparison);
- SK-LL with each setting minus SK-LL with the first (paired seed by seed);
- how often two settings choose the same key, and how many distinct keys
  each setting chooses over the seeds;
- the mean wall seconds of one SK-LL fit per setting (the first setting also
  pays the process's one-time imports).

Run: ``python bench/experiments_selector_repeats.py [--seeds 30]
[--repeats 1 auto 3]``. The fit times hold on a busy machine only as ratios.
"""

import argparse
import warnings

import numpy as np
import pandas as pd

from sklearn_skll._stats import format_interval, paired_interval, verdict


def _interval(diff):
    mean, low, high = paired_interval(diff)
    return f"{format_interval(mean, low, high, scale=100)} ({verdict(low, high)})"


def _repeats(value):
    return value if value == "auto" else int(value)


def run(seeds, repeats):
    from sklearn_skll.budget import run_benchmark
    from sklearn_skll.datasets import load_alzheimers

    mods = load_alzheimers().modalities
    frames = {}
    for r in repeats:
        from sklearn_skll.selection import ModalitySelector

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_benchmark(
                "alzheimers",
                strategies=("uniform", "skll"),
                seeds=seeds,
                learning_curve=False,
                shapley=False,
                estimator_params={
                    "selector": ModalitySelector(modalities=mods, n_repeats=r)
                },
            )
        frames[r] = result.runs.set_index(["seed", "budget", "strategy"]).sort_index()
    return frames


def report(frames):
    settings = list(frames)
    first = frames[settings[0]]
    budgets = sorted(first.index.get_level_values("budget").unique())
    lines = []
    for budget in budgets:
        lines.append(f"\nbudget {budget:.0%}")

        def acc(r, strategy, budget=budget):
            return frames[r].xs((budget, strategy), level=("budget", "strategy"))

        uniform = acc(settings[0], "uniform")["accuracy"]
        for r in settings:
            # uniform never uses the selector: the same runs for every setting.
            assert np.allclose(acc(r, "uniform")["accuracy"], uniform)
            skll = acc(r, "skll")
            lines.append(
                f"  n_repeats={r!s:<5} SK-LL - uniform (points): "
                f"{_interval(skll['accuracy'] - uniform)}; "
                f"{skll['key_subset'].nunique()} distinct keys; "
                f"SK-LL fit {skll['fit_time'].mean():.2f} s"
            )
        base = acc(settings[0], "skll")
        for r in settings[1:]:
            other = acc(r, "skll")
            same = (other["key_subset"] == base["key_subset"]).mean()
            lines.append(
                f"  SK-LL n_repeats={r!s} - n_repeats={settings[0]!s} (points): "
                f"{_interval(other['accuracy'] - base['accuracy'])}; "
                f"same key in {same:.0%} of seeds"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--repeats", nargs="+", type=_repeats, default=[1, "auto", 3])
    args = parser.parse_args()
    frames = run(args.seeds, args.repeats)
    print(f"alzheimers, 10 % available, {args.seeds} seeds (README command settings)")
    print(report(frames))
    print("\nkeys per seed:")
    table = pd.DataFrame(
        {
            f"n_repeats={r}": frames[r]
            .xs("skll", level="strategy")["key_subset"]
            .groupby("budget")
            .agg(lambda k: ", ".join(f"{v}: {c}" for v, c in k.value_counts().items()))
            for r in frames
        }
    )
    print(table.to_string())


if __name__ == "__main__":
    main()
