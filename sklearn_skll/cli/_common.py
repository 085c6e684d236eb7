"""What the subcommands share: the user-error type, argument types, the
table options and their reader, cost options, the selector options, estimator
names and plain-text tables.

Nothing heavy is imported at module level (numpy, pandas, scikit-learn,
torch, matplotlib are imported by the functions that need them), so that
``sklearn-skll --help`` and ``sklearn-skll datasets`` start quickly.
"""

import argparse
import math
import re
import sys
import warnings
from pathlib import Path

from ..exceptions import CooperationWarning

#: The estimator names of ``--estimator`` and ``--classifier``.
ESTIMATORS = ("logreg", "hgb", "net")


class UsageError(Exception):
    """A user error the CLI reports as one line with exit code 2."""


# ---------------------------------------------------------------- argument types


def positive_number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return int(value) if value > 1 and value.is_integer() else value


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def float_list(text):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or any(not 0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected fractions in (0, 1], got {text!r}")
    return values


def str_list(text):
    return [v.strip() for v in text.split(",") if v.strip()]


# ------------------------------------------------- assignments and costs


def parse_assignments(items, option):
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"{option} expects NAME=VALUE, got {item!r}")
        if name.strip() in pairs:
            raise UsageError(f"{option} {name.strip()!r} is given twice")
        pairs[name.strip()] = value.strip()
    return pairs


def parse_cost(name, value):
    try:
        cost = float(value)
    except ValueError:
        raise UsageError(f"--cost {name}: expected a number, got {value!r}") from None
    if not cost > 0:
        raise UsageError(f"--cost {name}: costs must be positive, got {value!r}")
    return cost


def parse_costs(args):
    """``--cost NAME=VALUE`` options as ``{name: cost}`` (checked numbers)."""
    return {
        k: parse_cost(k, v) for k, v in parse_assignments(args.cost, "--cost").items()
    }


def costs_for(costs, modalities):
    """A cost for every modality (1 where no ``--cost`` names it), or None.

    The command line's shorthand: ``--cost`` names the modalities whose cost
    is not 1. The full map then goes through the package's one cost check
    (:func:`~sklearn_skll.planning.check_costs`) like any ``costs``.
    """
    unknown = sorted(set(costs) - set(modalities))
    if unknown:
        raise UsageError(
            f"--cost names unknown modalities {unknown}; known: {sorted(modalities)}"
        )
    if not costs:
        return None
    from ..planning import check_costs  # numpy and pandas: not at import

    return check_costs({name: costs.get(name, 1.0) for name in modalities}, modalities)


def format_costs(costs):
    return ", ".join(f"{name} {value:g}" for name, value in costs.items())


# ------------------------------------------------- data: a bundled dataset or a table


def add_table_options(
    parser, *, dataset=False, default_dataset=None, missing_target=None
):
    """Add the options that read a table of the user's to ``parser``.

    Every subcommand that reads a table takes these options, with the same
    names and defaults: ``--table``, ``--modality NAME=COLUMNS`` (repeat),
    ``--target``, ``--index-col``, ``--categorical``, ``--missing-target``
    and ``--partial-cells``. :func:`read_table` reads what they say.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    dataset : bool, default=False
        Also offer ``--dataset NAME`` (a bundled dataset) as the other
        source: exactly one of ``--dataset`` and ``--table`` is then
        required (read both with :func:`read_data`); otherwise ``--table``
        and ``--target`` are required.
    default_dataset : str, default=None
        With ``dataset=True``: the bundled dataset read when neither
        ``--dataset`` nor ``--table`` is given (neither is then required).
    missing_target : (str, str) or None, default=None
        ``(default, help)`` of ``--missing-target`` for a subcommand that
        gives it its own meaning (``acquire`` ranks rows without a label);
        None: ``error`` by default, the rows dropped with ``drop``.

    Returns
    -------
    group : argparse argument group
    """
    if dataset:
        g = parser.add_argument_group(
            "data (a bundled dataset, or a table of your own)"
        )
        src = g.add_mutually_exclusive_group(required=default_dataset is None)
        src.add_argument(
            "--dataset",
            help="bundled dataset name (see 'sklearn-skll datasets')"
            + ("" if default_dataset is None else f"; default {default_dataset}"),
        )
        parser.set_defaults(default_dataset=default_dataset)
        src.add_argument(
            "--table", type=Path, help="CSV or Parquet file, one row per sample"
        )
        with_table = "with --table: "
    else:
        g = parser.add_argument_group("data (a table of your own)")
        g.add_argument(
            "--table",
            type=Path,
            required=True,
            help="CSV or Parquet file, one row per sample",
        )
        with_table = ""
    g.add_argument(
        "--modality",
        action="append",
        default=[],
        metavar="NAME=COLUMNS",
        help=f"{with_table}a modality as comma-separated column names or "
        "re:PATTERN (repeat for each modality)",
    )
    g.add_argument(
        "--target", required=not dataset, help=f"{with_table}the label column"
    )
    g.add_argument(
        "--index-col",
        default=None,
        metavar="COLUMN",
        help=f"{with_table}a column identifying rows (e.g. a patient id), used "
        "as the index of the rows instead of a feature",
    )
    g.add_argument(
        "--categorical",
        choices=("onehot", "error"),
        default="onehot",
        help=f"{with_table}one-hot encode string and categorical columns inside "
        "their modality (default; a missing cell stays missing), or stop with an "
        "error",
    )
    target_default, target_help = missing_target or (
        "error",
        "drop the rows whose target is empty (counted in the report), or stop "
        "with an error (default)",
    )
    g.add_argument(
        "--missing-target",
        choices=("drop", "error"),
        default=target_default,
        help=f"{with_table}{target_help}",
    )
    g.add_argument(
        "--partial-cells",
        choices=("impute", "error"),
        default="error",
        help=f"{with_table}fill the empty cells of a modality a row observes with "
        "the column's median (most frequent level for a categorical column) over "
        "the rows that observe it (reported), or stop with an error (default)",
    )
    return g


