"""The ``sklearn-skll`` command-line tool.

Subcommands:

- ``datasets``: list the bundled datasets with their modalities and sizes.
- ``select``: score every modality subset of a dataset or of a user table.
- ``plan``: turn a budget (and per-modality costs) into an acquisition plan.
- ``benchmark``: run the paper's budget protocol and write tables and plots.
- ``acquire``: rank which rows of a table should get which missing modality
  under a budget (``_cli_acquire.py``).

Errors in what the user gives (an unknown column, a missing target, a
modality that selects nothing) are printed as one line, with exit code 2.
"""

import argparse
import json
import math
import re
import sys
import time
import warnings
from pathlib import Path

# numpy, pandas, scikit-learn, torch and matplotlib are imported by the
# commands that use them, so that `--help` and `datasets` start quickly.
from ._bench_defaults import BENCHMARK_DEFAULTS as _BENCH
from .exceptions import BudgetError, CooperationWarning, ModalityError

__all__ = ["main"]

_ESTIMATORS = ("logreg", "hgb", "net")


class UsageError(Exception):
    """A user error the CLI reports as one line with exit code 2."""


# ---------------------------------------------------------------- arguments


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-skll",
        description=(
            "Select the key modalities, then generate the rest: score modality "
            "subsets, plan data acquisition under a budget, and benchmark the "
            "SK-LL protocol."
        ),
        epilog="Run 'sklearn-skll COMMAND --help' for the options of a command.",
    )
    from . import __version__

    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "datasets",
        help="list the bundled datasets, their modalities and sizes",
        description="List the bundled datasets, their modalities and sizes.",
    )
    p.add_argument("--format", choices=("table", "json"), default="table")

    p = sub.add_parser(
        "select",
        help="score every modality subset (utility, C(S), Shapley)",
        description=(
            "Score every modality subset: cross-validated utility f_u(S) over "
            "the constant predictor, cooperation C(S), Shapley values, greedy "
            "path; print the subset table and write plots."
        ),
    )
    _add_data_args(p)
    _add_selector_args(p)
    p.add_argument("--out", type=Path, default=None, help="folder for plots and tables")

    p = sub.add_parser(
        "plan",
        help="turn a budget into an acquisition plan",
        description=(
            "Score the modalities, then turn a budget into an acquisition plan "
            "(new rows carrying the key subset) against the uniform baseline."
        ),
    )
    _add_data_args(p)
    _add_selector_args(p)
    p.add_argument(
        "--budget",
        type=_positive_number,
        required=True,
        help="fraction of the training rows (0 < B <= 1) or an absolute count (> 1) "
        "of modality-observations",
    )
    p.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="cost of one observation of a modality (repeatable; default 1 each)",
    )

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
    p.add_argument(
        "--dataset",
        default=_BENCH["dataset"],
        help=f"bundled dataset name (default {_BENCH['dataset']})",
    )
    p.add_argument(
        "--available",
        type=_float_list,
        default=list(_BENCH["available"]),
        help="comma-separated available ratios (default "
        f"{','.join(map(str, _BENCH['available']))})",
    )
    p.add_argument(
        "--budget",
        type=_float_list,
        default=list(_BENCH["budgets"]),
        help="comma-separated budgets as fractions of the training rows (default "
        f"{','.join(map(str, _BENCH['budgets']))})",
    )
    p.add_argument(
        "--strategies",
        type=_str_list,
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
        type=_positive_int,
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
        choices=_ESTIMATORS,
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

    from . import _cli_acquire

    _cli_acquire.add_parser(sub)
    return parser


def _add_data_args(p):
    g = p.add_argument_group("data (a bundled dataset, or a table of your own)")
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--dataset", help="bundled dataset name (see 'sklearn-skll datasets')"
    )
    src.add_argument(
        "--table", type=Path, help="CSV or Parquet file, one row per sample"
    )
    g.add_argument(
        "--modality",
        action="append",
        default=[],
        metavar="NAME=COLUMNS",
        help="with --table: a modality as comma-separated column names or re:PATTERN "
        "(repeat for each modality)",
    )
    g.add_argument("--target", help="with --table: the label column")
    g.add_argument(
        "--categorical",
        choices=("onehot", "error"),
        default="onehot",
        help="with --table: one-hot encode string and categorical columns inside "
        "their modality (default; a missing cell stays missing), or stop with an error",
    )
    g.add_argument(
        "--missing-target",
        choices=("drop", "error"),
        default="error",
        help="with --table: drop the rows whose target is empty (counted in the "
        "report), or stop with an error (default)",
    )
    g.add_argument(
        "--partial-cells",
        choices=("impute", "error"),
        default="error",
        help="with --table: fill the empty cells of a modality a row observes with "
        "the column's median (most frequent level for a categorical column) over "
        "the rows that observe it (reported), or stop with an error (default)",
    )


