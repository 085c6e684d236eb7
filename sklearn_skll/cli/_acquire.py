"""The ``sklearn-skll acquire`` subcommand: which patients get which modality.

Rows of the user's table with some modality missing (all its cells empty)
are the candidates; complete rows with a label train the classifier and the
imputer. Rows missing every modality, and complete rows without a label, are
left out (counted in the printed summary). A candidate's label may be empty.
"""

import math
import sys
import warnings
from pathlib import Path

from ._common import (
    UsageError,
    costs_for,
    make_estimator,
    modality_specs,
    parse_costs,
    render_table,
)

__all__ = ["add_parser", "run"]

_DUMMY_TARGET = "__sklearn_skll_acquire_target__"
#: ``sklearn_skll.acquisition.CRITERIA``, spelled out so that ``--help`` does
#: not import the estimators (a test keeps the two equal).
CRITERIA = ("random", "uncertainty", "expected_change", "expected_loss_reduction")


def add_parser(sub):
    """Add the ``acquire`` parser to the CLI's subparsers."""
    p = sub.add_parser(
        "acquire",
        help="rank which rows should get which missing modality under a budget",
        description=(
            "Rank the (row, missing modality) pairs of a table by the expected "
            "gain of acquiring the modality for that row, per unit cost, and "
            "choose pairs greedily within a budget. Rows with a modality "
            "missing are ranked; complete rows with a label train the "
            "classifier and the imputer. Writes ranking.csv, chosen.csv and "
            "acquire.png to --out and prints the chosen pairs."
        ),
    )
    p.add_argument(
        "--table",
        type=Path,
        required=True,
        help="CSV or Parquet file, one row per sample",
    )
    p.add_argument(
        "--modality",
        action="append",
        default=[],
        metavar="NAME=COLUMNS",
        help="a modality as comma-separated column names or re:PATTERN "
        "(repeat for each modality)",
    )
    p.add_argument("--target", required=True, help="the label column")
    p.add_argument(
        "--index-col",
        default=None,
        help="a column identifying rows (e.g. a patient id)",
    )
    p.add_argument(
        "--budget",
        required=True,
        help="cost units to spend (>= 0; with unit costs, a number of "
        "modality acquisitions)",
    )
    p.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="cost of acquiring a modality for one row (repeatable; default 1 each)",
    )
    p.add_argument(
        "--criterion",
        choices=CRITERIA,
        default="expected_change",
        help="expected gain of an acquisition (default expected_change)",
    )
    p.add_argument(
        "--classifier",
        choices=("logreg", "hgb", "net"),
        default="logreg",
        help="the classifier whose predictions acquisitions should change",
    )
    p.add_argument(
        "--imputer",
        choices=("gaussian", "flow", "iterative"),
        default="gaussian",
        help="draws of the missing blocks: the class-conditional "
        "Gaussian (default, fast, the one validated by simulation), "
        "the normalizing flow, or scikit-learn's IterativeImputer "
        "(slow beyond a few dozen columns)",
    )
    p.add_argument("--draws", default="20", help="imputer draws per row (default 20)")
    p.add_argument("--seed", default="0", help="random seed (default 0)")
    p.add_argument(
        "--out", type=Path, default=Path("skll-acquire"), help="output folder"
    )
    p.add_argument("--top", default="20", help="chosen pairs to print (default 20)")
    return p


def _number(text, option, *, minimum, integer=False):
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option}: expected a number, got {text!r}") from None
    if (
        not math.isfinite(value)
        or value < minimum
        or (integer and not value.is_integer())
    ):
        kind = "an integer" if integer else "a number"
        raise UsageError(f"{option}: expected {kind} >= {minimum}, got {text!r}")
    return int(value) if integer else value


def _read(args):
    """(X, labels, modalities) of every row of the table."""
    from ..datasets import read_clinical_table
    from ..datasets._readers import _read_table

    if len(args.modality) < 2:
        raise UsageError("acquire needs at least two --modality NAME=COLUMNS")
    if not args.table.exists():
        raise UsageError(f"table file not found: {args.table}")
    modalities = modality_specs(args)
    table = _read_table(args.table)[0].copy()
    table.columns = [str(c) for c in table.columns]
    if args.target not in table.columns:
        raise UsageError(f"--target {args.target!r} is not a column of {args.table}")
    if args.index_col is not None:
        if args.index_col not in table.columns:
            raise UsageError(
                f"--index-col {args.index_col!r} is not a column of {args.table}"
            )
        table = table.set_index(args.index_col)
    labels = table[args.target]
    # The labels of candidate rows may be empty: read the features against a
    # placeholder target, and the real one separately.
    bunch = read_clinical_table(
        table.drop(columns=args.target).assign(**{_DUMMY_TARGET: 0}),
        modalities,
        _DUMMY_TARGET,
    )
    return bunch.data, labels, bunch.modalities, bunch.observed