def modality_specs(args):
    """``--modality NAME=COLUMNS`` options as ``{name: columns or 're:...'}``."""
    specs = parse_assignments(args.modality, "--modality")
    return {
        name: value
        if value.startswith("re:")
        else [c.strip() for c in value.split(",") if c.strip()]
        for name, value in specs.items()
    }


def load_bundled(name):
    from .. import datasets

    try:
        return datasets.load(name)
    except (KeyError, ValueError) as exc:
        raise UsageError(str(exc.args[0]) if exc.args else str(exc)) from exc


# library argument -> the CLI flag a user types
_TABLE_FLAGS = {
    "missing_target='drop'": "--missing-target drop",
    "partial_cells='impute'": "--partial-cells impute",
    "categorical='onehot'": "--categorical onehot",
    "index_col=": "--index-col ",
}


def read_table(args):
    """Read ``--table`` as the table options of :func:`add_table_options` say.

    Returns
    -------
    bunch : Bunch
        What :func:`sklearn_skll.datasets.read_clinical_table` returns: the
        data, target, modalities and the report of what was dropped,
        encoded and imputed.

    Raises
    ------
    UsageError
        On a missing option, a missing file, or data the reader refuses
        (its message names the command-line flag, not the argument).
    """
    from .. import datasets

    if not args.modality:
        raise UsageError("--table needs at least two --modality NAME=COLUMNS")
    if not args.target:
        raise UsageError("--table needs --target COLUMN")
    if not args.table.exists():
        raise UsageError(f"table file not found: {args.table}")
    if args.table.is_dir():
        raise UsageError(
            f"--table {args.table} is a directory; give a CSV or Parquet file"
        )
    try:
        with warnings.catch_warnings():
            # the report head counts the dropped rows
            warnings.filterwarnings("ignore", "Dropped .* empty", UserWarning)
            return datasets.read_clinical_table(
                args.table,
                modality_specs(args),
                args.target,
                index_col=args.index_col,
                missing_target={"drop": "drop", "error": "raise"}[args.missing_target],
                categorical=args.categorical,
                partial_cells=args.partial_cells,
            )
    except ValueError as exc:  # ModalityError too
        raise table_error(exc) from exc


def table_error(exc):
    """The reader's error as a :class:`UsageError` naming the command-line
    flags (``--partial-cells impute``), not the reader's arguments."""
    message = str(exc)
    for argument, flag in _TABLE_FLAGS.items():
        message = message.replace(argument, flag)
    return UsageError(message)


def read_data(args):
    """``(X, y, modalities, what, head)`` from ``--dataset`` or ``--table``.

    ``head`` opens the report: what was read, dropped, encoded and imputed,
    and the rows observed per modality.
    """
    if args.table is None and not args.dataset:
        args.dataset = getattr(args, "default_dataset", None)
    if args.dataset:
        if args.modality or args.target or args.index_col:
            raise UsageError(
                "--modality, --target and --index-col go with --table, not --dataset"
            )
        bunch = load_bundled(args.dataset)
        what = f"dataset {args.dataset!r}"
        head = data_head(bunch, what, bunch.modalities)
        return bunch.data, bunch.target, bunch.modalities, what, head
    bunch = read_table(args)
    what = f"table {args.table}"
    head = data_head(bunch, what, modality_specs(args))
    return bunch.data, bunch.target, bunch.modalities, what, head


