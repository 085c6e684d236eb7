"""The ``sklearn-skll acquire`` subcommand: which patients get which modality.

Rows of the user's table with some modality missing (all its cells empty)
are the candidates; complete rows with a label train the classifier and the
imputer. Rows missing every modality are left out (counted and named in the
printed summary). A candidate's label may be empty: it is ranked, not
trained on. Every message names rows by their ``--index-col`` value, or by
their row in the table (1 = the first data row) without one.
"""

import math
import sys
import warnings
from pathlib import Path

from ._common import (
    UsageError,
    add_table_options,
    costs_for,
    data_head,
    make_estimator,
    modality_specs,
    parse_costs,
    render_table,
    table_error,
)

__all__ = ["add_parser", "run"]

#: ``sklearn_skll.acquisition.CRITERIA`` and the ranker's default, spelled out
#: so that ``--help`` does not import the estimators (a test keeps them equal).
CRITERIA = (
    "random",
    "uncertainty",
    "expected_change",
    "expected_loss_reduction",
    "learned",
)
DEFAULT_CRITERION = "learned"
#: Fewer complete labelled rows than this and ``learned`` (which learns from
#: them by cross-fitting) gives way to ``uncertainty``, with a note.
MIN_LEARNED_ROWS = 40
#: Rows named in a message before "and N more".
_SHOWN = 5


def add_parser(sub):
    """Add the ``acquire`` parser to the CLI's subparsers."""
    p = sub.add_parser(
        "acquire",
        help="rank which rows should get which missing modality under a budget",
        description=(
            "Rank the (row, missing modality) pairs of a table by the value of "
            "acquiring the modality for that row, per unit cost, and choose "
            "pairs greedily within a budget. Rows with a modality missing are "
            "ranked; complete rows with a label train the classifier and the "
            "imputer. Writes ranking.csv, chosen.csv and acquire.png to --out "
            "and prints the chosen pairs, with the probability that each "
            "acquisition changes the row's prediction."
        ),
    )
    add_table_options(
        p,
        missing_target=(
            "drop",
            "complete rows whose target is empty cannot train: leave them out "
            "(default; named in the report) or stop with an error (rows with a "
            "missing modality need no target: they are ranked)",
        ),
    )
    g = p.add_argument_group("acquisition")
    g.add_argument(
        "--budget",
        required=True,
        help="cost units to spend (>= 0; with unit costs, a number of "
        "modality acquisitions)",
    )
    g.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="cost of acquiring a modality for one row (repeatable; default 1 each)",
    )
    g.add_argument(
        "--criterion",
        choices=CRITERIA,
        default=DEFAULT_CRITERION,
        help="value of an acquisition: learned (default) predicts the rise "
        "of the probability of the right class from realized gains on the "
        "complete rows; uncertainty ranks rows by the entropy of their "
        "prediction; see the documentation for the others",
    )
    g.add_argument(
        "--max-per-row",
        default=None,
        metavar="N",
        help="choose at most N modalities per row in this round (1: acquire, "
        "then run again on the updated table, so that a second modality of a "
        "row is chosen knowing the first)",
    )
    g.add_argument(
        "--classifier",
        choices=("logreg", "hgb", "net"),
        default="logreg",
        help="the classifier whose predictions acquisitions should change",
    )
    g.add_argument(
        "--imputer",
        choices=("gaussian", "flow", "iterative"),
        default="gaussian",
        help="draws of the missing blocks: the class-conditional "
        "Gaussian (default, fast, the one validated by simulation), "
        "the normalizing flow, or scikit-learn's IterativeImputer "
        "(slow beyond a few dozen columns)",
    )
    g.add_argument("--draws", default="20", help="imputer draws per row (default 20)")
    g.add_argument("--seed", default="0", help="random seed (default 0)")
    g.add_argument(
        "--out", type=Path, default=Path("skll-acquire"), help="output folder"
    )
    g.add_argument("--top", default="20", help="chosen pairs to print (default 20)")
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


