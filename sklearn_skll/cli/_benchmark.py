"""``sklearn-skll benchmark``: the paper's budget protocol, paired verdicts,
learning curve."""

from pathlib import Path

from .._benchmark_defaults import BENCHMARK_DEFAULTS as _BENCH
from ._common import (
    ESTIMATORS,
    UsageError,
    add_table_options,
    complete_rows,
    costs_for,
    dropped_line,
    float_list,
    parse_costs,
    positive_int,
    read_data,
    render_table,
    str_list,
)

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add this subcommand's parser to the CLI's subparsers."""
    p = sub.add_parser(
        "benchmark",
        help="run the paper's budget protocol: paired verdicts, learning curve",
        description=(
            "Run the SK-LL protocol: for each available ratio, budget, strategy "
            "and seed, simulate the acquisition on complete data, train, and "
            "score on a held-out test split. Reports the paired difference of "
            "each strategy to uniform (95 % CI over seeds) and the learning "
            "curve of the classifier (is more data worth it here?). Writes "
            "results.md, results.csv, results.json and PNG plots."
        ),
    )
    add_table_options(p, dataset=True, default_dataset=_BENCH["dataset"])
    p.add_argument(
        "--available",
        type=float_list,
        default=list(_BENCH["available"]),
        help="comma-separated available ratios (default "
        f"{','.join(map(str, _BENCH['available']))})",
    )
    p.add_argument(
        "--budget",
        type=float_list,
        default=list(_BENCH["budgets"]),
        help="comma-separated budgets as fractions of the training rows (default "
        f"{','.join(map(str, _BENCH['budgets']))})",
    )
    p.add_argument(
        "--strategies",
        type=str_list,
        default=None,
        help="comma-separated strategies among available_only, uniform, skll, "
        "skll_no_generation, full (default: all)",
    )
    p.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="cost of one observation of a modality (repeatable; default 1 "
        "each): a budget then buys its fraction of the training rows' "
        "modality-observations at the mean cost, and SK-LL's key is chosen "
        "by utility per cost",
    )
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=_BENCH["seeds"],
        help=f"number of seeds (default {_BENCH['seeds']})",
    )
    p.add_argument(
        "--out", type=Path, default=Path("skll-benchmark"), help="output folder"
    )
    p.add_argument("--n-jobs", type=int, default=None, help="parallel runs (joblib)")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    p.add_argument(
        "--classifier",
        choices=ESTIMATORS,
        default=_BENCH["classifier"],
        help="the classifier trained on the acquired rows: the multimodal net, "
        "gradient boosting (takes missing blocks natively), or a mean-imputing "
        f"logistic regression (default {_BENCH['classifier']})",
    )
    p.add_argument(
        "--imputer",
        choices=("flow", "gaussian", "iterative", "auto"),
        default=None,
        help="the imputer that generates the missing modalities: the small flow "
        "(the default; with --defaults the estimator's own), the class-conditional "
        "Gaussian, IterativeImputer, or auto: each fit chooses among no "
        "generation and these three by a held-out score, and the report says "
        "what it chose",
    )
    p.add_argument(
        "--defaults",
        action="store_true",
        help="train the estimators' default (larger, slower) parts instead of the "
        "small fast ones (sklearn_skll.budget.fast_parts)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run(args):
    from .._device import resolve_device
    from ..budget import STRATEGIES, run_benchmark

    try:
        resolve_device(args.device, param="--device")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    strategies = STRATEGIES
    if args.strategies is not None:
        unknown = sorted(set(args.strategies) - set(STRATEGIES))
        if unknown:
            raise UsageError(
                f"--strategies: unknown {unknown}; choose among {', '.join(STRATEGIES)}"
            )
        strategies = tuple(args.strategies)
    from sklearn.utils import Bunch

    costs = parse_costs(args)
    X, y, modalities, what, head = read_data(args)
    dropped = None
    if args.table is not None:
        # The protocol simulates on complete rows: the others are counted.
        n_rows = len(y)
        X, y, dropped = complete_rows(X, y, modalities)
        dropped = dropped_line(dropped, n_rows, use="the benchmark's data")
    name = args.dataset if args.dataset else args.table.stem
    bunch = Bunch(data=X, target=y, modalities=modalities, name=name)
    costs = costs_for(costs, bunch.modalities)
    result = run_benchmark(
        bunch,
        available=tuple(args.available),
        budgets=tuple(args.budget),
        strategies=strategies,
        seeds=args.seeds,
        classifier=args.classifier,
        parts="defaults" if args.defaults else "fast",
        imputer=args.imputer,
        estimator_params=None if costs is None else {"costs": costs},
        device=args.device,
        n_jobs=args.n_jobs,
        verbose=0 if args.quiet else 1,
    )
    written = result.save(args.out)
    print(f"\n{result.bottom_line()}\n")
    print(
        f"SK-LL protocol on {what}: {len(result.runs)} runs in "
        f"{result.wall_time:.0f} s, {result.n_seeds} seeds, classifier "
        f"{args.classifier}.\n{result.costs_line()}\n"
    )
    if dropped:
        print(f"{dropped}\n")
    if result.paired is not None:
        print(
            f"Paired differences to {result.reference} (95 % CI over "
            f"{result.n_seeds} seeds):"
        )
        for (avail, budget, _), text in result.verdicts().items():
            print(f"  available {100 * avail:g} %, budget {100 * budget:g} %: {text}")
    if result.stakes is not None:
        print("\nIs more data worth it here?")
        for text in result.stake_sentences():
            print(f"  {text}")
    print("\nTest accuracy (%), mean \u00b1 std over seeds:\n")
    print(render_table(result.summary_wide()))
    choices = result.imputer_choices()
    if choices is not None:
        print(
            "\nImputer chosen by imputer='auto' (seeds), and each candidate's "
            "held-out accuracy (%), mean \u00b1 std over seeds:\n"
        )
        print(render_table(result._choices_frame(choices)))
    if result.n_undefined_notes:
        print(
            f"\nnote: in {result.n_undefined_notes} selector fits some subsets did "
            "no better than the constant predictor, so their C(S) is undefined "
            "(NaN); small available sets make the key subset uncertain."
        )
    print("\nWrote " + ", ".join(str(p) for p in written))
    return 0