def complete_rows(X, y, modalities):
    """The complete rows (every modality observed) of ``X`` and ``y``.

    Returns
    -------
    X_complete, y_complete : the complete rows
    dropped : dict
        ``n`` (incomplete rows left out) and ``missing`` (per modality, the
        rows that lack it).
    """
    import numpy as np

    from .._modalities import observed_modalities, resolve_modalities

    resolved = resolve_modalities(modalities, X)
    observed = observed_modalities(
        np.asarray(X, dtype=float), resolved, partial="observed"
    )
    complete = observed.all(axis=1)
    rows = np.flatnonzero(complete)
    X_out = X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]
    missing = {
        name: int((~observed[:, k]).sum())
        for k, name in enumerate(resolved)
        if (~observed[:, k]).any()
    }
    return X_out, np.asarray(y)[rows], {"n": int((~complete).sum()), "missing": missing}


def dropped_line(dropped, n_rows, use="the pilot"):
    """The incomplete rows left out, in words (None when there are none)."""
    if not dropped["n"]:
        return None
    lacking = ", ".join(f"{name} {n}" for name, n in dropped["missing"].items())
    return (
        f"Source: {n_rows - dropped['n']} complete rows of {n_rows} form {use}; "
        f"{dropped['n']} rows lacking a modality are left out (rows lacking "
        f"each: {lacking})"
    )


def data_head(bunch, what, selectors):
    """Lines opening every report on a dataset or a table: rows, classes,
    what was dropped, encoded and imputed, and missingness per modality."""
    import numpy as np

    from ..datasets._readers import missingness_table

    missingness = bunch.get("missingness")
    if missingness is None:
        import pandas as pd

        from .._modalities import observed_modalities, resolve_modalities

        resolved = resolve_modalities(bunch.modalities, bunch.data)
        observed = observed_modalities(
            np.asarray(bunch.data, dtype=float), resolved, partial="observed"
        )
        missingness = missingness_table(pd.DataFrame(observed, columns=list(resolved)))
    classes, counts = np.unique(np.asarray(bunch.target), return_counts=True)
    names = bunch.get("target_names")
    labels = [
        str(names[c]) if names is not None and len(names) else str(c) for c in classes
    ]
    lines = [
        f"Data: {what}, {len(bunch.target)} rows, {len(bunch.modalities)} modalities, "
        "classes " + ", ".join(f"{k} {n}" for k, n in zip(labels, counts))
    ]
    n_dropped = bunch.get("n_dropped", 0)
    if n_dropped:
        lines.append(
            f"  dropped {n_dropped} row(s) with an empty target (--missing-target drop)"
        )
    encoded = bunch.get("encoded")
    for r in [] if encoded is None else encoded.itertuples():
        lines.append(
            f"  one-hot encoded `{r.column}` ({r.modality}) into "
            f"{r.n_levels} columns: {', '.join(map(str, r.levels))} "
            "(--categorical onehot)"
        )
    imputed = bunch.get("imputed")
    if imputed is not None and len(imputed):
        for modality, group in imputed.groupby("modality", sort=False):
            filled = ", ".join(
                f"{r.column}: {r.n_cells} with its {r.rule} {_fmt(r.value, '.4g')}"
                for r in group.itertuples()
            )
            n_cells = int(group["n_cells"].sum())
            lines.append(
                f"  imputed {n_cells} cell(s) of {modality} in {len(group)} "
                f"column(s): {filled} (--partial-cells impute)"
            )
    table = missingness.copy()
    table.insert(0, "columns", [len(bunch.modalities[m]) for m in table.index])
    title = "Rows per modality (missing: all its cells empty; partial: some, as read):"
    lines += ["", title, "", render_table(table, floatfmt=".1f"), ""]
    return "\n".join(lines)


# ------------------------------------------------- estimators and the selector


def make_estimator(name, device, seed):
    from ..budget._benchmark import make_classifier

    return make_classifier(name, device=device, random_state=seed)