def _names(index_col, index):
    """Rows in words: ``patient P1, P7`` (by ``--index-col``) or ``table rows
    3, 9`` (1 = the first data row)."""
    labels = [str(v) for v in list(index)[:_SHOWN]]
    more = f" and {len(index) - _SHOWN} more" if len(index) > _SHOWN else ""
    if index_col is not None:
        return f"{index_col} {', '.join(labels)}{more}"
    plural = "s" if len(index) > 1 else ""
    return f"table row{plural} {', '.join(labels)}{more}"


def _read(args):
    """``(X, labels, modalities, observed, bunch)`` of every row of the table.

    The index of ``X``, ``labels`` and ``observed`` is the ``--index-col``
    value or the row of the table (1 = the first data row).
    """
    import pandas as pd

    from ..datasets import read_clinical_table
    from ..datasets._readers import _read_table

    if len(args.modality) < 2:
        raise UsageError("acquire needs at least two --modality NAME=COLUMNS")
    if not args.table.exists():
        raise UsageError(f"table file not found: {args.table}")
    if args.table.is_dir():
        raise UsageError(
            f"--table {args.table} is a directory; give a CSV or Parquet file"
        )
    modalities = modality_specs(args)
    try:
        table = _read_table(args.table)[0].copy()
    except ValueError as exc:
        raise table_error(exc) from exc
    table.columns = [str(c) for c in table.columns]
    if args.target not in table.columns:
        raise UsageError(f"--target {args.target!r} is not a column of {args.table}")
    for name, columns in modalities.items():
        if isinstance(columns, list) and args.target in columns:
            raise UsageError(
                f"--modality {name} selects the target column {args.target!r}"
            )
    if args.index_col is not None:
        if args.index_col not in table.columns:
            raise UsageError(
                f"--index-col {args.index_col!r} is not a column of {args.table}"
            )
        ids = table[args.index_col]
        if ids.isna().any():
            rows = pd.RangeIndex(1, len(table) + 1)[ids.isna().to_numpy()]
            raise UsageError(
                f"--index-col {args.index_col!r} is empty in {_count(rows)} "
                f"({_names(None, rows)})"
            )
        twice = ids[ids.duplicated(keep=False)].unique()
        if len(twice):
            raise UsageError(
                f"--index-col {args.index_col!r} must name each row once; "
                f"{_names(args.index_col, twice)} appear more than once"
            )
        table = table.set_index(args.index_col)
    else:
        table.index = pd.RangeIndex(1, len(table) + 1, name="row")
    labels = table[args.target]
    known = labels.dropna()
    if labels.dtype.kind == "f" and (known == known.round()).all():
        # Whole-number classes read as floats because some cells are empty.
        labels = labels.astype("Int64")
    # The labels of candidate rows may be empty: read the features against a
    # constant in the target's place, and the labels separately.
    try:
        bunch = read_clinical_table(
            table.assign(**{args.target: 0}),
            modalities,
            args.target,
            categorical=args.categorical,
            partial_cells=args.partial_cells,
        )
    except ValueError as exc:  # ModalityError too
        error = table_error(exc)
        if args.index_col is None and " row" in str(error):
            error = UsageError(
                f"{error} (rows are numbered as in the table: 1 is the first "
                "data row; --index-col names them by a column)"
            )
        raise error from exc
    return bunch.data, labels, bunch.modalities, bunch.observed, bunch


def _count(rows, what="row"):
    return f"{len(rows)} {what}{'s' if len(rows) != 1 else ''}"


def _make_parts(args, modalities, X, seed):
    classifier = make_estimator(args.classifier, "cpu", seed)
    if args.classifier == "net":
        classifier.set_params(modalities=modalities)
    elif args.classifier == "hgb":
        import numpy as np

        from ..acquisition._masked import _MaskedFitClassifier

        columns = list(X.columns)
        blocks = [
            np.array([columns.index(c) for c in cols]) for cols in modalities.values()
        ]
        # Fitted on complete rows, it would not know what a missing block
        # means; a copy of them with blocks hidden teaches it.
        classifier = _MaskedFitClassifier(classifier, blocks, random_state=seed)
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