def _add_selector_args(p):
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
        choices=_ESTIMATORS,
        default="logreg",
        help="subset model: logistic regression, gradient boosting, or the "
        "multimodal net",
    )
    g.add_argument("--scoring", default="accuracy", help="any scikit-learn scorer name")
    g.add_argument("--cv", type=_positive_int, default=5, help="cross-validation folds")
    g.add_argument(
        "--bootstrap",
        type=_bootstrap,
        default="auto",
        help="bootstrap resamples of the held-out rows for 95 %% intervals "
        "(0: none; default auto: "
        f"{_AUTO_BOOTSTRAP['accuracy']} for accuracy, "
        "which rescores all resamples in one product, "
        f"{_AUTO_BOOTSTRAP['other']} for other scorers, which rescore "
        "each resample: about 2 ms per resample, subset and fold)",
    )
    g.add_argument(
        "--max-samples",
        type=_positive_int,
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
_AUTO_BOOTSTRAP = {"accuracy": 1000, "other": 100}


def _bootstrap(text):
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


def _positive_number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return int(value) if value > 1 and value.is_integer() else value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _float_list(text):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or any(not 0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected fractions in (0, 1], got {text!r}")
    return values


def _str_list(text):
    return [v.strip() for v in text.split(",") if v.strip()]


# ---------------------------------------------------------------- data


def _parse_assignments(items, option):
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"{option} expects NAME=VALUE, got {item!r}")
        if name.strip() in pairs:
            raise UsageError(f"{option} {name.strip()!r} is given twice")
        pairs[name.strip()] = value.strip()
    return pairs


def _load_bundled(name):
    from . import datasets

    try:
        return datasets.load(name)
    except (KeyError, ValueError) as exc:
        raise UsageError(str(exc.args[0]) if exc.args else str(exc)) from exc


def _load_data(args):
    """Return (X, y, modalities, description) from --dataset or --table."""
    X, y, modalities, what, _ = _load_data_report(args)
    return X, y, modalities, what


# library argument -> the CLI flag a user types
_TABLE_FLAGS = {
    "missing_target='drop'": "--missing-target drop",
    "partial_cells='impute'": "--partial-cells impute",
    "categorical='onehot'": "--categorical onehot",
}


def _load_data_report(args):
    """Like :func:`_load_data`, plus the head of the report: what was read,
    dropped, encoded and imputed, and the rows observed per modality."""
    from . import datasets

    if args.dataset:
        if args.modality or args.target:
            raise UsageError("--modality and --target go with --table, not --dataset")
        bunch = _load_bundled(args.dataset)
        what = f"dataset {args.dataset!r}"
        head = _data_head(bunch, what, bunch.modalities)
        return bunch.data, bunch.target, bunch.modalities, what, head

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
    specs = _parse_assignments(args.modality, "--modality")
    modalities = {}
    for name, value in specs.items():
        if value.startswith("re:"):
            modalities[name] = value
        else:
            modalities[name] = [c.strip() for c in value.split(",") if c.strip()]
    try:
        with warnings.catch_warnings():
            # the report head counts the dropped rows
            warnings.filterwarnings("ignore", "Dropped .* empty", UserWarning)
            bunch = datasets.read_clinical_table(
                args.table,
                modalities,
                args.target,
                missing_target={"drop": "drop", "error": "raise"}[args.missing_target],
                categorical=args.categorical,
                partial_cells=args.partial_cells,
            )
    except ValueError as exc:  # ModalityError too
        message = str(exc)
        for argument, flag in _TABLE_FLAGS.items():
            message = message.replace(argument, flag)
        raise UsageError(message) from exc
    what = f"table {args.table}"
    head = _data_head(bunch, what, modalities)
    return bunch.data, bunch.target, bunch.modalities, what, head


def _data_head(bunch, what, selectors):
    """Lines opening every report on a dataset or a table: rows, classes,
    what was dropped, encoded and imputed, and missingness per modality."""
    import numpy as np

    from .datasets._readers import missingness_table

    missingness = bunch.get("missingness")
    if missingness is None:
        import pandas as pd

        from ._modalities import observed_modalities, resolve_modalities

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
    lines += ["", title, "", _render_table(table, floatfmt=".1f"), ""]
    return "\n".join(lines)


def _make_estimator(name, device, seed):
    from .budget._benchmark import make_classifier

    return make_classifier(name, device=device, random_state=seed)


def _fit_selector(args, X, y, modalities):
    from sklearn.metrics import get_scorer_names

    from .selection import ModalitySelector

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
    estimator = _make_estimator(args.estimator, args.device, args.seed)
    selector = ModalitySelector(
        estimator,
        modalities=modalities,
        scoring=args.scoring,
        utility=args.engine,
        cv=args.cv,
        max_samples=args.max_samples,
        n_bootstrap=_n_bootstrap(args),
        n_jobs=args.n_jobs,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        selector.fit(X, y)
    _summarize_warnings(caught, selector.utilities_)
    return selector


def _n_bootstrap(args):
    if args.bootstrap != "auto":
        return args.bootstrap
    return _AUTO_BOOTSTRAP["accuracy" if args.scoring == "accuracy" else "other"]


def _summarize_warnings(caught, utilities=None):
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


def _interval_line(selector):
    """What the intervals are and how wide, for the report."""
    table = selector.utilities_
    if "utility_ci_low" not in table.columns:
        return "No intervals (--bootstrap 0)."
    width = (table["utility_ci_high"] - table["utility_ci_low"]).median()
    return (
        f"Intervals: 95 % paired bootstrap over the held-out rows, "
        f"{selector.n_bootstrap} resamples; median utility interval width "
        f"{width:.3f} ({100 * width:.1f} points of {selector.scoring})."
    )


# ---------------------------------------------------------------- commands


def _why_selected(selector):
    """The selection's criterion and confidence, and the key rule's key, in words."""
    import math

    lines = []
    by = {
        "cooperation": "the highest C(S)",
        "utility": "the highest utility",
        "greedy": "Algorithm 1",
    }[selector.selection]
    conf = selector.selection_confidence_
    text = f"  chosen by {by}"
    if not math.isnan(conf):
        text += f"; best in {100 * conf:.0f} % of bootstrap resamples"
    lines.append(text)
    shapley = selector.shapley_values_
    if shapley.notna().any():
        best = shapley.idxmax()
        if best not in selector.selected_modalities_:
            lines.append(
                f"  it leaves out `{best}`, the modality with the highest "
                f"Shapley value: {by} rewards cooperation, not accuracy"
                if selector.selection == "cooperation"
                else f"  it leaves out `{best}`, the modality with the highest "
                "Shapley value"
            )
    lines.append(
        f"Key subset for new rows (key={selector.key!r}): "
        f"{', '.join(selector.key_subset_)}"
    )
    lines.extend(f"  note: {n}" for n in selector.key_notes_)
    return "\n".join(lines)


def _cmd_datasets(args):
    from .datasets._registry import dataset_rows

    table = dataset_rows()  # static facts, no pandas: the listing starts quickly
    if args.format == "json":
        print(json.dumps(table, indent=2))
    else:
        print(_render_table(table))
    return 0


def _subset_table(selector):
    table = selector.utilities_
    keep = [
        c
        for c in (
            "modalities",
            "size",
            "score",
            "utility",
            "utility_ci_low",
            "utility_ci_high",
            "cooperation",
            "cooperation_std",
            "rank",
        )
        if c in table.columns
    ]
    return table[keep].sort_values(["size", "rank"]).reset_index(drop=True)


def _shapley_table(selector):
    import pandas as pd

    frame = pd.DataFrame(
        {"shapley": selector.shapley_values_, "scaled": selector.scaled_shapley_values_}
    )
    if selector.shapley_ci_ is not None:
        frame["std"] = selector.shapley_std_
        frame["ci_low"] = selector.shapley_ci_["low"]
        frame["ci_high"] = selector.shapley_ci_["high"]
    frame.index.name = "modality"
    return frame


def _cmd_select(args):
    X, y, modalities, what, head = _load_data_report(args)
    print(head)
    start = time.perf_counter()
    selector = _fit_selector(args, X, y, modalities)
    elapsed = time.perf_counter() - start
    print(
        f"Modality subsets of {what} ({len(y)} rows, engine={args.engine}, "
        f"estimator={args.estimator}, scoring={args.scoring}, "
        f"baseline={selector.baseline_score_:.4f}):\n"
    )
    print(_render_table(_subset_table(selector), floatfmt=".4f"))
    print("\nShapley values per modality:\n")
    print(_render_table(_shapley_table(selector), floatfmt=".4f"))
    path = " -> ".join(selector.greedy_path_["modality"])
    print(f"\nGreedy path (Algorithm 1): {path}")
    print(f"Selected key subset: {', '.join(selector.selected_modalities_)}")
    print(_why_selected(selector))
    print(_interval_line(selector))
    print(f"[{elapsed:.1f} s]")
    if args.out is not None:
        _write_selection(selector, args.out)
    return 0


def _write_selection(selector, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    selector.utilities_.to_csv(out / "subsets.csv", index=False)
    written = [out / "subsets.csv"]
    for kind in ("shapley", "subsets", "interactions", "greedy"):
        fig, ax = plt.subplots(figsize=(6, 4))
        selector.plot(kind=kind, ax=ax)
        fig.tight_layout()
        path = out / f"{kind}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    print("Wrote " + ", ".join(str(p) for p in written))


def _parse_costs(args):
    """``--cost NAME=VALUE`` options as ``{name: cost}`` (checked numbers)."""
    return {k: _cost(k, v) for k, v in _parse_assignments(args.cost, "--cost").items()}


def _costs_for(costs, modalities):
    """A cost for every modality (1 where no ``--cost`` names it), or None."""
    unknown = sorted(set(costs) - set(modalities))
    if unknown:
        raise UsageError(
            f"--cost names unknown modalities {unknown}; known: {sorted(modalities)}"
        )
    return {name: costs.get(name, 1.0) for name in modalities} if costs else None


def _cmd_plan(args):
    costs = _parse_costs(args)
    X, y, modalities, what, head = _load_data_report(args)
    print(head)
    costs = _costs_for(costs, modalities)
    selector = _fit_selector(args, X, y, modalities)
    plan = selector.plan(args.budget, costs=costs or None)
    print(f"Acquisition plan for {what} ({len(y)} rows), budget {args.budget}:\n")
    print(_render_table(plan.to_frame(), floatfmt=".2f"))
    print()
    print(plan)
    return 0


def _format_costs(costs):
    return ", ".join(f"{name} {value:g}" for name, value in costs.items())


def _cost(name, value):
    try:
        cost = float(value)
    except ValueError:
        raise UsageError(f"--cost {name}: expected a number, got {value!r}") from None
    if not cost > 0:
        raise UsageError(f"--cost {name}: costs must be positive, got {value!r}")
    return cost


def _cmd_benchmark(args):
    from ._device import resolve_device
    from .budget import STRATEGIES, run_benchmark

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
    costs = _parse_costs(args)
    bunch = _load_bundled(args.dataset)
    bunch.name = args.dataset
    costs = _costs_for(costs, bunch.modalities)
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
    print(
        f"\nSK-LL protocol on {args.dataset!r}: {len(result.runs)} runs in "
        f"{result.wall_time:.0f} s, {result.n_seeds} seeds, classifier "
        f"{args.classifier}"
        + ("" if costs is None else f", costs {_format_costs(costs)}")
        + "\n"
    )
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
    print(_render_table(result.summary_wide()))
    choices = result.imputer_choices()
    if choices is not None:
        print(
            "\nImputer chosen by imputer='auto' (seeds), and each candidate's "
            "held-out accuracy (%), mean \u00b1 std over seeds:\n"
        )
        print(_render_table(result._choices_frame(choices)))
    if result.n_undefined_notes:
        print(
            f"\nnote: in {result.n_undefined_notes} selector fits some subsets did "
            "no better than the constant predictor, so their C(S) is undefined "
            "(NaN); small available sets make the key subset uncertain."
        )
    print("\nWrote " + ", ".join(str(p) for p in written))
    return 0


# ---------------------------------------------------------------- output


def _render_table(frame, floatfmt=".3f"):
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


# ---------------------------------------------------------------- entry point


def _cmd_acquire(args):
    from ._cli_acquire import run

    return run(args)


_COMMANDS = {
    "datasets": _cmd_datasets,
    "select": _cmd_select,
    "plan": _cmd_plan,
    "benchmark": _cmd_benchmark,
    "acquire": _cmd_acquire,
}


def main(argv=None):
    """Run the command line; return the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except (UsageError, ModalityError, BudgetError, FileNotFoundError) as exc:
        print(f"sklearn-skll {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        # Data problems raised while reading the user's table (bad target,
        # unreadable file) are user errors too, and so are the selector's
        # checks of the options (too few rows for --cv), whatever the data
        # source; anything else is a bug.
        if (
            getattr(args, "table", None) is not None
            or args.command in ("select", "plan")
            or isinstance(exc, KeyError)
        ):
            print(f"sklearn-skll {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