def add_selector_options(p):
    g = p.add_argument_group("scoring")
    g.add_argument(
        "--engine",
        choices=("retrain", "masked", "finetune"),
        default="retrain",
        help="retrain one model per subset (the paper), one masked model, or "
        "the masked model with its fusion head fine-tuned per subset (with "
        "--estimator net; sees modalities that only work together)",
    )
    g.add_argument(
        "--estimator",
        choices=ESTIMATORS,
        default="logreg",
        help="subset model: logistic regression, gradient boosting, or the "
        "multimodal net",
    )
    g.add_argument("--scoring", default="accuracy", help="any scikit-learn scorer name")
    g.add_argument("--cv", type=positive_int, default=5, help="cross-validation folds")
    g.add_argument(
        "--bootstrap",
        type=bootstrap_count,
        default="auto",
        help="bootstrap resamples of the held-out rows for 95 %% intervals "
        "(0: none; default auto: "
        f"{AUTO_BOOTSTRAP['accuracy']} for accuracy, "
        "which rescores all resamples in one product, "
        f"{AUTO_BOOTSTRAP['other']} for other scorers, which rescore "
        "each resample: about 2 ms per resample, subset and fold)",
    )
    g.add_argument(
        "--max-samples",
        type=positive_int,
        default=None,
        help="subsample this many rows first",
    )
    g.add_argument("--n-jobs", type=int, default=None, help="parallel subset jobs")
    g.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        default="cpu",
        help="device for --estimator net",
    )
    g.add_argument("--seed", type=int, default=0, help="random seed")
    g.add_argument("--quiet", action="store_true", help="no progress bar")


#: ``--bootstrap auto``: resamples by scorer. With accuracy the resamples
#: cost one product per fold (1000 added 0.4 s to a 3-modality select of 200
#: rows, measured); other scorers rescore each resample.
AUTO_BOOTSTRAP = {"accuracy": 1000, "other": 100}


def bootstrap_count(text):
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a whole number, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text!r}")
    return value


def fit_selector(args, X, y, modalities):
    from sklearn.metrics import get_scorer_names

    from ..selection import ModalitySelector

    if args.scoring not in get_scorer_names():
        raise UsageError(
            f"--scoring {args.scoring!r} is not a scikit-learn scorer name; "
            "see sklearn.metrics.get_scorer_names() (e.g. accuracy, "
            "balanced_accuracy, roc_auc, f1_macro)"
        )
    if args.engine == "finetune" and args.estimator != "net":
        raise UsageError(
            "--engine finetune fine-tunes the multimodal net's fusion head: "
            f"use it with --estimator net. Got --estimator {args.estimator} instead."
        )
    # The masked engine puts a mean imputer in front of estimators that reject
    # NaN blocks (logreg) itself.
    estimator = make_estimator(args.estimator, args.device, args.seed)
    selector = ModalitySelector(
        estimator,
        modalities=modalities,
        scoring=args.scoring,
        utility=args.engine,
        cv=args.cv,
        max_samples=args.max_samples,
        n_bootstrap=n_bootstrap(args),
        n_jobs=args.n_jobs,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        selector.fit(X, y)
    summarize_warnings(caught, selector.utilities_)
    return selector


def n_bootstrap(args):
    if args.bootstrap != "auto":
        return args.bootstrap
    return AUTO_BOOTSTRAP["accuracy" if args.scoring == "accuracy" else "other"]


def summarize_warnings(caught, utilities=None):
    """Print each kind of warning once, with its count, instead of every copy."""
    groups = {}
    for w in caught:
        groups.setdefault((w.category, str(w.message)), []).append(w)
    for (category, message), items in groups.items():
        first = message.strip().splitlines()[0]
        if issubclass(category, CooperationWarning):
            if first.startswith("C(S)") and utilities is not None:
                undefined = int(utilities["cooperation"].isna().sum())
                first = (
                    f"C(S) is undefined (NaN) for {undefined} of {len(utilities)} "
                    "modality subsets: they do no better than the constant "
                    "predictor (nan in the `cooperation` column)."
                )
            print(f"note: {first}", file=sys.stderr)
            continue
        times = f" ({len(items)} times; shown once)" if len(items) > 1 else ""
        print(f"warning: {category.__name__}: {first}{times}", file=sys.stderr)


# ---------------------------------------------------------------- output


def render_table(frame, floatfmt=".3f"):
    """Plain-text table of a DataFrame or of a list of dicts (no pandas needed)."""
    if isinstance(frame, list):
        columns = list(frame[0]) if frame else []
        rows = [[record[c] for c in columns] for record in frame]
    else:
        import pandas as pd

        frame = (
            frame.reset_index()
            if frame.index.name or not isinstance(frame.index, pd.RangeIndex)
            else frame
        )
        columns, rows = list(frame.columns), frame.itertuples(index=False)
    cells = [[str(c) for c in columns]]
    for row in rows:
        cells.append([_fmt(v, floatfmt) for v in row])
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = []
    for i, r in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i and _numeric(c) else c.ljust(w)
                for c, w in zip(r, widths)
            ).rstrip()
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _numeric(text):
    return bool(re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?%?|nan", text))


def _fmt(value, floatfmt):
    # numpy floats have a float dtype; checking it needs no numpy import
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if isinstance(value, float) or kind == "f":
        value = float(value)
        return "nan" if math.isnan(value) else format(value, floatfmt)
    if isinstance(value, (list, tuple, frozenset, set)):
        return "+".join(str(v) for v in value)
    return str(value)
