"""AcquisitionRanker: which rows should get which missing modality."""

import copy
import itertools
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from .._base import SEED_MAX
from .._compat import HasMethods, Interval, StrOptions, _fit_context
from .._modalities import observed_modalities, resolve_modalities
from .._persist import from_portable, to_portable
from .._threads import single_threaded_job
from ..exceptions import BudgetError
from ..planning import check_costs

__all__ = ["CRITERIA", "AcquisitionRanker"]

#: The acquisition criteria, in the order the docs present them.
CRITERIA = ("random", "uncertainty", "expected_change", "expected_loss_reduction")

#: Columns of the frames returned by ``rank`` and ``select``.
RANK_COLUMNS = ["row", "modality", "gain", "gain_std", "cost", "gain_per_cost"]

#: Most stacked rows (candidate x draw) built and predicted at once (bounds memory).
_CHUNK = 65536


def _entropy(p):
    """Shannon entropy (nats) along the last axis; 0 log 0 = 0."""
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return -terms.sum(axis=-1)


@single_threaded_job
def _one_draw(imputer, X, seed):
    """One posterior draw: ``imputer`` reseeded, its fitted state shared."""
    imp = copy.copy(imputer)
    params = imp.get_params(deep=False)
    if "sample_posterior" in params:
        imp.set_params(sample_posterior=True)
    if "random_state" in params:
        imp.set_params(random_state=int(seed))
    if hasattr(imp, "random_state_"):  # IterativeImputer draws from this
        imp.random_state_ = np.random.RandomState(int(seed))
    return np.asarray(imp.transform(X), dtype=np.float64)


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
        fitted with ``sample_posterior=True``. A clone of either part whose
        ``modalities`` parameter is None gets this ranker's ``modalities``.
    modalities : dict
        Mapping ``name -> column selector`` (as in
        :class:`~sklearn.compose.ColumnTransformer`), at least two modalities.
    costs : dict of str -> float, default=None
        Cost of acquiring each modality for one row, for every modality
        (:func:`~sklearn_skll.planning.check_costs`: a modality left out is a
        :class:`~sklearn_skll.BudgetError`). ``None``: every modality costs
        1.
    criterion : {"random", "uncertainty", "expected_change", \
            "expected_loss_reduction"}, default="expected_change"
        The expected gain of acquiring a modality block ``S`` for a row
        (see Notes).
    n_draws : int, default=20
        Imputer draws per row for the draw-based criteria.
    max_subset_size : int or None, default=1
        Rank single missing modalities (1) or also sets of up to this many
        missing modalities of a row, acquired together (``None``: any size).
    prefit : bool, default=False
        If True, ``estimator`` is already fitted and used as is (not cloned,
        not refitted); if False a clone is fitted in :meth:`fit`.
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

    ``gain_std`` is the spread of the per-draw terms over the draws (0 for
    uncertainty, NaN for random). Both draw-based criteria trust the imputer
    and the classifier: a block the imputer cannot predict (draws near its
    marginal) or a classifier that ignores it gives a small gain, which is
    right only if the classifier would use the real block the same way.

    References
    ----------
    .. [1] "Select the Key, then Generate the Rest" (SK-LL): the generator.
    .. [2] "Cohort-based Active Modality Acquisition" (2025): imputation-based
       acquisition functions.
    .. [3] N. Houlsby et al. "Bayesian Active Learning for Classification and
       Preference Learning" (BALD), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    >>> from sklearn.impute import IterativeImputer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_skll.acquisition import AcquisitionRanker
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = y[:, None] + rng.normal(size=(100, 4))
    >>> ranker = AcquisitionRanker(
    ...     LogisticRegression(), IterativeImputer(sample_posterior=True),
    ...     modalities={"cheap": [0, 1], "scan": [2, 3]}, costs={"cheap": 1, "scan": 5},
    ...     n_draws=10, random_state=0).fit(X[:80], y[:80])
    >>> X_new = X[80:].copy()
    >>> X_new[:, 2:] = np.nan
    >>> ranking = ranker.rank(X_new)
    >>> list(ranking.columns)
    ['row', 'modality', 'gain', 'gain_std', 'cost', 'gain_per_cost']
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
        criterion="expected_change",
        n_draws=20,
        max_subset_size=1,
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
        self.prefit = prefit
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the imputer (and the classifier unless ``prefit``).

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
        costs = self._resolve_costs(list(modalities))  # before any use
        # n_features_in_ and feature_names_in_; the parts check X and y.
        validate_data(self, X, y, skip_check_array=True)
        check_consistent_length(X, y)
        Xa = self._as_float(X)
        observed_modalities(Xa, modalities, partial="raise", allow_none=False)
        self.modalities_ = modalities
        self.costs_ = costs
        self._as_frame_ = isinstance(X, pd.DataFrame)
        self._columns_ = X.columns if self._as_frame_ else None

        classes = np.unique(np.asarray(y))
        if classes.size < 2:
            raise ValueError(
                "AcquisitionRanker ranks the rows whose class is uncertain and "
                f"needs at least 2 classes in `y`. Got {classes.size} class "
                f"({classes.tolist()}) instead."
            )
        rng = check_random_state(self.random_state)
        imputer = clone(self.imputer)
        params = imputer.get_params(deep=False)
        if "sample_posterior" in params:
            imputer.set_params(sample_posterior=True)
        if "random_state" in params:
            imputer.set_params(random_state=int(rng.randint(SEED_MAX)))
        if params.get("modalities", False) is None:
            # A package imputer without its own modalities gets the ranker's
            # (by default it would treat all columns as one modality).
            imputer.set_params(modalities=self.modalities)
        self.imputer_ = imputer.fit(X, y)

        if self.prefit:
            check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
        else:
            estimator = clone(self.estimator)
            if estimator.get_params(deep=False).get("modalities", False) is None:
                estimator.set_params(modalities=self.modalities)
            Xfit = X if self._takes_nan(estimator) else self._fill(Xa)
            self.estimator_ = estimator.fit(self._wrap(Xfit), y)
        self.classes_ = self.estimator_.classes_
        return self

    def __getstate__(self):
        # Plain values and arrays only (see sklearn_skll._persist): the
        # column Index of a DataFrame fit cannot be saved by skops as it is.
        return to_portable(dict(super().__getstate__()))

    def __setstate__(self, state):
        super().__setstate__(from_portable(dict(state)))

    def _as_float(self, X):
        """A float64 copy of ``X`` (the caller's data is never written to)."""
        return np.array(X, dtype=np.float64, copy=True)

    def _resolve_costs(self, names):
        return check_costs(self.costs, names)

    @staticmethod
    def _takes_nan(estimator):
        return bool(get_tags(estimator).input_tags.allow_nan)

    def _wrap(self, Xa):
        """``Xa`` in the container ``fit`` saw (names matter to selectors)."""
        if self._as_frame_ and not isinstance(Xa, pd.DataFrame):
            return pd.DataFrame(Xa, columns=self._columns_)
        return Xa

    def _mean_imputer(self):
        imp = copy.copy(self.imputer_)
        if "sample_posterior" in imp.get_params(deep=False):
            imp.set_params(sample_posterior=False)
        return imp

    def _fill(self, Xa):
        """Fill every missing block with the imputer's deterministic output."""
        Xa = np.asarray(Xa, dtype=np.float64)
        if not np.isnan(Xa).any():
            return Xa
        return np.asarray(self._mean_imputer().transform(self._wrap(Xa)), dtype=float)

    def _proba(self, Xa):
        """Predicted probabilities; blocks still missing are NaN or filled."""
        out = []
        for start in range(0, Xa.shape[0], _CHUNK):
            part = Xa[start : start + _CHUNK]
            if not self._takes_nan(self.estimator_):
                part = self._fill(part)
            out.append(self.estimator_.predict_proba(self._wrap(part)))
        return np.vstack(out) if out else np.empty((0, len(self.classes_)))

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
            One row per candidate, best first (by ``gain_per_cost``, then by
            row and modality order): ``row`` (position in ``X``),
            ``modality`` (a name, or names joined by ``"+"`` for a set),
            ``gain``, ``gain_std``, ``cost``, ``gain_per_cost``.
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
        gain, spread = self._gains(Xa, observed, cands)
        frame.insert(2, "gain", gain)
        frame.insert(3, "gain_std", spread)
        frame["gain_per_cost"] = frame["gain"] / frame["cost"]
        frame = frame[RANK_COLUMNS]
        order = np.lexsort((np.arange(len(frame)), -frame["gain_per_cost"].to_numpy()))
        subsets = [set(cands[k][1]) for k in order]
        return frame.iloc[order].reset_index(drop=True), subsets

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
        n = len(cands)
        rng = check_random_state(self.random_state)
        if self.criterion == "random":
            return rng.uniform(size=n), np.full(n, np.nan)
        rows = np.array([r for r, _ in cands], dtype=np.intp)
        if not n:
            return np.empty(0), np.empty(0)
        need = np.unique(rows)
        p0 = self._proba(Xa[need])
        p0 = p0[np.searchsorted(need, rows)]
        if self.criterion == "uncertainty":
            return _entropy(p0), np.zeros(n)
        draws = self._draws(Xa[need], rng)  # (K, len(need), n_features)
        at = np.searchsorted(need, rows)
        K = draws.shape[0]
        names = list(self.modalities_)
        proba = np.empty((n, K, len(self.classes_)))
        step = max(1, _CHUNK // K)  # candidates per batch (bounds memory)
        for start in range(0, n, step):
            batch = range(start, min(n, start + step))
            stacked = np.repeat(Xa[rows[start : batch.stop]][:, None, :], K, axis=1)
            for c in batch:
                cols = np.concatenate([self.modalities_[names[j]] for j in cands[c][1]])
                stacked[c - start][:, cols] = draws[:, at[c]][:, cols]
            proba[start : batch.stop] = self._proba(
                stacked.reshape(len(batch) * K, -1)
            ).reshape(len(batch), K, -1)
        if self.criterion == "expected_change":
            terms = 0.5 * np.abs(proba - p0[:, None, :]).sum(axis=2)
        else:  # expected_loss_reduction
            terms = _entropy(proba.mean(axis=1))[:, None] - _entropy(proba)
        return terms.mean(axis=1), terms.std(axis=1)

    def _draws(self, Xa, rng):
        """``n_draws`` completed copies of ``Xa``: (n_draws, n_rows, n_features)."""
        seeds = rng.randint(SEED_MAX, size=self.n_draws)
        X = self._wrap(Xa)
        if hasattr(self.imputer_, "sample"):  # the package's multi-draw API
            imp = copy.copy(self.imputer_)
            if "random_state" in imp.get_params(deep=False):
                imp.set_params(random_state=int(seeds[0]))
            return np.asarray(imp.sample(X, n_draws=self.n_draws), dtype=np.float64)
        posterior = "sample_posterior" in self.imputer_.get_params(deep=False)
        if not posterior and self.n_draws > 1:
            warnings.warn(
                f"The imputer {type(self.imputer_).__name__} has neither a "
                "`sample` method nor a `sample_posterior` parameter, so its "
                f"draws are identical and `gain_std` is 0. Got n_draws="
                f"{self.n_draws} identical draws instead.",
                UserWarning,
                stacklevel=3,
            )
        draws = Parallel(n_jobs=self.n_jobs)(
            delayed(_one_draw)(self.imputer_, X, seed) for seed in seeds
        )
        return np.stack(draws)

    # --------------------------------------------------------------- select
    def select(self, X, budget):
        """Choose (row, modality) pairs within a budget, greedy by gain per cost.

        Pairs are taken in the order of :meth:`rank`; a pair that no longer
        fits the remaining budget is skipped and later, cheaper ones may still
        be taken. With ``max_subset_size > 1`` a set that shares a modality
        with a set already chosen for the same row is skipped.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            As in :meth:`rank`. Not modified.
        budget : float
            Cost units to spend, >= 0.

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
        ranking, subsets = self._rank(X)
        taken, spent, total = [], [], 0.0
        used = {}
        for k, (row, cost) in enumerate(zip(ranking["row"], ranking["cost"])):
            parts = subsets[k]
            if total + cost > budget * (1 + 1e-12) or parts & used.get(row, set()):
                continue
            used.setdefault(row, set()).update(parts)
            total += cost
            taken.append(k)
            spent.append(total)
        chosen = ranking.iloc[taken].reset_index(drop=True)
        chosen["spent"] = spent
        return chosen

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
