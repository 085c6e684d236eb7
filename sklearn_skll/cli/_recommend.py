"""``sklearn-skll recommend``: what should a budget buy, from the pilot alone."""

from pathlib import Path

from ._common import (
    ESTIMATORS,
    UsageError,
    add_table_options,
    complete_rows,
    costs_for,
    dropped_line,
    parse_costs,
    positive_int,
    positive_number,
    read_data,
    render_table,
)

__all__ = ["add_parser", "run"]

#: With ``--dataset``: the share of the training part taken as the pilot.
DEFAULT_AVAILABLE = 0.1


def add_parser(sub):
    """Add this subcommand's parser to the CLI's subparsers."""
    p = sub.add_parser(
        "recommend",
        help="what should a budget buy? estimated on the pilot alone",
        description=(
            "Recommend how to spend a data budget: buy complete rows "
            "(uniform), rows carrying only the key modalities (SK-LL, the rest "
            "generated or left missing), or nothing. Estimated by a nested "
            "simulation on the pilot's complete rows alone; prints the "
            "recommendation, the estimates with 95 %% intervals and the "
            "learning curve, and writes results.md, results.csv, results.json "
            "and PNG plots."
        ),
    )
    add_table_options(p, dataset=True)
    p.add_argument(
        "--budget",
        type=positive_number,
        required=True,
        help="fraction of the training rows' modality-observations at the mean "
        "cost (0 < B <= 1), or an absolute number of cost units (> 1)",
    )
    p.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="cost of one observation of a modality (repeatable; default 1 each)",
    )
    p.add_argument(
        "--n-train",
        type=positive_int,
        default=None,
        help="the rows the training population will hold once the budget is "
        "spent, pilot included (required with --table; with --dataset, the "
        "training part's rows)",
    )
    p.add_argument(
        "--available",
        type=float,
        default=DEFAULT_AVAILABLE,
        help="with --dataset: the share of the training part taken as the "
        f"pilot (default {DEFAULT_AVAILABLE})",
    )
    p.add_argument(
        "--classifier",
        choices=ESTIMATORS,
        default="logreg",
        help="the classifier that will be trained (default logreg: a "
        "mean-imputing logistic regression)",
    )
    p.add_argument(
        "--repeats", type=positive_int, default=20, help="splits of the pilot"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--n-jobs", type=int, default=None, help="parallel repeats")
    p.add_argument(
        "--out", type=Path, default=Path("skll-recommend"), help="output folder"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _dataset_pilot(args, X, y, modalities):
    """With ``--dataset``: the benchmark's training part and its pilot rows."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    from .._base import seed_streams
    from ..budget._protocol import TEST_RANDOM_STATE, TEST_SIZE
    from ..planning._simulation import stratified_order

    if not 0 < args.available < 1:
        raise UsageError(
            f"--available must be a fraction in (0, 1), got {args.available!r}"
        )
    y = np.asarray(y)
    train, _ = train_test_split(
        np.arange(y.shape[0]),
        test_size=TEST_SIZE,
        stratify=y,
        random_state=TEST_RANDOM_STATE,
    )
    n_train = len(train) if args.n_train is None else args.n_train
    n_pilot = int(np.floor(args.available * len(train) + 1e-9))
    # The rows the benchmark's seed takes first (its "split" stream).
    split = seed_streams(args.seed, "split")["split"]
    order = stratified_order(y[train], np.random.RandomState(split))
    pilot = train[order[:n_pilot]]
    X_pilot = X.iloc[pilot] if hasattr(X, "iloc") else np.asarray(X)[pilot]
    line = (
        f"Source: the pilot is {n_pilot} rows of the training part "
        f"({len(train)} rows, the benchmark's {100 * (1 - TEST_SIZE):g} % "
        "split), the available rows "
        f"of the benchmark's seed {args.seed}; the rest is what the budget "
        "would buy from."
    )
    return X_pilot, y[pilot], n_train, line


def _labels(args, y):
    """Class codes as the names the user's file (or the dataset) gives them."""
    import numpy as np

    from ._common import load_bundled, read_table

    bunch = load_bundled(args.dataset) if args.dataset else read_table(args)
    names = bunch.get("target_names")
    y = np.asarray(y)
    if names is None or not len(names) or not np.issubdtype(y.dtype, np.integer):
        return y
    return np.asarray(names)[y]


def run(args):
    from ..budget import recommend
    from ..budget._benchmark import benchmark_parts

    costs = parse_costs(args)
    X, y, modalities, what, head = read_data(args)
    y = _labels(args, y)
    costs = costs_for(costs, modalities)
    if args.dataset:
        X, y, n_train, pilot_line = _dataset_pilot(args, X, y, modalities)
    else:
        if args.n_train is None:
            raise UsageError(
                "--table needs --n-train N: the rows the training population "
                "will hold once the budget is spent, pilot included"
            )
        n_rows = len(y)
        X, y, dropped = complete_rows(X, y, modalities)
        if len(y) == 0:
            raise UsageError(
                f"no row of {args.table} observes every modality: the pilot "
                "is the complete rows"
            )
        n_train = args.n_train
        pilot_line = dropped_line(dropped, n_rows) or (
            f"Source: all {n_rows} rows of the table are complete: they form the pilot."
        )
    params = {}
    if args.classifier != "logreg":
        params["classifier"] = benchmark_parts(modalities, classifier=args.classifier)[
            "classifier"
        ]
    rec = recommend(
        X,
        y,
        modalities=modalities,
        budget=args.budget,
        n_train=n_train,
        costs=costs,
        estimator_params=params,
        n_repeats=args.repeats,
        random_state=args.seed,
        n_jobs=args.n_jobs,
        verbose=0 if args.quiet else 1,
    )
    written = rec.save(args.out)
    print(f"\nRecommendation for {what}:\n")
    print(f"  {rec.verdict}\n")
    print(f"  {pilot_line}")
    for line in rec.settings_lines():
        print(f"  {line}")
    print("\nEstimates (accuracy on the pilot's validation parts):\n")
    print(render_table(rec.estimates_frame()))
    print(f"\nIs more data worth it here? {rec.curve_sentence()}")
    for note in rec.notes:
        print(f"note: {note}")
    print(f"\n{head}")
    print(f"[{rec.wall_time:.1f} s]")
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0
