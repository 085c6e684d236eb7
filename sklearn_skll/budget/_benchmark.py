"""The benchmark as a library function: runs, paired verdicts, learning curve.

:func:`run_benchmark` is what ``sklearn-skll benchmark`` runs: the paper's
protocol (:func:`run_protocol`), the paired comparison to a reference strategy
(:func:`summarize` with ``reference``), the learning curve of the classifier on
the available rows (is more data worth anything here at all?) and the Shapley
values of the modalities. The :class:`BenchmarkResult` it returns renders the
report (:meth:`BenchmarkResult.to_markdown`) and writes it with its tables and
plots (:meth:`BenchmarkResult.save`).
"""

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

from .._benchmark_defaults import BENCHMARK_DEFAULTS as DEFAULTS
from .._stats import fit_log_curve, format_interval, mean_interval
from ..datasets import load
from ..exceptions import BudgetWarning, CooperationWarning
from ..planning import STRATEGIES
from ..plotting import plot_benchmark
from ..selection import ModalitySelector
from ._imputer_choice import candidate_imputers
from ._protocol import TEST_RANDOM_STATE, TEST_SIZE, fast_parts, run_protocol, summarize

__all__ = ["BenchmarkResult", "run_benchmark"]

#: Classifiers the benchmark can train on the acquired rows.
CLASSIFIERS = ("net", "hgb", "logreg")


#: How strategies are named in sentences.
_NAMES = {
    "available_only": "available only",
    "uniform": "uniform",
    "skll": "SK-LL",
    "skll_no_generation": "SK-LL without generation",
    "full": "full (upper bound)",
}

#: A gain below this many accuracy points is "not much" in the verdicts.
_SMALL = 0.01


def make_classifier(name, *, device="cpu", random_state=0):
    """The estimator behind a ``--classifier`` / ``--estimator`` name.

    ``"logreg"``: scaling, standardisation and logistic regression; ``"hgb"``:
    histogram gradient boosting; ``"net"``: the multimodal net.
    """
    if name == "logreg":
        # MaxAbsScaler first: StandardScaler's variance overflows near 1e154
        # and would then leave the columns unscaled.
        return make_pipeline(
            MaxAbsScaler(), StandardScaler(), LogisticRegression(max_iter=2000)
        )
    if name == "hgb":
        return HistGradientBoostingClassifier(max_iter=100, random_state=random_state)
    if name == "net":
        from ..neural import MultimodalNetClassifier  # imports torch

        return MultimodalNetClassifier(device=device, random_state=random_state)
    raise ValueError(
        f"`classifier` must be one of {list(CLASSIFIERS)}. Got {name!r} instead."
    )


#: Imputers the benchmark can generate the missing modalities with.
IMPUTERS = ("flow", "gaussian", "iterative", "auto")


def make_imputer(name, modalities, *, device="cpu"):
    """The imputer behind an ``--imputer`` name.

    ``"flow"``: the small :class:`~sklearn_skll.FlowImputer` of
    :func:`fast_parts`; ``"gaussian"``:
    :class:`~sklearn_skll.ClassConditionalGaussianImputer`; ``"iterative"``:
    ``IterativeImputer`` (5 rounds); ``"auto"``: chosen per fit by a held-out
    score (``BudgetedMultimodalClassifier(imputer="auto")``).
    """
    if name == "auto":
        return "auto"
    if name == "flow":
        return fast_parts(modalities, device=device)["imputer"]
    if name in ("gaussian", "iterative"):
        return candidate_imputers(modalities, 0, None, None)[name]
    raise ValueError(
        f"`imputer` must be one of {list(IMPUTERS)} or None. Got {name!r} instead."
    )


def benchmark_parts(modalities, *, classifier="net", parts="fast", device="cpu"):
    """Selector, imputer and classifier of the benchmark's runs.

    ``parts="fast"``: :func:`fast_parts`; ``"defaults"``: the estimator's own
    defaults. ``classifier`` other than ``"net"`` replaces the classifier;
    the logistic regression gets a mean imputer in front (rows left
    incomplete by ``skll_no_generation``).
    """
    if parts not in ("fast", "defaults"):
        raise ValueError(
            f"`parts` must be 'fast' or 'defaults'. Got {parts!r} instead."
        )
    params = fast_parts(modalities, device=device) if parts == "fast" else {}
    if classifier != "net":
        estimator = make_classifier(classifier, device=device)
        if classifier == "logreg":
            estimator.steps.insert(0, ("impute", SimpleImputer()))
        params["classifier"] = estimator
    elif parts == "defaults":
        params = {}
    return params


