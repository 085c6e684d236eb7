"""ModalitySelector: score modality subsets and select the key subset."""

import itertools
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, check_cv
from sklearn.utils import check_random_state, resample
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from .._compat import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
)
from .._modalities import (
    observed_modalities,
    resolve_modalities,
)
from .._persist import from_portable, to_portable
from ..exceptions import CooperationWarning, ModalityError
from ..game import (
    cooperation_scores,
    greedy_selection,
    interaction_index,
    scaled_shapley_values,
    shapley_values,
)
from ._utility import MaskedEngine, RetrainEngine, subset_name

__all__ = ["ModalitySelector"]

#: Most modalities ``search="exhaustive"`` accepts (2**12 - 1 subsets).
MAX_EXHAUSTIVE = 12

#: A utility below this fraction of the largest absolute single-modality
#: utility counts as no gain over the constant predictor: C(S) is then NaN
#: (Eq. 4 divides by f_u(S), which would blow noise up), and a greedy step
#: needs a gain above it.
COOPERATION_RTOL = 0.01


def _default_estimator(random_state):
    """A small, fast MultimodalNetClassifier (imported lazily: torch is heavy)."""
    from ..neural import MultimodalNetClassifier

    return MultimodalNetClassifier(
        encoder_hidden=32,
        embed_dim=16,
        fusion_hidden=32,
        max_epochs=30,
        patience=5,
        batch_size=64,
        lr=3e-3,
        random_state=random_state,
    )


def _check_row_values(name, values, n_samples):
    """``values`` as an array of one entry per row of ``X``."""
    values = np.asarray(values)
    if values.ndim != 1 or values.shape[0] != n_samples:
        raise ValueError(
            f"`{name}` must hold one value per row of X ({n_samples}). Got "
            f"shape {values.shape} instead."
        )
    return values


