"""AcquisitionRanker: which rows should get which missing modality."""

import itertools
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from .._base import SEED_MAX
from .._compat import HasMethods, Interval, StrOptions, _fit_context
from .._modalities import observed_modalities, resolve_modalities
from .._persist import from_portable, to_portable
from ..exceptions import BudgetError
from ..planning import check_costs
from . import _learned
from ._parts import _entropy, _p_change, _Parts, fill, mean_imputer

__all__ = ["CHECK_ATTR", "CRITERIA", "AcquisitionRanker"]

#: The acquisition criteria, in the order the docs present them.
CRITERIA = (
    "random",
    "uncertainty",
    "expected_change",
    "expected_loss_reduction",
    "learned",
)

#: The key of ``rank``'s ``DataFrame.attrs`` under which ``"learned"`` says
#: how its order and the others did out of fold on the complete rows.
CHECK_ATTR = "sklearn_skll.learned_check"

#: Columns of the frames returned by ``rank`` and ``select``.
RANK_COLUMNS = [
    "row",
    "modality",
    "gain",
    "gain_std",
    "p_change",
    "cost",
    "gain_per_cost",
]


class AcquisitionRanker(BaseEstimator):
    """Rank the missing modalities of given rows by the value of acquiring them.

    Every row of ``X`` passed to :meth:`rank` lacks some modalities (all
    their columns NaN). For each pair (row, missing modality) the ranker
    estimates what acquiring that modality would bring to the fitted
    classifier's prediction for that row, divides by the modality's cost, and
    :meth:`select` spends a budget greedily on the best pairs. The value of a
    modality is estimated without observing it: the imputer draws it from
    the row's observed modalities, several times, and the classifier
    predicts each draw (imputation-based acquisition, after cohort-based
    active modality acquisition).

    Parameters
    ----------
    estimator : classifier
        Any classifier with ``predict_proba``. If its tags allow NaN (as
        :class:`~sklearn_skll.MultimodalNetClassifier` does), it sees missing
        modality blocks as NaN; otherwise every block still missing is filled
        by the imputer's deterministic output (``sample_posterior=False``,
        e.g. the flow's transfer or the iterative imputer's mean) before it
        predicts. Fitted on the rows given to :meth:`fit` unless
        ``prefit=True``.
    imputer : transformer
        Fills missing modality blocks, e.g.
        :class:`~sklearn_skll.FlowImputer`,
        :class:`~sklearn_skll.impute.ClassConditionalGaussianImputer` or
        :class:`~sklearn.impute.IterativeImputer`. Always fitted (a clone) on
        the rows given to :meth:`fit`. Draws come from its
        ``sample(X, n_draws=...)`` method where it has one (the package's
        imputers); otherwise each draw is one ``transform`` with its own seed
        and ``sample_posterior=True`` (scikit-learn's iterative imputer); an
        imputer with neither gives ``n_draws`` identical draws (with a
        warning). When it has a ``sample_posterior`` parameter, the clone is
        fitted with ``sample_posterior=True``.
    modalities : dict
        Mapping ``name -> column selector`` (as in
        :class:`~sklearn.compose.ColumnTransformer`), at least two modalities.
    costs : dict of str -> float, default=None
        Cost of acquiring each modality for one row, for every modality
        (:func:`~sklearn_skll.planning.check_costs`: a modality left out is a
        :class:`~sklearn_skll.BudgetError`). ``None``: every modality costs
        1.
    criterion : {"random", "uncertainty", "expected_change", \
            "expected_loss_reduction", "learned"}, default="learned"
        The value of acquiring a modality block ``S`` for a row (see Notes).
        ``"learned"`` learns it from the complete rows given to :meth:`fit`
        (``cv`` extra fits of the classifier and the imputer).
    n_draws : int, default=20
        Imputer draws per row for the draw-based criteria.
    max_subset_size : int or None, default=1
        Rank single missing modalities (1) or also sets of up to this many
        missing modalities of a row, acquired together (``None``: any size).
    cv : int, default=5
        Cross-fitting folds of the complete training rows for
        ``criterion="learned"`` (fewer when they are fewer; stratified when
        every class has ``cv`` complete rows).
    prefit : bool, default=False
        If True, ``estimator`` is already fitted and used as is (not cloned,
        not refitted); if False a clone is fitted in :meth:`fit`. With
        ``criterion="learned"``, unfitted clones of it are still fitted on
        the cross-fitting folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the imputer's fit and the draws and the ``"random"`` criterion.
        With an int, :meth:`rank` gives the same result at every call.
    n_jobs : int, default=None
        Draws computed in parallel with :class:`sklearn.utils.parallel.Parallel`
        (one ``transform`` per draw; an imputer with ``sample`` draws in one call).

    Attributes
    ----------
    estimator_ : classifier
        The fitted classifier (``estimator`` itself when ``prefit=True``).
    imputer_ : transformer
        The fitted clone of ``imputer``.
    modalities_ : dict of str -> ndarray of int
        Column indices of each modality.
    costs_ : dict of str -> float
        Cost of every modality.
    classes_ : ndarray
        The classifier's classes.
    crossfit_ : list of (ndarray, classifier, imputer) or None
        With ``criterion="learned"`` at fit: per fold, the positions of its
        held-out complete rows (among the complete rows) and the classifier
        and imputer fitted without them (empty when they were too few); None
        otherwise.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    sklearn_skll.make_plan : Which modalities *new* rows should carry.
    sklearn_skll.ModalitySelector : Value of each modality for the population.

    Notes
    -----
    Let ``p0`` be the current predicted class probabilities of a row (its
    missing blocks as they are) and ``p_k``, ``k = 1..K``, the predictions
    when block ``S`` is replaced by the ``k``-th imputer draw (the other
    missing blocks left as they are). The gain of ``(row, S)`` is

    - ``"random"``: a uniform random number (the baseline);
    - ``"uncertainty"``: the entropy ``H(p0)`` (nats), the same for every
      missing block of a row;
    - ``"expected_change"``: ``mean_k TV(p_k, p0)``, the expected total
      variation (half the L1 distance) between the probabilities after and
      before acquisition;
    - ``"expected_loss_reduction"``: ``H(mean_k p_k) - mean_k H(p_k)``: the
      expected fall of the log loss when the label follows the model's own
      predictive averaged over the draws, i.e. the mutual information
      between the label and the block (BALD).

    - ``"learned"``: the predicted rise of the probability the classifier
      gives the row's true class when ``S`` is observed instead of imputed.
      At :meth:`fit`, the complete rows are split into ``cv`` folds and a
      classifier and an imputer are fitted without each fold. At
      :meth:`rank`, for every missingness pattern and block of the query
      rows, each held-out complete row gets that pattern, and the rise of
      the probability of its true class when its true ``S`` is revealed is
      recorded (the realized gain). A gradient-boosted regressor learns it
      from what is known before acquiring: the observed values, ``p0``, its
      entropy and margin, what the draws do to the prediction (expected
      change, its spread, ``p_change``, the mutual information), which
      blocks are observed and which is acquired. Out of fold (folds grouped
      by row) the regressor's order is compared with the order of
      uncertainty and of expected change, by the realized gain each
      captures when spending 5 to 40 % of the cost; where one of those
      captured more, the rows are ranked by it, its score mapped to a gain
      by isotonic regression on the realized gains. Equal gains are ordered
      by uncertainty. Fewer than 100 examples (complete rows times blocks)
      give one gain for all: the order of uncertainty. Fewer than ``2 * cv``
      complete training rows (or one class among them): a warning at
      :meth:`fit`, and the gain of ``"uncertainty"``.

    ``gain_std`` is the spread of the per-draw terms over the draws (0 for
    uncertainty, NaN for random and learned). ``p_change`` (every
    criterion) is the share of the draws that change the predicted class:
    the probability that acquiring ``S`` changes the row's prediction. The
    draw-based criteria trust the imputer and the classifier: a block the
    imputer cannot predict (draws near its marginal) or a classifier that
    ignores it gives a small gain, which is right only if the classifier
    would use the real block the same way. ``"learned"`` checks that trust on
    the complete rows, and its gain is in the units of the question asked
    (how much more likely the right answer becomes); it costs ``cv`` more
    fits and a regressor per call of :meth:`rank`.

    References
    ----------
    .. [1] "Select the Key, then Generate the Rest" (SK-LL): the generator.
    .. [2] "Cohort-based Active Modality Acquisition" (2025): imputation-based
       acquisition functions.
    .. [3] N. Houlsby et al. "Bayesian Active Learning for Classification and
       Preference Learning" (BALD), 2011.
    .. [4] S. Gadgil, I. Covert and S.-I. Lee. "Estimating Conditional Mutual
       Information for Dynamic Feature Selection" (DIME), ICLR 2024; I.
       Covert et al. "Learning to Maximize Mutual Information for Dynamic
       Feature Selection" (GDFS), ICML 2023: supervised estimates of the
       value of acquiring a feature.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_skll.acquisition import AcquisitionRanker
    >>> from sklearn_skll.impute import ClassConditionalGaussianImputer
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1], 100)
    >>> X = y[:, None] + rng.normal(size=(200, 4))
    >>> ranker = AcquisitionRanker(
    ...     LogisticRegression(), ClassConditionalGaussianImputer(),
    ...     modalities={"cheap": [0, 1], "scan": [2, 3]},
    ...     costs={"cheap": 1, "scan": 5},
    ...     n_draws=10, random_state=0).fit(X[::2], y[::2])
    >>> X_new = X[1::2][:20].copy()
    >>> X_new[:, 2:] = np.nan
    >>> ranking = ranker.rank(X_new)
    >>> list(ranking.columns)
    ['row', 'modality', 'gain', 'gain_std', 'p_change', 'cost', 'gain_per_cost']
    >>> chosen = ranker.select(X_new, budget=20)
    >>> len(chosen), float(chosen["cost"].sum())
    (4, 20.0)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "imputer": [HasMethods(["fit", "transform"])],
        "modalities": [dict],
        "costs": [dict, None],
        "criterion": [StrOptions(set(CRITERIA))],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
        "max_subset_size": [Interval(Integral, 1, None, closed="left"), None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "prefit": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        imputer,
        *,
        modalities,
        costs=None,
        criterion="learned",
        n_draws=20,
        max_subset_size=1,
        cv=5,
        prefit=False,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.imputer = imputer
        self.modalities = modalities
        self.costs = costs
        self.criterion = criterion
        self.n_draws = n_draws
        self.max_subset_size = max_subset_size
        self.cv = cv
        self.prefit = prefit
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the imputer (and the classifier unless ``prefit``).

        With ``criterion="learned"``, also fit one classifier and one imputer
        per fold of the complete rows (``cv`` folds, see Notes).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows, complete or with whole modality blocks missing
            (all NaN); the imputer must accept them.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : AcquisitionRanker
        """
        if not hasattr(X, "shape"):
            X = np.asarray(X)
        modalities = resolve_modalities(self.modalities, X, min_modalities=2)
        costs = check_costs(self.costs, list(modalities))  # before any use
        # n_features_in_ and feature_names_in_; the parts check X and y.
        validate_data(self, X, y, skip_check_array=True)
        check_consistent_length(X, y)
        y = np.asarray(y)
        Xa = self._as_float(X)
        observed = observed_modalities(
            Xa, modalities, partial="raise", allow_none=False
        )
        self.modalities_ = modalities
        self.costs_ = costs
        self._columns_ = X.columns if isinstance(X, pd.DataFrame) else None
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(
                "AcquisitionRanker ranks the rows whose class is uncertain and "
                f"needs at least 2 classes in `y`. Got {classes.size} class "
                f"({classes.tolist()}) instead."
            )

        rng = check_random_state(self.random_state)
        self.estimator_, self.imputer_ = self._fit_parts(X, Xa, y, rng, self.prefit)
        self.classes_ = self.estimator_.classes_
        self.crossfit_ = None
        if self.criterion == "learned":
            self._crossfit(X, Xa, y, observed.all(axis=1), rng)
        return self

    def _crossfit(self, X, Xa, y, complete, rng):
        """Parts without each fold of the complete rows (``criterion="learned"``)."""
        n_complete = int(complete.sum())
        codes = np.searchsorted(self.classes_, y[complete])
        counts = np.bincount(codes, minlength=len(self.classes_))
        if n_complete < 2 * self.cv or (counts > 0).sum() < 2:
            warnings.warn(
                'criterion="learned" learns from the complete training rows, '
                f"by {self.cv}-fold cross-fitting: it needs at least "
                f"{2 * self.cv} of them, of at least two classes; rank() orders "
                "the rows by uncertainty instead (gain: the entropy of the "
                f"prediction). Got {n_complete} complete rows of "
                f"{(counts > 0).sum()} class(es) instead.",
                UserWarning,
                stacklevel=3,
            )
            self.crossfit_ = []
            return

        def make_parts(X_fit, y_fit, seed):
            Xf = self._as_float(X_fit)
            return self._fit_parts(X_fit, Xf, y_fit, np.random.RandomState(seed))

        folds = _learned.crossfit(make_parts, X, y, complete, self.cv, rng)
        rows = np.flatnonzero(complete)
        # Plain (rows, classifier, imputer) tuples: a saved ranker holds
        # estimators only.
        self.crossfit_ = [
            (np.searchsorted(rows, held), est, imp) for held, (est, imp) in folds
        ]
        self._X_complete_ = Xa[complete]
        self._y_complete_ = codes

    def _fit_parts(self, X, Xa, y, rng, prefit=False):
        """A fitted (classifier, imputer): clones given ``modalities`` and seeds."""
        imputer = self._configured(self.imputer, int(rng.randint(SEED_MAX)), True)
        if "sample_posterior" in imputer.get_params(deep=False):
            imputer.set_params(sample_posterior=True)
        imputer.fit(X, y)
        if prefit:
            check_is_fitted(self.estimator)
            return self.estimator, imputer
        estimator = self._configured(self.estimator, int(rng.randint(SEED_MAX)))
        Xfit = X if self._takes_nan(estimator) else fill(imputer, Xa, self._wrap)
        return estimator.fit(self._wrap(Xfit), y), imputer

    def _configured(self, part, seed, reseed=False):
        """A clone of ``part`` with this ranker's ``modalities`` and seed.

        Its own ``modalities`` is set where it is None; every
        ``random_state`` where it is None (``reseed``: the top-level one
        always, so that this ranker's ``random_state`` drives the draws).
        """
        part = clone(part)
        update = {}
        for name, value in part.get_params(deep=True).items():
            leaf = name.rsplit("__", 1)[-1]
            if name == "modalities" and value is None:
                update[name] = self.modalities
            elif leaf == "random_state" and (
                value is None or (reseed and name == leaf)
            ):
                update[name] = seed
        return part.set_params(**update) if update else part

    def _as_float(self, X):
        """A float64 copy of ``X`` (the caller's data is never written to)."""
        return np.array(X, dtype=np.float64, copy=True)

    @staticmethod
    def _takes_nan(estimator):
        return bool(get_tags(estimator).input_tags.allow_nan)

    def _wrap(self, Xa):
        """``Xa`` in the container ``fit`` saw (names matter to selectors)."""
        if self._columns_ is not None and not isinstance(Xa, pd.DataFrame):
            return pd.DataFrame(Xa, columns=self._columns_)
        return Xa

    def _parts(self):
        return _Parts(self.estimator_, self.imputer_, self.classes_, self._columns_)

    def _mean_imputer(self):
        return mean_imputer(self.imputer_)

    def _proba(self, Xa):
        """Predicted probabilities; blocks still missing are NaN or filled."""
        return self._parts().proba(np.asarray(Xa, dtype=np.float64))

    # ----------------------------------------------------------------- rank
    def rank(self, X):
        """Expected gain of acquiring each missing modality of each row.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows whose missing modalities (all-NaN blocks) are candidates.
            Rows with nothing missing get no entry. Not modified.

        Returns
        -------
        ranking : DataFrame
            One row per candidate, best first (by ``gain_per_cost``; equal
            ones by uncertainty for ``"learned"``, then by row and modality
            order): ``row`` (position in ``X``),
            ``modality`` (a name, or names joined by ``"+"`` for a set),
            ``gain``, ``gain_std``, ``p_change`` (the probability that acquiring
            changes the row's predicted class), ``cost``, ``gain_per_cost``.
            With ``criterion="learned"``, ``ranking.attrs[CHECK_ATTR]``
            (``"sklearn_skll.learned_check"``) says how the orders did out of
            fold on the complete rows: the share of the best possible order's
            realized gain that the learned value, uncertainty, expected
            change and random orders captured, the paired difference
            learned minus uncertainty with its 95 % interval (bootstrap over
            the complete rows), and which order the ranking follows.
        """
        return self._rank(X)[0]

    def _rank(self, X):
        """The ranking and, per entry, the set of modality positions."""
        check_is_fitted(self)
        if not hasattr(X, "shape"):
            X = np.asarray(X)
        validate_data(self, X, reset=False, skip_check_array=True)
        Xa = self._as_float(X)
        observed = observed_modalities(
            Xa, self.modalities_, partial="raise", allow_none=False
        )
        names = list(self.modalities_)
        cands = self._candidates(~observed)
        frame = pd.DataFrame(
            {
                "row": np.array([r for r, _ in cands], dtype=np.intp),
                "modality": ["+".join(names[j] for j in s) for _, s in cands],
                "cost": [sum(self.costs_[names[j]] for j in s) for _, s in cands],
            }
        )
        gain, spread, change, tie, check = self._gains(Xa, observed, cands)
        frame.insert(2, "gain", gain)
        frame.insert(3, "gain_std", spread)
        frame.insert(4, "p_change", change)
        frame["gain_per_cost"] = frame["gain"] / frame["cost"]
        frame = frame[RANK_COLUMNS]
        order = np.lexsort(
            (np.arange(len(frame)), -tie, -frame["gain_per_cost"].to_numpy())
        )
        subsets = [set(cands[k][1]) for k in order]
        frame = frame.iloc[order].reset_index(drop=True)
        if check is not None:
            frame.attrs[CHECK_ATTR] = check
        return frame, subsets

    def _candidates(self, missing):
        """(row, tuple of modality positions) for every missing block set."""
        limit = self.max_subset_size
        cands = []
        for row in np.flatnonzero(missing.any(axis=1)):
            miss = np.flatnonzero(missing[row]).tolist()
            top = len(miss) if limit is None else min(limit, len(miss))
            for size in range(1, top + 1):
                for subset in itertools.combinations(miss, size):
                    cands.append((int(row), subset))
        return cands

    def _gains(self, Xa, observed, cands):
        """Per candidate: gain, its spread over the draws, ``p_change`` and
        the order of equal gains (higher first)."""
        n = len(cands)
        rng = check_random_state(self.random_state)
        if not n:
            return np.empty(0), np.empty(0), np.empty(0), np.empty(0), None
        rows = np.array([r for r, _ in cands], dtype=np.intp)
        names = list(self.modalities_)
        blocks = [
            np.concatenate([self.modalities_[names[j]] for j in s]) for _, s in cands
        ]
        parts = self._parts()
        if self.criterion == "random":
            gain, spread = rng.uniform(size=n), np.full(n, np.nan)
        elif self.criterion == "learned":
            if getattr(self, "crossfit_", None) is None:
                raise ValueError(
                    'criterion="learned" learns in `fit`: fit this ranker with '
                    "criterion='learned'. Got a ranker fitted with another "
                    "criterion instead."
                )
            if not self.crossfit_:  # too few complete rows to learn from
                p0, proba = parts.draw_proba(
                    Xa, rows, blocks, rng, self.n_draws, self.n_jobs
                )
                return (
                    _entropy(p0),
                    np.zeros(n),
                    _p_change(p0, proba),
                    np.zeros(n),
                    None,
                )
            costs = {s: sum(self.costs_[names[j]] for j in s) for _, s in cands}
            gain, tie, p0, proba, check = _learned.learned_gains(
                parts,
                [
                    (rows, _Parts(est, imp, self.classes_, self._columns_))
                    for rows, est, imp in self.crossfit_
                ],
                self._X_complete_,
                self._y_complete_,
                Xa,
                observed,
                cands,
                self.modalities_,
                costs,
                n_draws=self.n_draws,
                rng=rng,
                n_jobs=self.n_jobs,
            )
            return gain, np.full(n, np.nan), _p_change(p0, proba), tie, check
        p0, proba = parts.draw_proba(Xa, rows, blocks, rng, self.n_draws, self.n_jobs)
        if self.criterion == "uncertainty":
            gain, spread = _entropy(p0), np.zeros(n)
        elif self.criterion == "expected_change":
            terms = 0.5 * np.abs(proba - p0[:, None, :]).sum(axis=2)
            gain, spread = terms.mean(axis=1), terms.std(axis=1)
        elif self.criterion == "expected_loss_reduction":
            terms = _entropy(proba.mean(axis=1))[:, None] - _entropy(proba)
            gain, spread = terms.mean(axis=1), terms.std(axis=1)
        return gain, spread, _p_change(p0, proba), np.zeros(n), None

    # --------------------------------------------------------------- select
    def select(self, X, budget, *, max_per_row=None):
        """Choose (row, modality) pairs within a budget, greedy by gain per cost.

        Pairs are taken in the order of :meth:`rank`; a pair that no longer
        fits the remaining budget is skipped and later, cheaper ones may still
        be taken. With ``max_subset_size > 1`` a set that shares a modality
        with a set already chosen for the same row is skipped. With
        ``criterion="learned"``, a pair whose gain is not positive (the
        acquisition is expected to make the prediction worse, or to change
        nothing) is never chosen, so part of the budget may stay unspent.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            As in :meth:`rank`. Not modified.
        budget : float
            Cost units to spend, >= 0.
        max_per_row : int or None, default=None
            At most this many entries per row. ``1`` spends the budget in
            rounds: one acquisition per row, then (after the blocks are
            acquired) :meth:`select` again on the updated rows, so that a
            second block of a row is chosen knowing the first. The gains of
            two blocks of one row overlap (both may settle the same
            prediction), which a single greedy pass cannot see.

        Returns
        -------
        chosen : DataFrame
            The chosen entries of :meth:`rank`'s frame, in the order taken,
            plus ``spent``: the cumulative cost.
        """
        check_is_fitted(self)
        ok = isinstance(budget, Real) and not isinstance(budget, bool)
        if not ok or not np.isfinite(budget) or budget < 0:
            raise BudgetError(
                "`budget` must be a finite number of cost units >= 0. "
                f"Got {budget!r} instead."
            )
        if max_per_row is not None and (
            isinstance(max_per_row, bool)
            or not isinstance(max_per_row, Integral)
            or max_per_row < 1
        ):
            raise ValueError(
                "`max_per_row` must be None or an integer >= 1. Got "
                f"{max_per_row!r} instead."
            )
        ranking, subsets = self._rank(X)
        taken, spent, total = [], [], 0.0
        used, count = {}, {}
        limit = np.inf if max_per_row is None else max_per_row
        # A learned gain can be negative: such an acquisition is expected to
        # make the prediction worse, and is never bought.
        worth = ranking["gain"].to_numpy() > 0
        if self.criterion != "learned" or not self.crossfit_:
            worth[:] = True
        for k, (row, cost) in enumerate(zip(ranking["row"], ranking["cost"])):
            parts = subsets[k]
            if total + cost > budget * (1 + 1e-12) or parts & used.get(row, set()):
                continue
            if not worth[k]:
                continue
            if count.get(row, 0) >= limit:
                continue
            count[row] = count.get(row, 0) + 1
            used.setdefault(row, set()).update(parts)
            total += cost
            taken.append(k)
            spent.append(total)
        chosen = ranking.iloc[taken].reset_index(drop=True)
        chosen["spent"] = spent
        return chosen

    def __getstate__(self):
        # Plain values and arrays only (see sklearn_skll._persist): the
        # column Index of a DataFrame fit cannot be saved by skops as it is.
        return to_portable(dict(super().__getstate__()))

    def __setstate__(self, state):
        super().__setstate__(from_portable(dict(state)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