def _make_parts(args, modalities, seed):
    classifier = make_estimator(args.classifier, "cpu", seed)
    if args.classifier == "net":
        classifier.set_params(modalities=modalities)
    if args.imputer == "gaussian":
        from ..impute import ClassConditionalGaussianImputer

        imputer = ClassConditionalGaussianImputer(
            modalities=modalities, random_state=seed
        )
    elif args.imputer == "flow":
        from ..impute import FlowImputer

        imputer = FlowImputer(modalities=modalities, random_state=seed)
    else:
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        imputer = IterativeImputer(
            sample_posterior=True, max_iter=10, random_state=seed
        )
    return classifier, imputer


def _plot(chosen, ranking, budget, path):
    import matplotlib
    import numpy as np

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    spent = np.concatenate([[0.0], ranking["cost"].cumsum().to_numpy()])
    gain = np.concatenate([[0.0], ranking["gain"].cumsum().to_numpy()])
    ax.plot(
        spent,
        gain,
        color="#7f7f7f",
        ls="--",
        lw=1,
        label="all pairs, best gain per cost first",
    )
    ax.plot(
        np.concatenate([[0.0], chosen["spent"].to_numpy()]),
        np.concatenate([[0.0], chosen["gain"].cumsum().to_numpy()]),
        color="#d62728",
        marker="o",
        ms=3,
        label="chosen within the budget",
    )
    ax.axvline(budget, color="k", lw=0.8, ls=":", label=f"budget {budget:g}")
    ax.set_xlabel("cost spent")
    ax.set_ylabel("cumulative expected gain")
    ax.set_title("What each unit of budget is expected to buy")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args):
    """Run ``sklearn-skll acquire``; return the exit code."""
    import numpy as np  # here, not at import: ``--help`` stays quick
    from sklearn.exceptions import ConvergenceWarning

    from ..acquisition import AcquisitionRanker

    budget = _number(args.budget, "--budget", minimum=0)
    n_draws = _number(args.draws, "--draws", minimum=1, integer=True)
    seed = _number(args.seed, "--seed", minimum=0, integer=True)
    top = _number(args.top, "--top", minimum=0, integer=True)
    X, labels, modalities, observed = _read(args)
    costs = costs_for(parse_costs(args), modalities)
    complete = observed.all(axis=1).to_numpy()
    labelled = labels.notna().to_numpy()
    candidate = ~complete & observed.any(axis=1).to_numpy()
    train = complete & labelled
    if train.sum() < 2 or labels[train].nunique() < 2:
        raise UsageError(
            f"acquire trains on the complete rows with a label: {int(train.sum())} "
            f"such rows with {labels[train].nunique()} classes; it needs two classes"
        )
    if not candidate.any():
        raise UsageError("no row of the table has a missing modality: nothing to rank")
    print(
        f"[acquire] {int(train.sum())} complete labelled rows train; "
        f"{int(candidate.sum())} rows with a missing modality are ranked; "
        f"{int((~observed.any(axis=1)).sum())} rows missing every modality and "
        f"{int((complete & ~labelled).sum())} complete unlabelled rows are left out.",
        file=sys.stderr,
    )
    classifier, imputer = _make_parts(args, modalities, seed)
    ranker = AcquisitionRanker(
        classifier,
        imputer,
        modalities=modalities,
        costs=costs,
        criterion=args.criterion,
        n_draws=n_draws,
        random_state=seed,
    )
    X_rank = X[candidate]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ranker.fit(X[train], labels[train].to_numpy())
        ranking = ranker.rank(X_rank)
        chosen = ranker.select(X_rank, budget)
    index = X_rank.index
    for frame in (ranking, chosen):
        frame.insert(1, "index", index[frame["row"].to_numpy()])
        frame["row"] = np.flatnonzero(candidate)[frame["row"].to_numpy()]
    args.out.mkdir(parents=True, exist_ok=True)
    ranking.to_csv(args.out / "ranking.csv", index=False)
    chosen.to_csv(args.out / "chosen.csv", index=False)
    _plot(chosen, ranking, budget, args.out / "acquire.png")
    print(
        f"{len(chosen)} acquisitions chosen for {chosen['cost'].sum():g} of "
        f"{budget:g} cost units (criterion {args.criterion}); row = position in "
        "the table, index = its label"
    )
    if len(chosen):
        shown = chosen.head(top).rename(columns={"gain_per_cost": "gain/cost"})
        print(render_table(shown.drop(columns="gain_std")))
        if len(chosen) > top:
            print(f"... {len(chosen) - top} more in {args.out / 'chosen.csv'}")
    print(
        f"wrote {args.out / 'ranking.csv'}, {args.out / 'chosen.csv'}, "
        f"{args.out / 'acquire.png'}"
    )
    return 0