class ModalitySelector(TransformerMixin, BaseEstimator):
    """Score every modality subset, then select the key subset (SK-LL, step 1).

    ``fit`` measures the utility f_u(S) of modality subsets S (Eq. 2): the
    cross-validated score of a model that sees only S, minus the score of the
    best constant predictor on the same rows and folds. From the utility
    table it derives Shapley values (Eq. 1), scaled Shapley values (Eq. 3),
    cooperation scores C(S) (Eq. 4), pairwise interaction indices and the
    greedy path of Algorithm 1, and selects the key subset worth collecting.
    ``transform`` leaves ``X`` as it is unless ``drop_unselected=True``;
    ``plan`` turns a budget into an acquisition plan.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier with ``fit`` and ``predict`` scored on each subset. When
        it has a ``modalities`` parameter, each clone gets it restricted to
        the subset. None means a small
        :class:`~sklearn_skll.neural.MultimodalNetClassifier`
        (32 hidden units, at most 30 epochs with early stopping).
    modalities : dict, default=None
        Name -> column selector (``ColumnTransformer`` vocabulary). At least
        two modalities. On a DataFrame, a modality that names columns none
        of which is present is left out (an earlier step dropped it). None makes all columns one modality ``"all"``,
        which is then simply selected (this keeps generic checks working).
    scoring : str or callable, default="accuracy"
        Any scikit-learn scorer (greater is better).
    utility : {"retrain", "masked"}, default="retrain"
        ``"retrain"`` fits a clone per subset and fold (the paper).
        ``"masked"`` fits one clone per fold on all modalities with modality
        dropout and scores each subset by hiding the other modalities of the
        held-out rows (one training instead of 2**M - 1). If the estimator
        has a ``modality_dropout`` parameter at 0 it is set to 0.5; otherwise
        half of the training rows get random modality blocks hidden, and an
        estimator that does not accept NaN is preceded by a mean
        ``SimpleImputer`` (it only fills hidden blocks).
    cv : int, cross-validation generator or iterable, default=5
        Folds shared by every subset. An int means a shuffled
        ``StratifiedKFold`` seeded by ``random_state``.
    search : {"exhaustive", "greedy"}, default="exhaustive"
        ``"exhaustive"`` scores all 2**M - 1 subsets (M <= 12).
        ``"greedy"`` scores only the subsets Algorithm 1 visits; Shapley
        values and interactions are then NaN. It needs
        ``selection="greedy"``.
    selection : {"cooperation", "utility", "greedy"}, default="cooperation"
        ``"cooperation"``: the subset of size ``subset_size`` with the highest
        C(S) (ties: higher utility, then modality order), as the paper ranks
        pairs of three modalities. ``"utility"``: highest f_u(S) of that
        size. ``"greedy"``: the modalities Algorithm 1 selects.
    subset_size : int, default=None
        Size of the selected subset for ``"cooperation"`` and ``"utility"``;
        None means M - 1 (1 with a single modality).
    max_modalities : int, default=None
        Bound on the greedy path's length (None: no bound).
    max_samples : int or float, default=None
        Fit on a stratified random subsample of this many rows (a float is a
        fraction) to save time; the paper's Table 11 keeps the ranking with
        100 rows. None uses all rows.
    n_bootstrap : int, default=0
        Bootstrap replicates of the held-out rows (models are not refit):
        each replicate reweights every fold's held-out rows with multinomial
        counts shared by all subsets, giving paired replicates of the whole
        utility table, hence of Shapley values and C(S). Adds ``*_std`` and
        95 % percentile bounds.
    drop_unselected : bool, default=False
        If True, ``transform`` keeps only the selected modalities' columns.
        If False, ``transform`` returns ``X`` unchanged and warns: in a
        Pipeline the selector then changes nothing for the later steps (its
        scores and :meth:`plan` are what it is for). After a selector with
        ``drop_unselected=True`` on a DataFrame, the later steps need not
        restate the modalities: given ``modalities`` that name columns, they
        keep only the modalities whose columns are present.
    n_jobs : int, default=None
        Parallel (subset, fold) jobs; any joblib backend, e.g. Dask.
    random_state : int, RandomState instance or None, default=None
        Seeds folds, subsampling, bootstrap, masking and the estimator's
        ``random_state`` when that is None.
    verbose : int, default=0
        1 shows a progress bar over subset jobs, 2 also prints a summary.

    Attributes
    ----------
    utilities_ : DataFrame
        One row per scored subset: ``subset`` (name), ``modalities`` (tuple),
        ``size``, ``n_samples`` (rows where it is observed), ``score``,
        ``baseline``, ``utility``, ``cooperation``, ``rank`` (within its
        size, by the selection criterion; 1 is best); with
        ``n_bootstrap > 0`` also ``utility_std``, ``utility_ci_low``,
        ``utility_ci_high`` and ``cooperation_std``.
    shapley_values_ : Series
        Shapley value of each modality (Eq. 1); sums to f_u(all).
    scaled_shapley_values_ : Series
        Shapley values divided by f_u(all) (Eq. 3).
    shapley_std_ : Series or None
        Bootstrap standard deviation of the Shapley values.
    shapley_ci_ : DataFrame or None
        95 % bootstrap percentile bounds (columns ``low``, ``high``).
    interactions_ : DataFrame
        Pairwise Shapley interaction index (> 0 synergy, < 0 redundancy).
    greedy_path_ : DataFrame
        Algorithm 1 step by step (``step``, ``modality``, ``subset``,
        ``utility``, ``gain``, ``cooperation``, ...).
    selected_modalities_ : list of str
        The key subset.
    baseline_score_ : float
        Cross-validated score of the constant predictor on all rows.
    estimator_ : estimator object
        The estimator cloned for each subset (default resolved).
    modalities_ : dict of str -> ndarray of int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    n_samples_fit_ : int
        Rows used (after ``max_samples``).
    n_fits_ : int
        Number of models trained.

    See Also
    --------
    sklearn_skll.game : The game-theory functions used on the utility table.
    sklearn_skll.neural.MultimodalNetClassifier : The default estimator.

    Notes
    -----
    Only rows where S is fully observed are used for S, in training and
    scoring. C(S) is NaN (with a :class:`~sklearn_skll.exceptions.CooperationWarning`)
    when f_u(S) is not above 1 % of the largest absolute single-modality
    utility (no real gain over the constant predictor: Eq. 4 would divide
    noise by almost zero). The greedy path and the selection use the same
    C(S), and a greedy step needs a gain above that same threshold.

    References
    ----------
    .. [1] "Select the Key, then Generate the Rest" (SK-LL), Section 3.2.
    .. [2] P. Hu, X. Li, Y. Zhou, "SHAPE: an unified approach to evaluate the
       contribution and cooperation of individual modalities", 2022.
    .. [3] L. S. Shapley, "A value for n-person games", 1953.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_skll.selection import ModalitySelector
    >>> X, y = make_classification(n_samples=120, n_features=6, n_informative=4,
    ...                            random_state=0)
    >>> mods = {"a": [0, 1], "b": [2, 3], "c": [4, 5]}
    >>> sel = ModalitySelector(LogisticRegression(), modalities=mods, cv=3,
    ...                        random_state=0).fit(X, y)
    >>> sel.utilities_.shape[0]
    7
    >>> len(sel.selected_modalities_)
    2
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "modalities": [dict, None],
        "scoring": [str, callable],
        "utility": [StrOptions({"retrain", "masked"})],
        "cv": ["cv_object"],
        "search": [StrOptions({"exhaustive", "greedy"})],
        "selection": [StrOptions({"cooperation", "utility", "greedy"})],
        "subset_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_modalities": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_samples": [
            Interval(numbers.Integral, 2, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
            None,
        ],
        "n_bootstrap": [Interval(numbers.Integral, 0, None, closed="left")],
        "drop_unselected": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        modalities=None,
        scoring="accuracy",
        utility="retrain",
        cv=5,
        search="exhaustive",
        selection="cooperation",
        subset_size=None,
        max_modalities=None,
        max_samples=None,
        n_bootstrap=0,
        drop_unselected=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.modalities = modalities
        self.scoring = scoring
        self.utility = utility
        self.cv = cv
        self.search = search
        self.selection = selection
        self.subset_size = subset_size
        self.max_modalities = max_modalities
        self.max_samples = max_samples
        self.n_bootstrap = n_bootstrap
        self.drop_unselected = drop_unselected
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **params):
        """Score modality subsets and select the key subset.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Missing modality blocks are all NaN.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            Metadata for the ``cv`` splitter. ``groups`` (e.g. patient ids,
            one per row) keeps the rows of a group in one fold, so that a
            patient seen in training is never scored: with an int ``cv`` the
            folds are then a shuffled ``StratifiedGroupKFold``; a splitter
            given as ``cv`` gets ``groups`` in its ``split``. ``groups`` is
            accepted as it is, like ``cross_validate(groups=...)``; with
            ``sklearn.set_config(enable_metadata_routing=True)`` every
            metadata the splitter requests is routed to it. ``sample_weight``
            is not routed: held-out rows are already reweighted by the
            bootstrap, and the subset models are fit unweighted.

        Returns
        -------
        self : ModalitySelector
        """
        split_params = self._split_params(params)
        if not hasattr(X, "shape"):  # lists and other array-likes
            X = np.asarray(X)
        modalities_ = resolve_modalities(self.modalities, X, absent="skip")
        if self.modalities is not None and len(modalities_) < 2:
            raise ModalityError(
                "ModalitySelector chooses among modalities and needs at least "
                "two in `modalities` (use modalities=None to treat all columns "
                f"as one). Got {len(modalities_)} ({list(modalities_)}) instead."
            )
        X_arr, y = validate_data(self, X, y, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        observed = observed_modalities(X_arr, modalities_)
        self.modalities_ = modalities_
        names = list(modalities_)
        m = len(names)
        if self.search == "greedy" and self.selection != "greedy":
            raise ValueError(
                "`search='greedy'` scores only the subsets of the greedy path, "
                "so it needs `selection='greedy'`. Got "
                f"selection={self.selection!r} instead."
            )
        if self.search == "exhaustive" and m > MAX_EXHAUSTIVE:
            raise ValueError(
                f"`search='exhaustive'` scores 2**M - 1 subsets; with M = {m} "
                f"modalities that is {2**m - 1}. Use search='greedy' (at most "
                f"{MAX_EXHAUSTIVE} modalities for exhaustive). Got {m} instead."
            )
        subset_size = self.subset_size
        if subset_size is None:
            subset_size = max(1, m - 1)
        if subset_size > m:
            raise ValueError(
                f"`subset_size` must be at most the number of modalities ({m}). "
                f"Got {subset_size} instead."
            )

        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=5)
        rows = self._subsample(y, seeds[0])
        X_fit, y_fit, observed = X_arr[rows], y[rows], observed[rows]
        split_params = {
            k: _check_row_values(k, v, y.shape[0])[rows]
            for k, v in split_params.items()
        }
        self.n_samples_fit_ = int(rows.size)
        folds = self._folds(X_fit, y_fit, seeds[1], split_params)
        estimator = self._make_estimator(seeds[2])
        self.estimator_ = estimator
        scorer = check_scoring(estimator, scoring=self.scoring)
        boot_weights = self._boot_weights(folds, seeds[3])

        engine_cls = RetrainEngine if self.utility == "retrain" else MaskedEngine
        engine = engine_cls(
            estimator,
            X_fit,
            y_fit,
            modalities_,
            observed,
            folds,
            scorer,
            boot_weights,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            random_state=seeds[4],
        )
        results = {}

        def evaluate(subsets):
            todo = [s for s in subsets if s not in results]
            if todo:
                results.update(engine.evaluate(todo))
            return [results[s].utility for s in subsets]

        if self.search == "exhaustive":
            evaluate(
                [
                    frozenset(c)
                    for r in range(1, m + 1)
                    for c in itertools.combinations(names, r)
                ]
            )
        else:
            evaluate([frozenset([n]) for n in names])
        tol = self._cooperation_tol(results, names)
        selected, path = greedy_selection(
            evaluate, names, max_modalities=self.max_modalities, tol=tol
        )
        self.n_fits_ = engine.n_fits_
        self.baseline_score_ = self._overall_baseline(y_fit, folds, scorer)
        self._build_tables(names, results, path, tol)
        self.selected_modalities_ = self._select(names, selected, subset_size)
        if self.verbose >= 2:
            print(
                f"[ModalitySelector] {len(results)} subsets scored with "
                f"{self.n_fits_} fits; selected {self.selected_modalities_}"
            )
        return self

    def _subsample(self, y, seed):
        n = y.shape[0]
        if self.max_samples is None:
            return np.arange(n)
        size = self.max_samples
        if isinstance(size, numbers.Real) and not isinstance(size, numbers.Integral):
            size = max(2, int(round(size * n)))
        if size >= n:
            return np.arange(n)
        try:
            rows = resample(
                np.arange(n),
                replace=False,
                n_samples=size,
                stratify=y,
                random_state=seed,
            )
        except ValueError:  # too few rows of a class to stratify
            rows = resample(
                np.arange(n), replace=False, n_samples=size, random_state=seed
            )
        return np.sort(rows)

    def _split_params(self, params):
        """Metadata for the splitter's ``split``: routed, or plain ``groups``."""
        if get_config().get("enable_metadata_routing", False):
            return dict(process_routing(self, "fit", **params).splitter.split)
        unknown = sorted(set(params) - {"groups"})
        if unknown:
            raise ValueError(
                "ModalitySelector.fit accepts `groups` as it is; other metadata "
                "only with sklearn.set_config(enable_metadata_routing=True), and "
                "only what the `cv` splitter requests. Got "
                f"{unknown} instead."
            )
        groups = params.get("groups")
        return {} if groups is None else {"groups": groups}

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``fit`` routes the metadata the ``cv`` splitter requests (``groups``
        for group splitters; with an int ``cv`` the splitter is a
        ``StratifiedGroupKFold``) to its ``split``. See scikit-learn's
        metadata routing user guide.

        Returns
        -------
        routing : MetadataRouter
        """
        cv = self.cv
        if isinstance(cv, numbers.Integral):
            cv = StratifiedGroupKFold(n_splits=cv)
        router = MetadataRouter(owner=self)
        router.add(
            splitter=check_cv(cv, classifier=True),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        return router

    def _folds(self, X, y, seed, split_params=None):
        split_params = split_params or {}
        cv = self.cv
        if isinstance(cv, numbers.Integral):
            splitter = (
                StratifiedGroupKFold if "groups" in split_params else StratifiedKFold
            )
            cv = splitter(n_splits=cv, shuffle=True, random_state=seed)
        cv = check_cv(cv, y, classifier=True)
        n_splits = cv.get_n_splits(X, y)
        classes, counts = np.unique(y, return_counts=True)
        if classes.size < 2:
            raise ValueError(
                "ModalitySelector needs at least two classes in `y` to score a "
                f"classifier. Got {classes.size} class instead."
            )
        small = counts < n_splits
        if isinstance(cv, StratifiedKFold) and small.any():
            k = int(np.flatnonzero(small)[0])
            raise ValueError(
                f"Class {classes[k]!r} has only {counts[k]} rows, fewer than the "
                f"`cv`={n_splits} folds, so some folds would lack it. Lower "
                f"`cv` or `max_samples`, or merge rare classes. Got {counts[k]} "
                f"rows instead of at least {n_splits}."
            )
        return [
            (np.asarray(tr), np.asarray(te))
            for tr, te in cv.split(X, y, **split_params)
        ]

    def _make_estimator(self, seed):
        if self.estimator is None:
            return _default_estimator(int(seed))
        estimator = clone(self.estimator)
        params = estimator.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            estimator.set_params(random_state=int(seed))
        return estimator

    def _boot_weights(self, folds, seed):
        rng = check_random_state(seed)
        out = []
        for _, test in folds:
            n = test.size
            if self.n_bootstrap:
                counts = rng.multinomial(n, np.full(n, 1.0 / n), size=self.n_bootstrap)
                out.append(counts.astype(float))
            else:
                out.append(np.empty((0, n)))
        return out

    def _overall_baseline(self, y, folds, scorer):
        from sklearn.dummy import DummyClassifier

        scores = []
        for train, test in folds:
            dummy = DummyClassifier(strategy="prior")
            dummy.fit(np.zeros((train.size, 1)), y[train])
            scores.append(scorer(dummy, np.zeros((test.size, 1)), y[test]))
        return float(np.mean(scores))

    def _build_tables(self, names, results, path, tol):
        order = {n: k for k, n in enumerate(names)}
        keys = sorted(results, key=lambda s: (len(s), sorted(order[n] for n in s)))
        table = {s: results[s].utility for s in keys}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CooperationWarning)
            coop = cooperation_scores(table, keys, tol=tol)
        if caught:
            # One summary per fit, and the same text every fit, so that
            # Python shows it once however many fits run (a grid search).
            warnings.warn(
                "C(S) is undefined (NaN) for some modality subsets: they do no "
                "better than the constant predictor. `utilities_` lists them "
                "(NaN in column `cooperation`).",
                CooperationWarning,
                stacklevel=4,  # the caller of fit, past _fit_context
            )

        rows = []
        for s in keys:
            mods = tuple(n for n in names if n in s)
            r = results[s]
            rows.append(
                dict(
                    subset=subset_name(mods),
                    modalities=mods,
                    size=len(mods),
                    n_samples=r.n_samples,
                    score=r.score,
                    baseline=r.baseline,
                    utility=r.utility,
                    cooperation=coop[s],
                )
            )
        df = pd.DataFrame(rows)
        by = "cooperation" if self.selection == "cooperation" else "utility"
        df["rank"] = 0
        for size, group in df.groupby("size", sort=False):
            crit = group[by].fillna(-np.inf)
            ordered = sorted(
                group.index, key=lambda i: (-crit[i], -group.at[i, "utility"], i)
            )
            df.loc[ordered, "rank"] = np.arange(1, len(ordered) + 1)

        complete = len(results) == 2 ** len(names) - 1
        self.shapley_std_ = None
        self.shapley_ci_ = None
        if self.n_bootstrap:
            boot = np.stack([results[s].boot_utility for s in keys])  # (n_sub, B)
            df["utility_std"] = boot.std(axis=1, ddof=1)
            df["utility_ci_low"] = np.percentile(boot, 2.5, axis=1)
            df["utility_ci_high"] = np.percentile(boot, 97.5, axis=1)
            df["cooperation_std"] = self._boot_cooperation(keys, boot, tol)
            if complete:
                phis = np.array(
                    [
                        shapley_values(dict(zip(keys, boot[:, b])), names)
                        for b in range(boot.shape[1])
                    ]
                )
                self.shapley_std_ = pd.Series(
                    phis.std(axis=0, ddof=1), index=names, name="shapley_std"
                )
                self.shapley_ci_ = pd.DataFrame(
                    {
                        "low": np.percentile(phis, 2.5, axis=0),
                        "high": np.percentile(phis, 97.5, axis=0),
                    },
                    index=names,
                )
        self.utilities_ = df

        if complete:
            phi = shapley_values(table, names)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CooperationWarning)
                scaled = scaled_shapley_values(table, names)
            inter = interaction_index(table, names)
        else:
            phi = scaled = np.full(len(names), np.nan)
            inter = np.full((len(names), len(names)), np.nan)
        self.shapley_values_ = pd.Series(phi, index=names, name="shapley_value")
        self.scaled_shapley_values_ = pd.Series(
            scaled, index=names, name="scaled_shapley_value"
        )
        self.interactions_ = pd.DataFrame(inter, index=names, columns=names)
        self.greedy_path_ = pd.DataFrame(
            path,
            columns=[
                "step",
                "modality",
                "subset",
                "utility",
                "gain",
                "cooperation",
                "criterion",
                "n_candidates",
            ],
        )

    @staticmethod
    def _cooperation_tol(results, names):
        """Utilities (and greedy gains) below this count as no gain."""
        top = max(abs(results[frozenset([n])].utility) for n in names)
        return max(COOPERATION_RTOL * top, 1e-12)

    @staticmethod
    def _boot_cooperation(keys, boot, tol):
        index = {s: i for i, s in enumerate(keys)}
        out = np.full(len(keys), np.nan)
        for i, s in enumerate(keys):
            if not all(frozenset([n]) in index for n in s):
                continue
            solo = sum(boot[index[frozenset([n])]] for n in s)
            f = boot[i]
            with np.errstate(divide="ignore", invalid="ignore"):
                c = np.where(f > tol, (f - solo) / f, np.nan)
            if np.isfinite(c).sum() > 1:
                out[i] = np.nanstd(c, ddof=1)
        return out

    def _select(self, names, greedy_selected, subset_size):
        if self.selection == "greedy":
            return list(greedy_selected)
        df = self.utilities_
        best = df[(df["size"] == subset_size) & (df["rank"] == 1)]
        return list(best["modalities"].iloc[0])

    # ------------------------------------------------------------ transform
    def _selected_columns(self):
        cols = np.concatenate([self.modalities_[n] for n in self.selected_modalities_])
        return np.sort(cols)

    def transform(self, X):
        """Return ``X``, or only the selected modalities' columns.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        X_out : {ndarray, DataFrame} of shape (n_samples, n_features_out)
            A copy of ``X`` (selection informs what to collect; it never
            drops data) unless ``drop_unselected=True``; never the caller's
            own array. A DataFrame in gives a DataFrame out (same index and
            column names), so the next step's name-based ``modalities`` keep
            working.

        Warns
        -----
        UserWarning
            When ``drop_unselected=False``: the output is a copy of ``X``, so
            in a Pipeline this step changes nothing for the steps after it.
        """
        check_is_fitted(self)
        X_in = X
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        observed_modalities(X, self.modalities_, partial="observed")  # rejects inf
        if not self.drop_unselected:
            warnings.warn(
                "ModalitySelector.transform returns X unchanged because "
                "drop_unselected=False: in a Pipeline this step scores the "
                "modality subsets but changes nothing for the steps after it. "
                "Set drop_unselected=True to keep only the selected modalities.",
                UserWarning,
                stacklevel=2,
            )
            # A copy: validate_data may hand back the caller's own array, and
            # a later in-place step must not change the caller's data.
            return X_in.copy() if isinstance(X_in, pd.DataFrame) else X.copy()
        columns = self._selected_columns()
        if isinstance(X_in, pd.DataFrame):
            return X_in.iloc[:, columns].copy()
        return X[:, columns]

    def get_feature_names_out(self, input_features=None):
        """Output feature names, consistent with :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str, default=None

        Returns
        -------
        feature_names_out : ndarray of str
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if self.drop_unselected:
            return names[self._selected_columns()]
        return names

    def __getstate__(self):
        # Plain values and arrays only (see sklearn_skll._persist): safe for
        # skops.io; tables are kept as tagged dicts and rebuilt on load.
        return to_portable(dict(super().__getstate__()))

    def __setstate__(self, state):
        super().__setstate__(from_portable(dict(state)))

    # ----------------------------------------------------------- reporting
    def utility_table(self):
        """The utility table as a dict ``frozenset -> f_u(S)``."""
        check_is_fitted(self)
        df = self.utilities_
        return {
            frozenset(mods): float(u)
            for mods, u in zip(df["modalities"], df["utility"])
        }

    def plan(self, budget, costs=None, n_reference=None):
        """Turn a data-collection budget into an acquisition plan.

        Delegates to :func:`sklearn_skll.budget.make_plan` with the fitted
        modalities, the utility table and, as the key subset,
        ``selected_modalities_``. With unequal ``costs`` the key subset is
        instead chosen by ``make_plan`` as the proper subset (two modalities
        or more) with the largest utility per unit cost,
        ``f_u(S) / cost(S)``, i.e. the largest expected gain
        ``B * f_u(S) / cost(S)`` of the budget ``B``.

        Parameters
        ----------
        budget : float or int
            Fraction of ``n_reference`` (float in (0, 1]) or an absolute
            number of modality-observations / cost units (int).
        costs : dict of str -> float, default=None
            Cost of one observation of each modality (1 each if None).
        n_reference : int, default=None
            Rows a fractional budget refers to; default ``n_samples_fit_``.

        Returns
        -------
        plan : AcquisitionPlan
        """
        check_is_fitted(self)
        from .._plan import make_plan

        equal_costs = costs is None or len(set(costs.values())) <= 1
        return make_plan(
            list(self.modalities_),
            budget,
            key_subset=list(self.selected_modalities_) if equal_costs else None,
            utilities=self.utility_table(),
            costs=costs,
            n_reference=self.n_samples_fit_ if n_reference is None else n_reference,
        )

    def plot(self, kind="shapley", ax=None):
        """Plot the fitted selection with :mod:`sklearn_skll.plotting`.

        Parameters
        ----------
        kind : {"shapley", "subsets", "interactions", "greedy"}, default="shapley"
        ax : matplotlib Axes, default=None

        Returns
        -------
        ax : matplotlib Axes
        """
        check_is_fitted(self)
        from .. import plotting

        funcs = {
            "shapley": plotting.plot_shapley,
            "subsets": plotting.plot_subsets,
            "interactions": plotting.plot_interactions,
            "greedy": plotting.plot_greedy_path,
        }
        if kind not in funcs:
            raise ValueError(
                f"`kind` must be one of {sorted(funcs)}. Got {kind!r} instead."
            )
        return funcs[kind](self, ax=ax)