def _load(data):
    if isinstance(data, str):
        return data, load(data)
    return getattr(data, "name", "data"), data


def run_benchmark(
    data=DEFAULTS["dataset"],
    *,
    available=DEFAULTS["available"],
    budgets=DEFAULTS["budgets"],
    strategies=STRATEGIES,
    seeds=DEFAULTS["seeds"],
    classifier=DEFAULTS["classifier"],
    parts="fast",
    imputer=None,
    reference="uniform",
    learning_curve=True,
    shapley=True,
    estimator_params=None,
    device="cpu",
    n_jobs=None,
    verbose=0,
):
    """Run the paper's budget protocol and everything its report needs.

    The work of ``sklearn-skll benchmark``: the runs of :func:`run_protocol`
    on one fixed stratified test split, their paired comparison to
    ``reference`` (:func:`summarize`), the learning curve of the classifier
    on the available rows, and the Shapley values of the modalities on the
    training part.

    Parameters
    ----------
    data : str or Bunch, default="alzheimers"
        A bundled dataset name, or a Bunch with ``data``, ``target`` and
        ``modalities`` (complete rows).
    available : sequence of float, default=(0.1,)
        Availability ratios (fractions of the training part).
    budgets : sequence of float, default=(0.1, 0.3, 0.5)
        Budgets, fractions of the training part (see :func:`make_plan`).
    strategies : sequence of str, default=all five
    seeds : int or sequence of int, default=10
        ``n`` means seeds ``0 .. n-1``; every strategy of one seed trains on
        the same available rows.
    classifier : {"logreg", "hgb", "net"}, default="logreg"
        The classifier trained on the acquired rows: a mean-imputing
        logistic regression, gradient boosting, or the multimodal net.
    parts : {"fast", "defaults"}, default="fast"
        Selector and imputer: :func:`fast_parts` or the estimator's defaults.
    imputer : {"flow", "gaussian", "iterative", "auto"}, default=None
        Replaces the imputer of ``parts`` (see :func:`make_imputer`). With
        ``"auto"`` every fit chooses among no generation, the class-conditional
        Gaussian, ``IterativeImputer`` and the flow by a held-out score on
        its available rows; the runs record the choice (``imputer``) and the
        scores (``imputer_score_<candidate>``), and the report counts the
        choices (:meth:`BenchmarkResult.imputer_choices`).
    reference : str, default="uniform"
        The strategy the others are compared to, seed by seed.
    learning_curve : bool, default=True
        Fit the classifier on nested subsets of the available rows (same
        seeds, same test split) to tell whether more rows help at all.
    shapley : bool, default=True
        Score the modality subsets on the training part (logistic
        regression, 5 folds, 100 bootstrap resamples) for Shapley values.
    estimator_params : dict, default=None
        Further parameters of :class:`BudgetedMultimodalClassifier` (e.g.
        ``costs``); its ``selector``, ``imputer`` or ``classifier`` replace
        those of ``parts`` and ``classifier``.
    device : {"cpu", "cuda", "auto"}, default="cpu"
    n_jobs : int, default=None
        Runs in parallel (joblib).
    verbose : int, default=0
        1 shows progress bars.

    Returns
    -------
    result : BenchmarkResult

    Examples
    --------
    >>> from sklearn_skll.budget import run_benchmark
    >>> from sklearn_skll.datasets import make_multimodal_classification
    >>> data = make_multimodal_classification(n_samples=200, random_state=0)
    >>> result = run_benchmark(data, available=(0.2,), budgets=(0.3,),
    ...                        strategies=("available_only", "uniform", "full"),
    ...                        seeds=3, classifier="logreg", shapley=False)
    >>> result.paired.reset_index()[["strategy", "n_train", "reference_n_train"]]
             strategy  n_train  reference_n_train
    0  available_only     28.0               36.0
    1            full     70.0               36.0
    >>> print(result.to_markdown().splitlines()[0])
    # SK-LL protocol on `data`
    """
    name, bunch = _load(data)
    strategies = tuple(strategies)
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(
            f"`strategies` must be among {list(STRATEGIES)}. Got {unknown} instead."
        )
    if classifier not in CLASSIFIERS:
        raise ValueError(
            f"`classifier` must be one of {list(CLASSIFIERS)}. Got {classifier!r} "
            "instead."
        )
    params = benchmark_parts(
        bunch.modalities, classifier=classifier, parts=parts, device=device
    )
    if imputer is not None:
        params["imputer"] = make_imputer(imputer, bunch.modalities, device=device)
    params.update(estimator_params or {})
    X, y, modalities = bunch.data, np.asarray(bunch.target), bunch.modalities
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # Small available sets often leave subsets no better than the
        # constant predictor (C(S) undefined): count those notes.
        warnings.simplefilter("always", CooperationWarning)
        runs = run_protocol(
            X,
            y,
            modalities,
            available=tuple(available),
            budgets=tuple(budgets),
            strategies=strategies,
            seeds=seeds,
            device=device,
            estimator_params=params,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        curve = (
            _learning_curve(X, y, modalities, runs, params, device, n_jobs, verbose)
            if learning_curve
            else None
        )
    notes = sum(issubclass(w.category, CooperationWarning) for w in caught)
    # The pool running out is reported once, with the budget left per cell
    # (BenchmarkResult.budget_left), not once per run.
    short = [w for w in caught if issubclass(w.category, BudgetWarning)]
    if short:
        warnings.warn(
            f"In {len(short)} runs the budget bought the whole pool and left "
            "some of itself unspent; the report says how much "
            "(`unspent_budget` in the runs).",
            BudgetWarning,
            stacklevel=2,
        )
    for w in caught:
        if not issubclass(w.category, (CooperationWarning, BudgetWarning)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    selector = _shapley_selector(X, y, modalities) if shapley else None
    wall = time.perf_counter() - start
    n_test = len(
        train_test_split(
            np.arange(y.shape[0]),
            test_size=TEST_SIZE,
            stratify=y,
            random_state=TEST_RANDOM_STATE,
        )[1]
    )
    return BenchmarkResult(
        dataset=name,
        runs=runs,
        reference=reference if reference in strategies else None,
        learning_curve=curve,
        selector=selector,
        n_test=n_test,
        wall_time=wall,
        n_undefined_notes=notes,
        settings={
            "dataset": name,
            "available": list(available),
            "budgets": list(budgets),
            "strategies": list(strategies),
            "seeds": seeds if isinstance(seeds, int) else list(seeds),
            "classifier": classifier,
            "parts": parts,
            "imputer": imputer,
            "reference": reference,
            "costs": _costs_setting(params.get("costs")),
        },
    )


def _learning_curve(X, y, modalities, runs, params, device, n_jobs, verbose):
    """Accuracy of ``available_only`` on nested prefixes of the available rows.

    For one seed the available rows of every ratio are prefixes of one
    stratified order, so ``available_only`` at a row count is a point of one
    learning curve per seed. The counts of the ratios run are taken from
    ``runs`` when ``available_only`` was run; a quarter, a half and three
    quarters of the smallest count are added (at least 2 rows per class).
    """
    n_avail = sorted({int(n) for n in runs["n_available"]})
    n_classes = np.unique(y).size
    smallest = [n_avail[0] // 4, n_avail[0] // 2, 3 * n_avail[0] // 4]
    sizes = sorted({n for n in smallest if n >= max(2 * n_classes, 4)} | set(n_avail))
    have = runs[runs["strategy"] == "available_only"]
    known = {int(n) for n in have["n_available"]}
    todo = [n for n in sizes if n not in known]
    frames = []
    if len(have):
        first = have[np.isclose(have["budget"], have["budget"].min())]
        frames.append(first)
    if todo:
        frames.append(
            run_protocol(
                X,
                y,
                modalities,
                available=tuple(todo),
                budgets=(runs["budget"].min(),),
                strategies=("available_only",),
                seeds=sorted(set(runs["seed"])),
                device=device,
                estimator_params=params,
                n_jobs=n_jobs,
                verbose=verbose,
            )
        )
    points = pd.concat(frames, ignore_index=True)
    return (
        points[["seed", "n_available", "accuracy"]]
        .rename(columns={"n_available": "n_rows"})
        .sort_values(["n_rows", "seed"])
        .reset_index(drop=True)
    )


def _shapley_selector(X, y, modalities):
    X_train, _, y_train, _ = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=TEST_RANDOM_STATE
    )
    selector = ModalitySelector(
        make_classifier("logreg"),
        modalities=modalities,
        cv=5,
        n_bootstrap=100,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CooperationWarning)
        selector.fit(X_train, y_train)
    return selector


def fit_learning_curve(curve, max_rows=None):
    """Per seed, least squares of ``accuracy = a + b * log(rows)``.

    Returns a frame indexed by seed with ``intercept`` and ``slope`` (per
    unit of log rows), using the points with at most ``max_rows`` rows.
    """
    if max_rows is not None:
        curve = curve[curve["n_rows"] <= max_rows]
    rows = []
    for seed, group in curve.groupby("seed"):
        intercept, slope = fit_log_curve(group["n_rows"], group["accuracy"])
        rows.append({"seed": seed, "intercept": intercept, "slope": slope})
    return pd.DataFrame(rows, columns=["seed", "intercept", "slope"]).set_index("seed")


class BenchmarkResult:
    """What :func:`run_benchmark` measured, with its report.

    Attributes
    ----------
    dataset : str
    runs : DataFrame
        One row per run (:func:`run_protocol`).
    summary : DataFrame
        Mean and std per strategy (:func:`summarize`).
    paired : DataFrame or None
        Paired differences to the reference (:func:`summarize` with
        ``reference``); None without a reference strategy in the runs.
    learning_curve : DataFrame or None
        ``seed``, ``n_rows``, ``accuracy`` of the classifier trained on the
        first ``n_rows`` available rows.
    stakes : DataFrame or None
        Per (available, budget): the rows each strategy ends with, the slope
        of the learning curve (points per doubling of rows, 95 % interval over
        seeds) and what the extra rows a strategy buys over the reference
        would add by the curve (``stake``).
    selector : ModalitySelector or None
        Fitted on the training part, for Shapley values.
    n_test : int
        Rows of the fixed test split (one row is ``100 / n_test`` points).
    wall_time : float
        Seconds.
    settings : dict
    """

    def __init__(
        self,
        *,
        dataset,
        runs,
        reference,
        learning_curve,
        selector,
        n_test,
        wall_time,
        n_undefined_notes,
        settings,
    ):
        self.dataset = dataset
        self.runs = runs
        self.reference = reference
        self.summary = summarize(runs)
        self.paired = (
            summarize(runs, reference=reference) if reference is not None else None
        )
        self.learning_curve = learning_curve
        self.selector = selector
        self.n_test = n_test
        self.wall_time = wall_time
        self.n_undefined_notes = n_undefined_notes
        self.settings = settings
        self.n_seeds = runs["seed"].nunique()
        self.stakes = self._stakes() if learning_curve is not None else None

    # ------------------------------------------------------------ numbers

    def _stakes(self):
        rows = []
        ref = self.reference or "uniform"
        challenger = "skll" if "skll" in set(self.runs["strategy"]) else None
        for (avail, budget), cell in self.runs.groupby(["available", "budget"]):
            n_avail = cell["n_available"].mean()
            n_rows = cell.groupby("strategy")["n_train"].mean()
            fit = fit_learning_curve(
                self.learning_curve, max_rows=cell["n_available"].max()
            )
            per_double = fit["slope"] * np.log(2)
            row = {"available": avail, "budget": budget, "n_available": n_avail}
            for s in STRATEGIES:
                if s in n_rows and s != "available_only":
                    row[f"rows_{s}"] = n_rows[s]
            row["slope"], row["slope_ci_low"], row["slope_ci_high"] = mean_interval(
                per_double
            )
            if "full" in n_rows:
                # The curve's promise against what full (complete rows) scored.
                full = cell[cell["strategy"] == "full"].groupby("seed")
                pred = fit["intercept"] + fit["slope"] * np.log(full["n_train"].mean())
                row["full_measured"] = full["accuracy"].mean().mean()
                row["full_predicted"] = pred.mean()
            if challenger and ref in n_rows:
                # What SK-LL's extra rows would add were they complete rows.
                logratio = np.log(n_rows[challenger] / n_rows[ref])
                row["extra_rows"] = n_rows[challenger] - n_rows[ref]
                row["stake"], row["stake_ci_low"], row["stake_ci_high"] = mean_interval(
                    fit["slope"] * logratio
                )
            rows.append(row)
        return pd.DataFrame(rows)

    def imputer_choices(self):
        """What ``imputer="auto"`` chose, per availability, budget and strategy.

        Only the strategy that generates (``skll``). One row per (available,
        budget, strategy): ``chosen`` counts the seeds that chose each
        candidate, most chosen first, and ``score_<candidate>`` /
        ``std_<candidate>`` are the mean and standard deviation over seeds of
        the candidate's held-out score. Fits with fewer than 4 available rows
        in some class compare nothing and use the default imputer; they are
        counted apart. None without an ``"auto"`` choice.
        """
        columns = [c for c in self.runs if c.startswith("imputer_score_")]
        if not columns:
            return None
        runs = self.runs[self.runs["strategy"] == "skll"]
        rows = []
        keys = ["available", "budget", "strategy"]
        for key, cell in runs.groupby(keys, sort=False):
            # A fit with too few rows per class compares nothing: no scores.
            compared = cell[columns].notna().any(axis=1)
            counts = cell.loc[compared, "imputer"].value_counts()
            chosen = [f"{name} {n}" for name, n in counts.items()]
            if (~compared).any():
                chosen.append(
                    f"default without comparison {int((~compared).sum())} "
                    "(too few rows per class)"
                )
            row = dict(zip(keys, key))
            row["n_seeds"] = len(cell)
            row["chosen"] = ", ".join(chosen)
            for column in columns:
                name = column.removeprefix("imputer_score_")
                row[f"score_{name}"] = cell[column].mean()
                row[f"std_{name}"] = cell[column].std(ddof=1)
            rows.append(row)
        return pd.DataFrame(rows)

    def verdicts(self, *, counts=True):
        """One sentence per (available, budget, strategy) of ``paired``.

        "SK-LL beats uniform by 2.1 points [0.4, 3.8]" when the 95 % interval
        of the paired difference excludes 0, "no difference: ..." when it
        holds 0; with ``counts``, the seeds' wins/ties/losses follow.
        """
        if self.paired is None:
            return pd.Series(dtype=object)
        ref = _NAMES.get(self.reference, self.reference)
        out = {}
        for key, r in self.paired.iterrows():
            name = _NAMES.get(key[2], key[2])
            diff, low, high = (
                100 * r["mean_diff"],
                100 * r["diff_ci_low"],
                100 * r["diff_ci_high"],
            )
            wtl = f"{int(r['wins'])}/{int(r['ties'])}/{int(r['losses'])}"
            interval = (
                f"[{low:+.1f}, {high:+.1f}]"
                if np.isfinite(low)
                else "(one seed, no interval)"
            )
            if r["verdict"] == "better":
                text = f"{name} beats {ref} by {diff:.1f} points {interval}"
            elif r["verdict"] == "worse":
                text = f"{name} loses to {ref} by {-diff:.1f} points {interval}"
            else:
                text = f"no difference: {name} vs {ref} {diff:+.1f} points {interval}"
            out[key] = f"{text}; wins/ties/losses {wtl}" if counts else text
        return pd.Series(out)

    def stake_sentences(self):
        """Per (available, budget): can any strategy differ much here?"""
        if self.stakes is None:
            return []
        sentences = []
        for _, r in self.stakes.iterrows():
            head = (
                f"Available {100 * r['available']:g} % ({_int(r['n_available'])} "
                f"rows), budget {100 * r['budget']:g} %: "
            )
            slope = (
                f"the learning curve gains {100 * r['slope']:+.1f} points per "
                f"doubling of rows [{100 * r['slope_ci_low']:+.1f}, "
                f"{100 * r['slope_ci_high']:+.1f}]"
            )
            flat = not (r["slope_ci_low"] > 0) or r["slope"] < _SMALL
            if "stake" not in r or not np.isfinite(r.get("stake", np.nan)):
                sentences.append(head + slope + ".")
                continue
            extra = (
                f"SK-LL buys {_int(r['rows_skll'] - r['n_available'])} rows, "
                f"uniform {_int(r['rows_uniform'] - r['n_available'])}; "
                f"were all {_int(r['extra_rows'])} extra rows complete, the "
                f"curve says they would add {100 * r['stake']:+.1f} points "
                f"[{100 * r['stake_ci_low']:+.1f}, "
                f"{100 * r['stake_ci_high']:+.1f}]"
            )
            if np.isfinite(r.get("full_predicted", np.nan)):
                extra += (
                    f"; check: full trains on {_int(r['rows_full'])} complete "
                    f"rows and scores {100 * r['full_measured']:.1f} %, the "
                    f"curve predicted {100 * r['full_predicted']:.1f} %"
                )
                if r["full_predicted"] - r["full_measured"] > 2 / self.n_test:
                    extra += " (the curve overstates what more rows buy here)"
            small = r["stake"] < max(_SMALL, 1 / self.n_test)
            if flat:
                verdict = (
                    "the curve is flat: more rows, whoever buys them, change "
                    "little, so no strategy can differ much here"
                )
            elif small:
                verdict = "no strategy can differ much here"
            else:
                verdict = self._measured_words(r["available"], r["budget"])
            sentences.append(f"{head}{slope}; {extra}: {verdict}.")
        return sentences

    def costs_line(self):
        """The costs, always (the default of 1 each said as such), and the
        budget's unit."""
        costs = self.settings.get("costs")
        if costs:
            text = ", ".join(f"{k} {v:g}" for k, v in costs.items())
        else:
            text = "1 each (the default)"
        return (
            f"Cost of one observation per modality: {text}. A budget of B % "
            "buys B % of the training rows' modality-observations at the mean "
            "cost; SK-LL's key is chosen by utility per cost."
        )

    def _measured_words(self, available, budget):
        """What the curve allows, next to what SK-LL measured in the cell."""
        text = "more rows could matter here, so the strategies could differ"
        if self.paired is None or self.reference is None:
            return text
        key = (available, budget, "skll")
        if key not in self.paired.index:
            return text
        r = self.paired.loc[key]
        measured = format_interval(
            r["mean_diff"], r["diff_ci_low"], r["diff_ci_high"], scale=100
        )
        if r["verdict"] == "worse":
            return f"{text}; measured, SK-LL loses to uniform ({measured} points)"
        if r["verdict"] == "better":
            return f"{text}; measured, SK-LL beats uniform ({measured} points)"
        return f"{text}; measured, SK-LL and uniform show no difference ({measured})"

    def bottom_line(self):
        """The benchmark's answer in one or two sentences.

        Per budget (and availability): the strategies measured better than
        the reference, or, when none is, that the reference (complete rows)
        is the thing to buy, with SK-LL's paired difference.
        """
        if self.paired is None or self.reference is None:
            return "No reference strategy was run: read the accuracy table."
        ref = _NAMES.get(self.reference, self.reference)
        paired = self.paired.reset_index()
        paired = paired[paired["strategy"] != "full"]
        wins, sentences = [], []
        for (avail, budget), cell in paired.groupby(["available", "budget"]):
            where = f"budget {100 * budget:g} %"
            if len(self.settings["available"]) > 1:
                where = f"available {100 * avail:g} %, {where}"
            better = cell[cell["verdict"] == "better"]
            for _, r in better.iterrows():
                wins.append(
                    f"{_NAMES.get(r['strategy'], r['strategy'])} beats {ref} at "
                    f"{where} ("
                    + format_interval(
                        r["mean_diff"], r["diff_ci_low"], r["diff_ci_high"], scale=100
                    )
                    + " points)"
                )
            skll = cell[cell["strategy"] == "skll"]
            if len(skll):
                r = skll.iloc[0]
                words = {"worse": "loses", "better": "wins", "no difference": "ties"}
                sentences.append(
                    f"{words[r['verdict']]} at {where} ("
                    + format_interval(
                        r["mean_diff"], r["diff_ci_low"], r["diff_ci_high"], scale=100
                    )
                    + ")"
                )
        if wins:
            head = "Measured better than " + ref + ": " + "; ".join(wins) + "."
        else:
            what = (
                "Buy complete rows (uniform)"
                if self.reference == "uniform"
                else f"Keep {ref}"
            )
            head = (
                f"{what} here: no strategy is measured better anywhere "
                f"({self.n_seeds} seeds, 95 % intervals)."
            )
        if sentences:
            head += " SK-LL vs " + ref + ": " + ", ".join(sentences) + " points."
        left = self.budget_left()
        if left is not None:
            head += " " + left
        return head

    def budget_left(self):
        """Where a budget bought the whole pool, what was left, in words."""
        runs = self.runs
        if "unspent_budget" not in runs or not (runs["unspent_budget"] > 0).any():
            return None
        short = self.runs[self.runs["unspent_budget"] > 0]
        cells = short.groupby(["available", "budget", "strategy"])["unspent_budget"]
        parts = [
            f"{_NAMES.get(st, st)} at budget {100 * b:g} % (available "
            f"{100 * a:g} %) left {v:.4g} cost units"
            for (a, b, st), v in cells.mean().items()
        ]
        return (
            "The pool ran out: the whole pool was bought and "
            + "; ".join(parts)
            + " unspent (mean over seeds)."
        )

    def key_counts(self, available, budget, strategy):
        """The keys chosen over the seeds, most frequent first: "a+b (4/10)"."""
        runs = self.runs
        cell = runs[
            np.isclose(runs["available"], available)
            & np.isclose(runs["budget"], budget)
            & (runs["strategy"] == strategy)
        ]
        keys = cell["key_subset"].fillna("")
        keys = keys[keys != ""]
        if keys.empty:
            return ""
        n = len(cell)
        return ", ".join(f"{k} ({c}/{n})" for k, c in keys.value_counts().items())

    # ------------------------------------------------------------ report

    def to_markdown(self):
        """The report, ``results.md``: paired verdicts first."""
        s = self.settings
        parts = [
            f"# SK-LL protocol on `{self.dataset}`",
            "",
            f"**{self.bottom_line()}**",
            "",
        ]
        parts.append(
            f"{self.n_seeds} seeds x availabilities "
            f"{', '.join(f'{100 * a:g} %' for a in s['available'])} x budgets "
            f"{', '.join(f'{100 * b:g} %' for b in s['budgets'])}; classifier "
            f"`{s['classifier']}`, {s['parts']} parts; {len(self.runs)} runs in "
            f"{self.wall_time:.0f} s. Test split: {self.n_test} rows, fixed across "
            f"seeds (one row is {100 / self.n_test:.1f} accuracy points)."
        )
        parts.append(self.costs_line())
        if self.paired is not None:
            ref = _NAMES.get(self.reference, self.reference)
            parts += [
                "",
                f"## Paired differences to {ref}",
                "",
                (
                    f"Accuracy of each strategy minus {ref}'s on the same seed "
                    f"(same available rows, same test rows), in points; 95 % "
                    f"Student-t interval over the {self.n_seeds} seeds. An "
                    f"interval that holds 0 is no difference."
                ),
                "",
                _markdown(self._paired_frame()),
            ]
        if self.stakes is not None:
            parts += [
                "",
                "## Is more data worth it here?",
                "",
                (
                    "The classifier trained on the first n available rows "
                    "(same seeds, same test split), accuracy = a + b log(n) "
                    "fitted per seed on the available rows and extrapolated to "
                    "the rows each strategy ends with (learning_curve.png)."
                ),
                "",
            ]
            parts += [f"- {t}" for t in self.stake_sentences()]
            parts += [
                "",
                _markdown(self._stakes_frame()),
                "",
                ("Learning curve (accuracy %, mean and 95 % interval over seeds):"),
                "",
                _markdown(self._curve_frame()),
            ]
        parts += [
            "",
            "## Accuracy per strategy",
            "",
            (
                f"Test accuracy (%), mean ± std over {self.n_seeds} seeds "
                "(unpaired: the spread is mostly the seeds' shared luck; read "
                "the paired table above to compare strategies)."
            ),
            "",
            _markdown(self.summary_wide()),
            "",
            _markdown(self._summary_frame()),
        ]
        choices = self.imputer_choices()
        if choices is not None:
            parts += [
                "",
                "## Imputer chosen by `imputer='auto'`",
                "",
                (
                    "Each fit scored the candidates on its own available rows: "
                    "the classifier trained after each imputer filled the "
                    "modalities hidden from half of them, scored on held-out "
                    "complete rows ('none' leaves the blocks to the "
                    "classifier). Seeds choosing each candidate, and each "
                    "candidate's held-out accuracy (%), mean ± std over seeds."
                ),
                "",
                _markdown(self._choices_frame(choices)),
            ]
        if self.selector is not None:
            parts += [
                "",
                "## Shapley values",
                "",
                (
                    "Modality contributions to accuracy over the constant "
                    "predictor (logistic regression, 5-fold utilities on the "
                    "training part), bootstrap 95 % interval."
                ),
                "",
                _markdown(self._shapley_frame()),
            ]
        if self.n_undefined_notes:
            parts += [
                "",
                (
                    f"Note: in {self.n_undefined_notes} selector fits some "
                    "subsets did no better than the constant predictor, so their "
                    "C(S) is undefined (NaN); small available sets make the key "
                    "subset uncertain."
                ),
            ]
        return "\n".join(parts) + "\n"

    def _paired_frame(self):
        table = self.paired.reset_index()
        return pd.DataFrame(
            {
                "available %": 100 * table["available"],
                "budget %": 100 * table["budget"],
                "strategy": table["strategy"],
                f"rows (vs {self.reference})": [
                    f"{_int(a)} vs {_int(b)}"
                    for a, b in zip(table["n_train"], table["reference_n_train"])
                ],
                "wins/ties/losses": [
                    f"{w}/{t}/{lo}"
                    for w, t, lo in zip(table["wins"], table["ties"], table["losses"])
                ],
                "verdict (difference in points, 95 % CI)": self.verdicts(
                    counts=False
                ).to_numpy(),
            }
        )

    @staticmethod
    def _choices_frame(choices):
        frame = pd.DataFrame(
            {
                "available %": (100 * choices["available"]).map(_int),
                "budget %": (100 * choices["budget"]).map(_int),
                "strategy": choices["strategy"],
                "chosen (seeds)": choices["chosen"],
            }
        )
        for column in choices:
            if column.startswith("score_"):
                name = column.removeprefix("score_")
                frame[name] = [
                    f"{100 * m:.1f} ± {100 * sd:.1f}"
                    for m, sd in zip(
                        choices[column], choices[f"std_{name}"].fillna(0.0)
                    )
                ]
        return frame

    def summary_wide(self):
        """Accuracy (%) per strategy, mean ± std over seeds (Table 2 layout)."""
        wide = summarize(self.runs, layout="wide").reset_index()
        wide["available"] = (100 * wide["available"]).map(_int)
        wide["budget"] = (100 * wide["budget"]).map(_int)
        return wide.rename(columns={"available": "available %", "budget": "budget %"})

    def _stakes_frame(self):
        st = self.stakes
        frame = pd.DataFrame(
            {
                "available %": 100 * st["available"],
                "budget %": 100 * st["budget"],
                "available rows": st["n_available"].map(_int),
            }
        )
        for s in STRATEGIES:
            if f"rows_{s}" in st:
                frame[f"rows {s}"] = st[f"rows_{s}"].map(_int)
        frame["points per doubling"] = [
            f"{100 * m:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"
            for m, lo, hi in zip(st["slope"], st["slope_ci_low"], st["slope_ci_high"])
        ]
        if "stake" in st:
            frame["SK-LL's extra rows worth"] = [
                f"{100 * m:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"
                for m, lo, hi in zip(
                    st["stake"], st["stake_ci_low"], st["stake_ci_high"]
                )
            ]
        return frame

    def _curve_frame(self):
        rows = []
        for n, group in self.learning_curve.groupby("n_rows"):
            m, lo, hi = mean_interval(group["accuracy"])
            rows.append(
                {
                    "rows": int(n),
                    "accuracy %": f"{100 * m:.1f}",
                    "95 % CI": f"[{100 * lo:.1f}, {100 * hi:.1f}]",
                }
            )
        return pd.DataFrame(rows)

    def _summary_frame(self):
        table = self.summary.reset_index()
        return pd.DataFrame(
            {
                "available %": 100 * table["available"],
                "budget %": 100 * table["budget"],
                "strategy": table["strategy"],
                "rows": table["n_train"].map(_int),
                "key (seeds choosing it)": [
                    self.key_counts(a, b, st)
                    for a, b, st in zip(
                        table["available"], table["budget"], table["strategy"]
                    )
                ],
                "accuracy %": [
                    f"{100 * m:.2f} ± {100 * s:.2f}"
                    for m, s in zip(table["mean"], table["std"].fillna(0.0))
                ],
            }
        )

    def _shapley_frame(self):
        sel = self.selector
        frame = pd.DataFrame(
            {
                "modality": sel.shapley_values_.index,
                "Shapley (points)": [f"{100 * v:+.1f}" for v in sel.shapley_values_],
            }
        )
        ci = getattr(sel, "shapley_ci_", None)
        if ci is not None:
            frame["bootstrap 95 % CI"] = [
                f"[{100 * lo:+.1f}, {100 * hi:+.1f}]"
                for lo, hi in zip(ci["low"], ci["high"])
            ]
        return frame

    def to_json(self):
        """The settings, tables and runs as a JSON-ready dict."""

        def records(frame):
            return json.loads(frame.reset_index().to_json(orient="records"))

        out = {
            **self.settings,
            "seeds": self.n_seeds,
            "metric": "accuracy",
            "n_test": self.n_test,
            "wall_time_s": round(self.wall_time, 1),
            "summary": records(self.summary),
        }
        if self.paired is not None:
            out["paired"] = records(self.paired)
        if self.stakes is not None:
            out["stakes"] = records(self.stakes)
            out["learning_curve"] = records(self.learning_curve)
        if self.selector is not None:
            out["shapley_values"] = self.selector.shapley_values_.to_dict()
        choices = self.imputer_choices()
        if choices is not None:
            out["imputer_choices"] = json.loads(choices.to_json(orient="records"))
        out["runs"] = records(self.runs.set_index("seed"))
        return out

    def save(self, out):
        """Write ``results.md``, ``results.csv``, ``results.json`` and the plots.

        Parameters
        ----------
        out : path-like
            Folder, created if needed.

        Returns
        -------
        paths : list of pathlib.Path
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.runs.to_csv(out / "results.csv", index=False)
        (out / "results.json").write_text(json.dumps(self.to_json(), indent=2))
        (out / "results.md").write_text(self.to_markdown())
        figures = plot_benchmark(
            self.runs,
            out,
            selector=self.selector,
            learning_curve=self.learning_curve,
            reference=self.reference,
            paired=self.paired,
        )
        return [out / "results.md", out / "results.csv", out / "results.json", *figures]


def _int(value):
    """A count: an integer when it is one, else one decimal (a mean)."""
    value = float(value)
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def _markdown(frame):
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else _int(v) if float(v).is_integer() else f"{v:g}"
        return str(v)

    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(cell(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows])


def _costs_setting(costs):
    """The per-modality costs for the report and ``results.json``, or None."""
    if costs is None:
        return None
    return {str(name): float(value) for name, value in dict(costs).items()}