def _wilson(p_change, n_draws):
    """95 % Wilson interval of each ``p_change`` (a share of ``n_draws``)."""
    import numpy as np
    from scipy.stats import binomtest

    k = np.rint(np.asarray(p_change) * n_draws).astype(int)
    bounds = {}
    for value in np.unique(k):
        ci = binomtest(int(value), n_draws).proportion_ci(method="wilson")
        bounds[value] = (ci.low, ci.high)
    low = np.array([bounds[v][0] for v in k])
    high = np.array([bounds[v][1] for v in k])
    return low, high


def _check_line(check):
    """How the orders did out of fold on the complete rows, in one line."""
    from .._stats import verdict

    names = {
        "learned": "the learned value",
        "uncertainty": "uncertainty",
        "expected_change": "expected change",
        "random": "random",
    }
    shares = ", ".join(
        f"{names[k]} {100 * v:.0f} %".replace(" -0 %", " 0 %")
        for k, v in check["shares"].items()
        if k in names
    )
    low, high = check["diff_low"], check["diff_high"]
    used = check["used"]
    follows = (
        "the learned value"
        if used == "learned"
        else f"{names[used]}, which captured the most"
    )
    return (
        f"Checked out of fold on the complete rows ({check['n_examples']} "
        f"examples from {check['n_rows']} rows; the share of the realized gain "
        "that the best possible order captures, spending 5 to 40 % of the "
        f"cost): {shares}; learned minus uncertainty "
        f"{100 * check['diff']:+.0f} points [{100 * low:+.0f}, {100 * high:+.0f}]: "
        f"{verdict(low, high)}. The ranking follows {follows}."
    )


def _unspent_line(ranking, chosen, budget, id_col, criterion, per_row):
    """Why part of the budget is left, in one line (None when it is spent)."""
    left = budget - float(chosen["cost"].sum())
    if left <= 1e-9 * max(budget, 1.0):
        return None
    taken = set(zip(chosen[id_col], chosen["modality"]))
    pairs = zip(ranking[id_col], ranking["modality"])
    rest = ranking[[pair not in taken for pair in pairs]]
    if rest.empty:
        return f"{left:g} cost units left: every candidate pair is chosen."
    reasons = []
    helpful = rest
    if criterion == "learned":
        helpful = rest[rest["gain"] > 0]
        if len(rest) > len(helpful):
            reasons.append(
                f"{len(rest) - len(helpful)} are expected not to raise the "
                "probability of the right class (expected gain <= 0)"
            )
    costly = helpful[helpful["cost"] > left + 1e-12]
    if len(costly):
        reasons.append(
            f"{len(costly)} cost more than is left (the cheapest "
            f"{costly['cost'].min():g})"
        )
    capped = len(helpful) - len(costly)
    if capped and per_row is not None:
        reasons.append(
            f"{capped} belong to rows that already get {per_row} modality(ies) "
            "(--max-per-row)"
        )
    return f"{left:g} cost units left: of the {len(rest)} pairs not chosen, " + (
        "; ".join(reasons) + "." if reasons else "none fits."
    )


def _plot(chosen, ranking, budget, path):
    import matplotlib
    import numpy as np

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    spent = np.concatenate([[0.0], ranking["cost"].cumsum().to_numpy()])
    change = np.concatenate([[0.0], ranking["p_change"].cumsum().to_numpy()])
    ax.plot(
        spent,
        change,
        color="#7f7f7f",
        ls="--",
        lw=1,
        label="all pairs, in the ranking's order",
    )
    ax.plot(
        np.concatenate([[0.0], chosen["spent"].to_numpy()]),
        np.concatenate([[0.0], chosen["p_change"].cumsum().to_numpy()]),
        color="#d62728",
        marker="o",
        ms=3,
        label="chosen within the budget",
    )
    ax.axvline(budget, color="k", lw=0.8, ls=":", label=f"budget {budget:g}")
    ax.set_xlabel("cost spent")
    ax.set_ylabel("predictions expected to change")
    ax.set_title("How many predictions the budget is expected to change")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _gain_words(criterion):
    return {
        "learned": "gain: the expected rise of the probability the classifier "
        "gives the right class (points), learned from what acquiring did on "
        "the complete rows (cross-fitted)",
        "uncertainty": "gain: the entropy of the current prediction (nats)",
        "expected_change": "gain: the expected total-variation change of the "
        "predicted probabilities (points)",
        "expected_loss_reduction": "gain: the mutual information between the "
        "label and the modality (nats)",
        "random": "gain: a random number (the baseline order)",
    }[criterion]


