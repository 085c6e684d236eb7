"""The paper's budget experiments (Tables 2 and 3) and example plans.

Runs :func:`sklearn_skll.budget.run_protocol` with the parts of
:func:`sklearn_skll.budget.fast_parts` (the CLI's defaults):

- Table 2: available 10/20/30/40 %, budget 10 %, strategies available_only /
  uniform / skll / skll_no_generation / full, mean and std over seeds on a
  fixed stratified 30 % test split;
- Table 3: budgets 10/30/50 % at one availability (``--table3-available``);
- ``plan_`` of three equal-cost modalities at budget 10 % (the paper's
  numbers) and an unequal-cost plan.

Usage::

    python bench/experiments_budget.py --what plans
    python bench/experiments_budget.py --dataset alzheimers --what table2 --seeds 5
    python bench/experiments_budget.py --dataset alzheimers --what table3 --seeds 5
    python bench/experiments_budget.py --quick          # 2 seeds, smaller grids

Results are printed as Markdown and written to ``--out`` (CSV of every run).
"""

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd


def fast_parts(modalities, device="cpu"):
    """The parts used in the measurements: :func:`sklearn_skll.budget.fast_parts`."""
    from sklearn_skll.budget import fast_parts as parts

    return parts(modalities, device=device)


def plans():
    """The paper's example and an unequal-cost plan, as printed text."""
    from sklearn_skll.budget import make_plan

    out = []
    equal = make_plan(
        ["text", "audio", "video"], 0.1, key_subset=["text", "audio"], n_reference=1284
    )
    out.append("## Equal costs, 3 modalities, budget 10 % of MOSI's 1284 rows\n")
    out.append(repr(equal))
    out.append(equal.to_frame().to_markdown(floatfmt=".4f"))
    utilities = {  # illustrative f_u table (accuracy gain over majority)
        frozenset(["mri"]): 0.20,
        frozenset(["csf"]): 0.14,
        frozenset(["clinical"]): 0.08,
        frozenset(["mri", "csf"]): 0.27,
        frozenset(["mri", "clinical"]): 0.24,
        frozenset(["csf", "clinical"]): 0.21,
        frozenset(["mri", "csf", "clinical"]): 0.29,
    }
    costs = {"mri": 10.0, "csf": 3.0, "clinical": 1.0}
    unequal = make_plan(
        ["mri", "csf", "clinical"],
        0.1,
        utilities=utilities,
        costs=costs,
        n_reference=1000,
    )
    out.append(
        "\n## Unequal costs (mri 10, csf 3, clinical 1), budget 10 % of 1000 "
        "rows, key chosen by utility per cost\n"
    )
    out.append(repr(unequal))
    out.append(unequal.to_frame().to_markdown(floatfmt=".4f"))
    same = make_plan(
        ["mri", "csf", "clinical"], 0.1, utilities=utilities, n_reference=1000
    )
    out.append(
        f"\nWith equal costs the same table picks {same.key_subset} "
        f"({same.skll.n_new_rows} rows)."
    )
    return "\n".join(out)


def run(dataset, what, seeds, quick, out, n_jobs=None, table3_available=0.2):
    import torch

    from sklearn_skll.budget import run_protocol, summarize
    from sklearn_skll.datasets import load

    torch.set_num_threads(1)
    bunch = load(dataset)
    X, y, mods = bunch.data, bunch.target, bunch.modalities
    if what == "table2":
        available, budgets = ((0.1, 0.3) if quick else (0.1, 0.2, 0.3, 0.4)), (0.1,)
    else:
        available, budgets = (
            (table3_available,),
            ((0.1, 0.5) if quick else (0.1, 0.3, 0.5)),
        )
    strategies = ("available_only", "uniform", "skll", "skll_no_generation", "full")
    if what == "table3":
        strategies = ("available_only", "uniform", "skll", "full")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = run_protocol(
            X,
            y,
            mods,
            available=available,
            budgets=budgets,
            strategies=strategies,
            seeds=seeds,
            estimator_params=fast_parts(mods),
            n_jobs=n_jobs,
            verbose=1,
        )
    elapsed = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out / f"{dataset}_{what}.csv", index=False)
    text = [
        f"## {dataset}, {what}: {len(runs)} runs in {elapsed:.0f} s "
        f"(seeds {seeds}, test split 30 %)\n"
    ]
    for metric in ("accuracy", "f1_macro"):
        text.append(f"\n{metric} (%, mean ± std over seeds):\n")
        text.append(summarize(runs, metric, layout="wide").to_markdown())
    long = summarize(runs)
    text.append("\nkey subsets and training rows:\n")
    text.append(long[["n_train", "key_subset"]].to_markdown())
    return "\n".join(text), runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        default="alzheimers",
        help="alzheimers, multiple_features, or any bundled name",
    )
    parser.add_argument(
        "--what", default="all", choices=("plans", "table2", "table3", "all")
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, 2 availabilities / budgets"
    )
    parser.add_argument("--table3-available", type=float, default=0.2)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench/results_budget"))
    args = parser.parse_args(argv)
    seeds = 2 if args.quick else args.seeds
    if args.what in ("plans", "all"):
        print(plans())
    for what in ("table2", "table3"):
        if args.what in (what, "all"):
            text, _ = run(
                args.dataset,
                what,
                seeds,
                args.quick,
                args.out,
                args.n_jobs,
                args.table3_available,
            )
            print(text, flush=True)
    pd.set_option("display.width", 200)


if __name__ == "__main__":
    main()