def run(args):
    """Run ``sklearn-skll acquire``; return the exit code."""
    import numpy as np  # here, not at import: ``--help`` stays quick
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    from ..acquisition import CHECK_ATTR, AcquisitionRanker

    budget = _number(args.budget, "--budget", minimum=0)
    n_draws = _number(args.draws, "--draws", minimum=1, integer=True)
    seed = _number(args.seed, "--seed", minimum=0, integer=True)
    top = _number(args.top, "--top", minimum=0, integer=True)
    per_row = None
    if args.max_per_row is not None:
        per_row = _number(args.max_per_row, "--max-per-row", minimum=1, integer=True)
    X, labels, modalities, observed, bunch = _read(args)
    # The report's head: what was read, encoded and imputed; empty targets
    # are a class of their own here (candidates need no label).
    shown = type(bunch)(**bunch)
    shown["target"] = labels.astype(object).where(labels.notna(), "(empty)")
    shown["target"] = shown["target"].astype(str).to_numpy()
    shown["target_names"] = None
    print(data_head(shown, f"table {args.table}", modality_specs(args)))
    costs = costs_for(parse_costs(args), modalities)
    complete = observed.all(axis=1).to_numpy()
    labelled = labels.notna().to_numpy()
    none = ~observed.any(axis=1).to_numpy()
    candidate = ~complete & ~none
    unlabelled = complete & ~labelled
    if unlabelled.any() and args.missing_target == "error":
        raise UsageError(
            f"the target {args.target!r} is empty in "
            f"{_count(X.index[unlabelled], 'complete row')} "
            f"({_names(args.index_col, X.index[unlabelled])}); complete rows train the "
            "classifier: pass --missing-target drop to leave them out (rows "
            "with a missing modality need no label: they are ranked)"
        )
    train = complete & labelled
    classes = labels[train].nunique()
    if train.sum() < 2 or classes < 2:
        lacking = ", ".join(
            f"{name} {int(n)}" for name, n in (~observed[labelled]).sum().items() if n
        )
        raise UsageError(
            f"acquire trains on the complete rows with a label: {int(train.sum())} "
            f"such rows with {classes} class(es); it needs two classes. Labelled "
            f"rows lacking each modality: {lacking or 'none'}; leaving out a "
            "rarely observed modality (its --modality) makes more rows complete"
        )
    if not candidate.any():
        raise UsageError("no row of the table has a missing modality: nothing to rank")
    how = (
        f"by {args.index_col} (--index-col)"
        if args.index_col is not None
        else "by their row in the table (1 = the first data row)"
    )
    notes = [
        f"[acquire] {int(train.sum())} complete labelled rows train; "
        f"{int(candidate.sum())} rows with a missing modality are ranked; "
        f"rows are named {how}."
    ]
    if none.any():
        notes.append(
            f"[acquire] left out: {_count(X.index[none])} missing every modality "
            f"({_names(args.index_col, X.index[none])})."
        )
    if unlabelled.any():
        notes.append(
            f"[acquire] left out: {_count(X.index[unlabelled], 'complete row')} "
            f"with an empty target ({_names(args.index_col, X.index[unlabelled])}; "
            "--missing-target drop)."
        )
    criterion = args.criterion
    if criterion == "learned" and train.sum() < MIN_LEARNED_ROWS:
        notes.append(
            f"[acquire] criterion learned needs {MIN_LEARNED_ROWS} complete "
            f"labelled rows to learn from (got {int(train.sum())}): ranking by "
            "uncertainty instead."
        )
        criterion = "uncertainty"
    print("\n".join(notes), file=sys.stderr)
    classifier, imputer = _make_parts(args, modalities, X, seed)
    ranker = AcquisitionRanker(
        classifier,
        imputer,
        modalities=modalities,
        costs=costs,
        criterion=criterion,
        n_draws=n_draws,
        random_state=seed,
    )
    X_rank = X[candidate]
    # One OpenMP thread (gradient boosting): on tables of this size more
    # threads gain little, and cost many times over on a busy machine.
    with warnings.catch_warnings(), threadpool_limits(1, user_api="openmp"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        ranker.fit(X[train], np.asarray(labels[train].tolist()))
        ranking = ranker.rank(X_rank)
        check = ranking.attrs.get(CHECK_ATTR)
        chosen = ranker.select(X_rank, budget, max_per_row=per_row)
        proba = ranker._proba(np.asarray(X_rank, dtype=float))
    id_col = args.index_col if args.index_col is not None else "row"
    frames = []
    for frame in (ranking, chosen):
        at = frame["row"].to_numpy()
        low, high = _wilson(frame["p_change"], n_draws)
        out = frame.drop(columns=["row", "gain_std"])
        out.insert(0, id_col, X_rank.index[at])
        out.insert(3, "p_change_low", low)
        out.insert(4, "p_change_high", high)
        out["prediction"] = ranker.classes_[proba[at].argmax(axis=1)]
        out["p_prediction"] = proba[at].max(axis=1)
        frames.append(out)
    ranking, chosen = frames
    args.out.mkdir(parents=True, exist_ok=True)
    ranking.to_csv(args.out / "ranking.csv", index=False)
    chosen.to_csv(args.out / "chosen.csv", index=False)
    _plot(chosen, ranking, budget, args.out / "acquire.png")
    expected = chosen["p_change"].sum()
    print(
        f"{len(chosen)} acquisitions chosen for {chosen['cost'].sum():g} of "
        f"{budget:g} cost units (criterion {criterion}); they are expected to "
        f"change {expected:.1f} predictions."
    )
    print(
        f"p_change: the probability that acquiring the modality changes the "
        f"row's predicted class, over {n_draws} imputer draws, with its 95 % "
        f"interval; {_gain_words(criterion)}; prediction: the current one and "
        "its probability."
    )
    if len(chosen):
        shown = chosen.head(top).drop(columns="spent")
        shown["p_change"] = [
            f"{100 * p:.0f} % [{100 * lo:.0f}, {100 * hi:.0f}]"
            for p, lo, hi in zip(
                shown["p_change"], shown["p_change_low"], shown["p_change_high"]
            )
        ]
        shown = shown.drop(columns=["p_change_low", "p_change_high"])
        if criterion in ("learned", "expected_change"):  # in points
            for column in ("gain", "gain_per_cost"):
                shown[column] = [f"{100 * g:+.1f}" for g in shown[column]]
        shown["cost"] = [f"{c:g}" for c in shown["cost"]]
        shown = shown.rename(columns={"gain_per_cost": "gain/cost"})
        print(render_table(shown))
        if len(chosen) > top:
            print(f"... {len(chosen) - top} more in {args.out / 'chosen.csv'}")
    if check is not None:
        print(_check_line(check))
    left_line = _unspent_line(ranking, chosen, budget, id_col, criterion, per_row)
    if left_line:
        print(left_line)
    twice = chosen[id_col].duplicated().sum()
    if twice and per_row is None:
        print(
            f"{twice} row(s) get more than one modality, whose gains overlap: "
            "--max-per-row 1 buys one per row; acquire them and run again on "
            "the updated table (in simulation, rounds were never worse than "
            "one pass, and better at larger budgets)."
        )
    print(
        f"wrote {args.out / 'ranking.csv'}, {args.out / 'chosen.csv'}, "
        f"{args.out / 'acquire.png'}"
    )
    return 0
