"""ModalitySelector: score modality subsets and select the key subset."""

import itertools
import math
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import check_scoring
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    check_cv,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state, resample
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
)

from .. import plotting
from .._base import MODAL_CONSTRAINTS, seed_streams, validate_modal_data
from .._compat import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
)
from .._modalities import observed_modalities, record_dropped
from .._persist import from_portable, to_portable
from ..exceptions import CooperationWarning, ModalityError
from ..game import (
    PermutationSample,
    _cooperation,
    _exact_shapley,
    cooperation_scores,
    greedy_selection,
    interaction_index,
    scaled_shapley_values,
    shapley_values,
)
from ..planning import (
    PLANNING_CONSTRAINTS,
    beats_constant,
    check_costs,
    choose_key,
    make_plan,
)
from ..planning._keys import _p_best
from ._foldwise import FoldwiseRetrainEngine
from ._utility import (
    FineTuneEngine,
    MaskedEngine,
    RetrainEngine,
    _baseline,
    subset_name,
)

__all__ = ["ModalitySelector"]

#: Most modalities ``search="exhaustive"`` accepts (2**12 - 1 subsets);
#: ``search="auto"`` samples beyond.
MAX_EXHAUSTIVE = 12

#: ``n_permutations="auto"``: player orders (100 antithetic pairs) of the
#: sampled Shapley estimate. On a 10-modality table (8,000 synthetic rows,
#: the default masked net) they visited about 700 of the 1,023 subsets;
#: the largest error against the exact values was 0.006 on average over 20
#: draws (values up to 0.201; 100 orders: 0.010 from 480 subsets), and
#: 1.96 standard errors covered 96 % of the errors
#: (``bench/bench_scale.py --agreement``).
AUTO_PERMUTATIONS = 200

#: A utility below this fraction of the largest absolute single-modality
#: utility counts as no gain over the constant predictor: C(S) is then NaN
#: (Eq. 4 divides by f_u(S), which would blow noise up), and a greedy step
#: needs a gain above it.
COOPERATION_RTOL = 0.01

#: Up to this many rows, ``estimator=None`` is a regularised linear model
#: retrained per subset; above it, the small masked net.
LINEAR_MAX_ROWS = 1000

#: ``n_repeats="auto"`` repeats the stratified folds until about this many
#: held-out predictions per subset are made (at most :data:`MAX_AUTO_REPEATS`).
AUTO_HELDOUT = 300
MAX_AUTO_REPEATS = 2

#: ``n_bootstrap="auto"``: replicates when the score is accuracy (computed
#: in one matrix product per fold, so nearly free); 0 for other scorers.
AUTO_BOOTSTRAP = 200


def _linear_estimator():
    """Mean imputation, standardisation, L2 logistic regression (C = 0.1)."""
    return make_pipeline(
        SimpleImputer(strategy="mean", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=1000),
    )


#: The small net scored on each subset by default above
#: :data:`LINEAR_MAX_ROWS` rows (also the budgeted classifier's).
SMALL_NET = dict(
    encoder_hidden=32,
    embed_dim=16,
    fusion_hidden=32,
    max_epochs=30,
    patience=5,
    batch_size=64,
    lr=3e-3,
)


def _default_estimator(random_state=None, n_samples=None, device="cpu"):
    """The default estimator for ``n_samples`` rows (the net when None).

    Up to :data:`LINEAR_MAX_ROWS` rows: a regularised linear model (cheap to
    retrain per subset and fold, and it learns from 50 rows, where the small
    net predicts the majority class). Above: a small, fast
    MultimodalNetClassifier (imported lazily: torch is heavy).
    """
    if n_samples is not None and n_samples <= LINEAR_MAX_ROWS:
        return _linear_estimator()
    from ..neural import MultimodalNetClassifier

    return MultimodalNetClassifier(
        **SMALL_NET, device=device, random_state=random_state
    )


def _check_finetune_estimator(estimator):
    """``utility="finetune"`` fine-tunes the head of a MultimodalNetClassifier."""
    from ..neural import MultimodalNetClassifier

    if not isinstance(estimator, MultimodalNetClassifier):
        raise ValueError(
            "`utility='finetune'` fine-tunes the fusion head of a "
            "MultimodalNetClassifier; use utility='masked' or 'retrain' with "
            f"other estimators. Got estimator={type(estimator).__name__} "
            "instead."
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
    ``transform`` leaves ``X`` as it is unless ``drop_unselected=True``
    (then it keeps the key's columns, ``key_subset_``);
    ``plan`` turns a budget into an acquisition plan.

    Read more in the :ref:`User Guide <select_the_key>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier with ``fit`` and ``predict`` scored on each subset. When
        it has a ``modalities`` parameter, each clone gets it restricted to
        the subset. None chooses by the number of rows fitted: up to
        1,000 rows (:data:`LINEAR_MAX_ROWS`), mean imputation, standardisation
        and an L2 ``LogisticRegression(C=0.1)``, retrained per subset (it
        learns from 50 rows; a fit takes milliseconds); above, a small
        :class:`~sklearn_skll.neural.MultimodalNetClassifier`
        (32 hidden units, at most 30 epochs with early stopping) with the
        masked engine. ``estimator_`` is the one used.
    modalities : dict or None, default=None
        Name -> column selector (``ColumnTransformer`` vocabulary). At least
        two modalities. A modality whose columns are absent is an error,
        unless an earlier selector recorded dropping it (see
        ``drop_unselected``). None makes all columns one modality ``"all"``,
        which is then simply selected (this keeps generic checks working).
    scoring : str or callable, default="accuracy"
        Any scikit-learn scorer (greater is better).
    utility : {"auto", "retrain", "masked", "finetune"}, default="auto"
        ``"auto"`` is ``"masked"`` for the default net (more than 1,000
        rows) and ``"retrain"`` otherwise.
        ``"retrain"`` fits a clone per subset and fold (the paper).
        ``"masked"`` fits one clone per fold on all modalities with modality
        dropout and scores each subset by hiding the other modalities of the
        held-out rows (one training instead of 2**M - 1). If the estimator
        has a ``modality_dropout`` parameter at 0 it is set to 0.5; otherwise
        half of the training rows get random modality blocks hidden, and an
        estimator that does not accept NaN is preceded by a mean
        ``SimpleImputer`` (it only fills hidden blocks).
        ``"finetune"`` (a :class:`~sklearn_skll.neural.MultimodalNetClassifier`
        only) trains the same model per fold, then fine-tunes a copy of its
        fusion head on each subset for a hundred mini-batches at three
        times the net's learning rate (encoders frozen, all subsets at once)
        before scoring it: it sees modalities that only work together, for
        2.3 to 2.8 cross-validated fits of the net on the bundled data (the
        masked engine 1.3 to 1.7). Its heads can be over-confident, so use it
        with ``scoring="accuracy"``: with ``"neg_log_loss"`` its ranking
        did not follow retraining's on ``alzheimers``. See the user guide,
        "Utility engines".
    cv : int, cross-validation generator or iterable, default=5
        Folds shared by every subset. An int means a shuffled
        ``StratifiedKFold`` seeded by ``random_state``, repeated
        ``n_repeats`` times. When a class has fewer rows than folds, the
        largest feasible number of stratified folds is used (at least 2) with
        a warning; a class with a single row is an error.
    n_repeats : int or "auto", default=1
        Repeats of the stratified folds when ``cv`` is an int (more held-out
        predictions, less variance, proportionally more fits). ``"auto"``
        repeats until about 300 held-out predictions per subset
        (``ceil(300 / n_rows)``, at most 2; 1 with more than four
        modalities, whose 31+ subsets already cost many fits). The default,
        1, halves the fits of ``"auto"`` on pilots of 50-150 rows; on
        ``alzheimers`` pilots it found the reference key as often, with the
        same full-set utility and the same downstream accuracy (see
        "Why each default" in the design notes).
    search : {"auto", "exhaustive", "sampled", "greedy"}, default="auto"
        ``"exhaustive"`` scores all 2**M - 1 subsets (M <= 12).
        ``"sampled"`` scores the single modalities, all of them, the subsets
        of ``subset_size`` (when there are at most 4,095), the coalitions of
        ``n_permutations`` random modality orders and the greedy path; the
        Shapley values are estimated from the orders (``shapley_se_`` holds
        their standard errors), interactions are NaN, and the selection and
        the key are the best of the subsets scored. ``"greedy"`` scores the
        subsets Algorithm 1 visits and those of the orders (only the path
        with ``n_permutations=0``, Shapley values then NaN); it needs
        ``selection="greedy"``. ``"auto"`` is exhaustive up to 12
        modalities and sampled beyond.
    n_permutations : int or "auto", default="auto"
        Random modality orders (in antithetic pairs: an order and its
        reverse) behind the Shapley estimate of ``search="sampled"`` or
        ``"greedy"``; unused by an exhaustive search. ``"auto"`` is 200:
        at 10 modalities they visit about 700 of the 1,023 subsets and
        estimate the values within about 0.006 (the exact values reaching
        0.2); at 20 modalities, about 3,300 of a million. The standard error
        falls as one over the square root of the number of orders.
    selection : {"cooperation", "utility", "greedy"}, default="cooperation"
        ``"cooperation"``: the subset of size ``subset_size`` with the highest
        C(S) (ties: higher utility, then modality order), as the paper ranks
        pairs of three modalities, among the subsets that beat the constant
        predictor (``beats_baseline``: the bootstrap 95 % interval of f_u(S)
        above 0; without bootstrap, f_u(S) at least half of the full set's,
        ``planning.COOPERATION_MIN_SHARE``). Eq. 4 divides by f_u(S), so a
        subset of noise can reach any C(S); where no subset of that size beats the
        constant predictor, the highest utility is selected. ``"utility"``:
        highest f_u(S) of that size. ``"greedy"``: the modalities Algorithm
        1 selects.
    subset_size : int, default=None
        Size of the selected subset for ``"cooperation"`` and ``"utility"``;
        None means M - 1 (1 with a single modality).
    max_modalities : int, default=None
        Bound on the greedy path's length (None: no bound).
    max_samples : int or float, default=None
        Fit on a stratified random subsample of this many rows (a float is a
        fraction) to save time; the paper's Table 11 keeps the ranking with
        100 rows. None uses all rows.
    n_bootstrap : int or "auto", default="auto"
        Bootstrap replicates of the rows (models are not refit): each
        replicate draws every row's multinomial count once and reweights the
        held-out predictions of every fold and repeat with it, shared by all
        subsets, giving paired replicates of the whole utility table, hence
        of Shapley values, C(S) and the probability that each subset is the
        best (``p_best``, ``selection_confidence_``). Adds ``*_std`` and 95 %
        percentile bounds. ``"auto"`` is 200 for ``scoring="accuracy"``
        (computed in one matrix product, nearly free) and 0 otherwise.
    key : {"paper", "gain_per_cost", "simulate"}, default="gain_per_cost"
        Rule for ``key_subset_``, the modalities new rows should carry (what
        :meth:`plan` buys): ``"paper"`` the highest C(S) among subsets of
        M - 1 modalities that beat the constant predictor (as
        ``selection="cooperation"``); ``"gain_per_cost"`` the highest utility per unit
        cost among proper subsets of two modalities or more that keep at
        least half of the full utility; ``"simulate"`` a repeated nested
        simulation of the budget inside the rows at hand (see
        :func:`sklearn_skll.planning.simulate_keys`). See the user guide,
        "Choosing the key subset".
    budget : float or int, default=0.1
        Budget the key is chosen for (``key="simulate"``; also the default
        of :meth:`plan`), as in :func:`~sklearn_skll.planning.make_plan`.
    costs : dict of str -> float, default=None
        Cost of one observation of each modality for the key rules and
        :meth:`plan` (1 each if None).
    drop_unselected : bool, default=False
        If True, ``transform`` keeps only the columns of the key
        (``key_subset_``), the modalities new rows carry.
        If False, ``transform`` returns ``X`` unchanged and warns: in a
        Pipeline the selector then changes nothing for the later steps (its
        scores and :meth:`plan` are what it is for). On a DataFrame the
        output records the modalities it dropped (in its ``attrs``), so the
        later steps need not restate the modalities: given the same
        ``modalities``, they leave out exactly the recorded ones (any other
        modality whose columns are absent is still an error). On an array
        the columns move, so later steps that select by position fail with
        a message that says so: use a DataFrame.
    n_jobs : int, default=None
        Parallel (subset, fold) jobs; any joblib backend, e.g. Dask.
    random_state : int, RandomState instance or None, default=None
        Seeds folds, subsampling, bootstrap, masking and the estimator's
        ``random_state`` when that is None, each from its own named stream
        (see :ref:`design_seeds`).
    verbose : int, default=0
        1 shows a progress bar over subset jobs, 2 also prints a summary.

    Attributes
    ----------
    utilities_ : DataFrame
        One row per scored subset: ``subset`` (name), ``modalities`` (tuple),
        ``size``, ``n_samples`` (rows where it is observed), ``score``,
        ``baseline``, ``utility``, ``cooperation``, ``beats_baseline``
        (the utility is a real gain over the constant predictor, see
        ``selection``), ``rank`` (within its size, by the selection
        criterion; 1 is best); with
        ``n_bootstrap > 0`` also ``utility_std``, ``utility_ci_low``,
        ``utility_ci_high``, ``cooperation_std`` and ``p_best`` (share of
        bootstrap replicates in which the subset is the best of its size by
        the selection criterion).
    utility_replicates_ : ndarray of shape (n_subsets, n_bootstrap)
        Bootstrap replicates of the utilities, row-aligned with
        ``utilities_`` (empty without bootstrap).
    selection_confidence_ : float
        Probability (share of bootstrap replicates) that
        ``selected_modalities_`` is the best subset by the selection
        criterion; NaN without bootstrap.
    key_subset_ : tuple of str
        The key: the modalities new rows should carry, by the ``key`` rule,
        what :meth:`plan` buys and what ``transform`` keeps with
        ``drop_unselected=True``. Reports name this one key.
    key_candidates_ : DataFrame
        Every candidate key, best first, with its criterion and ``value``,
        ``utility``, ``share_of_full`` and ``p_best`` (``key="simulate"``:
        the simulated ``score`` with its interval and the paired difference
        to uniform rows, ``diff_uniform``).
    key_confidence_ : float
        ``p_best`` of the key (NaN without bootstrap).
    key_notes_ : list of str
        What to know about the key in words (close runners-up, the share of
        the full utility it keeps, a strong modality it leaves out, what the
        rule ignores).
    shapley_values_ : Series
        Shapley value of each modality (Eq. 1); sums to f_u(all). Exact
        after an exhaustive search, estimated from ``n_permutations``
        sampled orders otherwise (NaN with ``n_permutations=0``).
    scaled_shapley_values_ : Series
        Shapley values divided by f_u(all) (Eq. 3).
    shapley_se_ : Series
        Standard error of each Shapley value from the sampling of orders
        (0 when exact, NaN without values). It adds to the data's
        uncertainty in ``shapley_std_``: both together are about
        ``sqrt(shapley_std_**2 + shapley_se_**2)``.
    shapley_std_ : Series or None
        Bootstrap standard deviation of the Shapley values (for sampled
        values, on the same sampled orders).
    shapley_ci_ : DataFrame or None
        95 % bootstrap percentile bounds (columns ``low``, ``high``).
    interactions_ : DataFrame
        Pairwise Shapley interaction index (> 0 synergy, < 0 redundancy).
    greedy_path_ : DataFrame
        Algorithm 1 step by step (``step``, ``modality``, ``subset``,
        ``utility``, ``gain``, ``cooperation``, ...).
    selected_modalities_ : list of str
        The best subset by the ``selection`` criterion (by default the
        highest C(S) among subsets of M - 1 modalities: the paper's rule). A
        detail of the scoring: the key new rows carry is ``key_subset_``.
    cooperation_tol_ : float
        Utilities not above it count as no gain (1 % of the largest absolute
        single-modality utility).
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
        **MODAL_CONSTRAINTS,
        **PLANNING_CONSTRAINTS,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "scoring": [str, callable],
        "utility": [StrOptions({"auto", "retrain", "masked", "finetune"})],
        "cv": ["cv_object"],
        "search": [StrOptions({"auto", "exhaustive", "sampled", "greedy"})],
        "n_permutations": [
            Interval(numbers.Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "selection": [StrOptions({"cooperation", "utility", "greedy"})],
        "subset_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_modalities": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_samples": [
            Interval(numbers.Integral, 2, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
            None,
        ],
        "n_repeats": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "n_bootstrap": [
            Interval(numbers.Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "drop_unselected": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        modalities=None,
        scoring="accuracy",
        utility="auto",
        cv=5,
        n_repeats=1,
        search="auto",
        n_permutations="auto",
        selection="cooperation",
        subset_size=None,
        max_modalities=None,
        max_samples=None,
        n_bootstrap="auto",
        key="gain_per_cost",
        budget=0.1,
        costs=None,
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
        self.n_repeats = n_repeats
        self.search = search
        self.n_permutations = n_permutations
        self.selection = selection
        self.subset_size = subset_size
        self.max_modalities = max_modalities
        self.max_samples = max_samples
        self.n_bootstrap = n_bootstrap
        self.key = key
        self.budget = budget
        self.costs = costs
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
        X_arr, y, observed = validate_modal_data(self, X, y)
        modalities_ = self.modalities_
        if self.modalities is not None and len(modalities_) < 2:
            raise ModalityError(
                "ModalitySelector chooses among modalities and needs at least "
                "two in `modalities` (use modalities=None to treat all columns "
                f"as one). Got {len(modalities_)} ({list(modalities_)}) instead."
            )
        check_classification_targets(y)
        names = list(modalities_)
        m = len(names)
        check_costs(self.costs, names)  # before any subset is scored
        search = self.search
        if search == "auto":
            search = "exhaustive" if m <= MAX_EXHAUSTIVE else "sampled"
        if search == "greedy" and self.selection != "greedy":
            raise ValueError(
                "`search='greedy'` scores only the subsets of the greedy path, "
                "so it needs `selection='greedy'`. Got "
                f"selection={self.selection!r} instead."
            )
        if search == "exhaustive" and m > MAX_EXHAUSTIVE:
            raise ValueError(
                f"`search='exhaustive'` scores 2**M - 1 subsets; with M = {m} "
                f"modalities that is {2**m - 1}. Use search='sampled' or "
                f"'auto' (Shapley values from sampled subsets) or 'greedy' (at "
                f"most {MAX_EXHAUSTIVE} modalities for exhaustive). Got {m} "
                "instead."
            )
        subset_size = self.subset_size
        if subset_size is None:
            subset_size = max(1, m - 1)
        if subset_size > m:
            raise ValueError(
                f"`subset_size` must be at most the number of modalities ({m}). "
                f"Got {subset_size} instead."
            )

        seeds = seed_streams(
            self.random_state,
            "subsample",
            "folds",
            "estimator",
            "bootstrap",
            "masks",
            "key",
            "shapley",
        )
        rows = self._subsample(y, seeds["subsample"])
        if rows.size < y.shape[0]:
            X_fit, y_fit, observed = X_arr[rows], y[rows], observed[rows]
        else:  # every row, in order: no copy of X (nothing writes into it)
            X_fit, y_fit = X_arr, y
        split_params = {
            k: _check_row_values(k, v, y.shape[0])[rows]
            for k, v in split_params.items()
        }
        self.n_samples_fit_ = int(rows.size)
        folds = self._folds(X_fit, y_fit, seeds["folds"], split_params)
        estimator = self._make_estimator(seeds["estimator"], rows.size)
        self.estimator_ = estimator
        scorer = check_scoring(estimator, scoring=self.scoring)
        n_bootstrap = self.n_bootstrap
        if n_bootstrap == "auto":
            n_bootstrap = AUTO_BOOTSTRAP if self.scoring == "accuracy" else 0
        self.n_bootstrap_ = n_bootstrap
        boot_weights = self._boot_weights(
            folds, rows.size, n_bootstrap, seeds["bootstrap"]
        )

        utility = self.utility
        if utility == "auto":
            default_net = self.estimator is None and rows.size > LINEAR_MAX_ROWS
            utility = "masked" if default_net else "retrain"
        if utility == "finetune":
            _check_finetune_estimator(estimator)
        engine_cls = {
            "retrain": RetrainEngine,
            "masked": MaskedEngine,
            "finetune": FineTuneEngine,
        }[utility]
        linear = self.estimator is None and rows.size <= LINEAR_MAX_ROWS
        if engine_cls is RetrainEngine and linear:
            # the default linear pipeline: its per-column preprocessing is
            # fitted once per fold (same scores, a fraction of the time)
            engine_cls = FoldwiseRetrainEngine
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
            random_state=seeds["masks"],
        )
        results = {}

        def evaluate(subsets):
            todo = [s for s in subsets if s not in results]
            if todo:
                results.update(engine.evaluate(todo))
            return [results[s].utility for s in subsets]

        singles = [frozenset([n]) for n in names]
        sample = None
        n_permutations = self.n_permutations
        if n_permutations == "auto":
            n_permutations = AUTO_PERMUTATIONS
        if search in ("sampled", "greedy") and n_permutations and m > 1:
            sample = PermutationSample(m, n_permutations, seeds["shapley"])
        if search == "exhaustive":
            evaluate(
                [
                    frozenset(c)
                    for r in range(1, m + 1)
                    for c in itertools.combinations(names, r)
                ]
            )
        elif search == "sampled":
            # one batch: the selection's subsets, then the orders' coalitions
            sized = []
            if math.comb(m, subset_size) < 2**MAX_EXHAUSTIVE:
                sized = map(frozenset, itertools.combinations(names, subset_size))
            batch = [*singles, frozenset(names), *sized]
            if sample is not None:
                batch += sample.subsets(names)[1:]
            evaluate(list(dict.fromkeys(batch)))
        else:
            evaluate(singles)
        tol = self._cooperation_tol(results, names)
        self.cooperation_tol_ = tol
        selected, path = greedy_selection(
            evaluate, names, max_modalities=self.max_modalities, tol=tol
        )
        if search == "greedy" and sample is not None:
            evaluate(sample.subsets(names)[1:])
        self.n_fits_ = engine.n_fits_
        self.baseline_score_ = self._overall_baseline(y_fit, folds, scorer)
        self._build_tables(names, results, path, tol, sample)
        self.selected_modalities_ = self._select(names, selected, subset_size)
        self._selection_confidence(names, results, tol, subset_size)
        self._choose_key(X_fit, y_fit, names, tol, seeds["key"], search)
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
        classes, counts = np.unique(y, return_counts=True)
        if classes.size < 2:
            raise ValueError(
                "ModalitySelector needs at least two classes in `y` to score a "
                f"classifier. Got {classes.size} class instead."
            )
        cv = self.cv
        if isinstance(cv, numbers.Integral) and "groups" in split_params:
            cv = StratifiedGroupKFold(n_splits=cv, shuffle=True, random_state=seed)
        stratified = isinstance(cv, numbers.Integral) or type(cv) is StratifiedKFold
        if stratified:
            n_splits = cv if isinstance(cv, numbers.Integral) else cv.n_splits
            rare = int(np.argmin(counts))
            if counts[rare] == 1:
                raise ValueError(
                    f"Class {classes[rare]!r} has a single row in `y`; "
                    "cross-validation needs at least two rows of every class "
                    "(one to train on, one to score). Collect or label another "
                    "row of that class, merge it with a similar class, or drop "
                    "its row before fitting. Got 1 row instead."
                )
            if counts.max() < n_splits:  # not a rare class: too many folds
                raise ValueError(
                    f"`cv`={n_splits} asks for more folds than any class has "
                    f"rows (the largest has {counts.max()}), so no fold could "
                    f"hold every class; use at most {counts.min()} folds. Got "
                    f"cv={n_splits} instead."
                )
            if counts[rare] < n_splits:
                warnings.warn(
                    f"Class {classes[rare]!r} has only {counts[rare]} rows, "
                    f"fewer than the `cv`={n_splits} folds; using "
                    f"{counts[rare]} stratified folds instead (utilities are "
                    "noisier: consider more rows of that class).",
                    UserWarning,
                    stacklevel=4,  # the caller of fit, past _fit_context
                )
                n_splits = int(counts[rare])
            if isinstance(cv, numbers.Integral):
                repeats = self.n_repeats
                if repeats == "auto":
                    repeats = math.ceil(AUTO_HELDOUT / y.shape[0])
                    repeats = min(MAX_AUTO_REPEATS, max(1, repeats))
                    if self.search == "exhaustive" and len(self.modalities_) > 4:
                        repeats = 1  # 31+ subsets: repeats would multiply fits
                if repeats > 1:
                    cv = RepeatedStratifiedKFold(
                        n_splits=n_splits, n_repeats=repeats, random_state=seed
                    )
                else:
                    cv = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
            elif n_splits != cv.n_splits:
                cv = StratifiedKFold(
                    n_splits, shuffle=cv.shuffle, random_state=cv.random_state
                )
        cv = check_cv(cv, y, classifier=True)
        return [
            (np.asarray(tr), np.asarray(te))
            for tr, te in cv.split(X, y, **split_params)
        ]

    def _make_estimator(self, seed, n_samples):
        if self.estimator is None:
            return _default_estimator(seed, n_samples)
        estimator = clone(self.estimator)
        params = estimator.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            estimator.set_params(random_state=int(seed))
        return estimator

    @staticmethod
    def _boot_weights(folds, n_rows, n_bootstrap, seed):
        """Row counts drawn once per replicate, shared by folds and repeats."""
        if not n_bootstrap:
            return [np.empty((0, test.size)) for _, test in folds]
        rng = check_random_state(seed)
        # One replicate at a time (the same draws as size=n_bootstrap), kept
        # as small integers: a row's count is rarely above 10, so uint8
        # holds them at an eighth of float64's memory (int32 if one is not).
        pvals = np.full(n_rows, 1.0 / n_rows)
        counts = np.empty((n_bootstrap, n_rows), dtype=np.uint8)
        for b in range(n_bootstrap):
            row = rng.multinomial(n_rows, pvals)
            if row.max() > np.iinfo(counts.dtype).max:
                counts = counts.astype(np.int32)
            counts[b] = row
        out = []
        for _, test in folds:
            w = counts[:, test]
            w[w.sum(axis=1) == 0] = 1  # a fold drawn empty keeps its rows
            out.append(w)
        return out

    def _overall_baseline(self, y, folds, scorer):
        scores = [_baseline(scorer, y[train], y[test], [])[0] for train, test in folds]
        return float(np.mean(scores))

    def _build_tables(self, names, results, path, tol, sample=None):
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
        complete = len(results) == 2 ** len(names) - 1
        self.shapley_std_ = None
        self.shapley_ci_ = None
        self.utility_replicates_ = np.empty((len(keys), 0))
        # the coalitions the Shapley values are computed from, as rows of the
        # table (-1: the empty coalition, utility 0)
        coalitions = None
        if complete:
            coalitions = np.arange(2 ** len(names))
        elif sample is not None:
            coalitions = sample.masks
        if coalitions is not None:
            index = {s: i for i, s in enumerate(keys)}
            members = [
                frozenset(n for k, n in enumerate(names) if c >> k & 1)
                for c in coalitions.tolist()
            ]
            at = np.array([index.get(c, -1) for c in members])
        if self.n_bootstrap_:
            boot = np.stack([results[s].boot_utility for s in keys])  # (n_sub, B)
            self.utility_replicates_ = boot
            df["utility_std"] = boot.std(axis=1, ddof=1)
            df["utility_ci_low"] = np.percentile(boot, 2.5, axis=1)
            df["utility_ci_high"] = np.percentile(boot, 97.5, axis=1)
            df["cooperation_std"] = self._boot_cooperation(keys, boot, tol)
        df.insert(8, "beats_baseline", self._beats_baseline(df, names, tol))
        df.insert(9, "rank", 0)
        self._rank(df)
        if self.n_bootstrap_:
            if coalitions is not None:
                # Shapley values are linear in the utilities: every replicate
                # at once, on the same coalitions
                values = np.vstack([boot, np.zeros((1, boot.shape[1]))])[at]
                if complete:
                    phis = _exact_shapley(values, len(names)).T
                else:
                    phis = sample.estimate(values)[0].T
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

        se = np.full(len(names), np.nan)
        if complete:
            phi = shapley_values(table, names)
            se = np.zeros(len(names))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CooperationWarning)
                scaled = scaled_shapley_values(table, names)
            inter = interaction_index(table, names)
        else:
            phi = scaled = np.full(len(names), np.nan)
            inter = np.full((len(names), len(names)), np.nan)
            if sample is not None:
                f = np.append(df["utility"].to_numpy(float), 0.0)
                phi, se = sample.estimate(f[at])
                full = table[frozenset(names)]
                scaled = phi / full if full > 0 else np.full(len(names), np.nan)
        self.shapley_se_ = pd.Series(se, index=names, name="shapley_se")
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

    def _beats_baseline(self, df, names, tol):
        """Subsets whose utility is a real gain over the constant predictor.

        With bootstrap replicates: the 95 % interval of f_u(S) lies above 0
        (the utility is already paired with the constant predictor's score
        on the same rows). Without them: f_u(S) keeps at least
        ``planning.COOPERATION_MIN_SHARE`` of the full set's utility.
        """
        full = df.loc[df["size"] == len(names), "utility"]
        return beats_constant(
            df["utility"],
            ci_low=df["utility_ci_low"] if self.n_bootstrap_ else None,
            full=float(full.iloc[0]) if len(full) else None,
            tol=tol,
        )

    def _rank(self, df):
        """``rank`` within each size by the selection criterion (1 is best).

        ``selection="cooperation"`` ranks by C(S) only the subsets that beat
        the constant predictor (``beats_baseline``): Eq. 4 divides by
        f_u(S), so a subset with a utility indistinguishable from 0 can get
        any C(S). The others follow by utility, and a size where no subset
        beats the constant predictor is ranked by utility alone.
        """
        by = "cooperation" if self.selection == "cooperation" else "utility"
        for _size, group in df.groupby("size", sort=False):
            crit = group[by].fillna(-np.inf)
            utility = group["utility"]
            if by == "cooperation" and group["beats_baseline"].any():
                beats = group["beats_baseline"]

                def key(i, crit=crit, beats=beats, utility=utility):
                    if beats[i]:
                        return (0, -crit[i], -utility[i], i)
                    return (1, -utility[i], 0, i)

            elif by == "cooperation":

                def key(i, utility=utility):
                    return (-utility[i], i)

            else:

                def key(i, crit=crit, utility=utility):
                    return (-crit[i], -utility[i], i)

            ordered = sorted(group.index, key=key)
            df.loc[ordered, "rank"] = np.arange(1, len(ordered) + 1)

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
            c = _cooperation(boot[i], solo, tol)
            if np.isfinite(c).sum() > 1:
                out[i] = np.nanstd(c, ddof=1)
        return out

    def _selection_confidence(self, names, results, tol, subset_size):
        """``p_best`` per subset and ``selection_confidence_`` (bootstrap)."""
        df = self.utilities_
        boot = self.utility_replicates_
        self.selection_confidence_ = np.nan
        if boot.shape[1] == 0:
            return
        index = {frozenset(m): i for i, m in enumerate(df["modalities"])}
        if self.selection == "cooperation":
            # As the ranking: only subsets that beat the constant predictor
            # compete by C(S) (where none does, utility decides the ties).
            crit = np.full_like(boot, np.nan)
            beats = df["beats_baseline"].to_numpy()
            for i, mods in enumerate(df["modalities"]):
                solo = [index.get(frozenset([n])) for n in mods]
                if beats[i] and all(j is not None for j in solo):
                    crit[i] = _cooperation(boot[i], boot[solo].sum(axis=0), tol)
        else:
            crit = boot
        p_best = np.full(len(df), np.nan)
        for _, group in df.groupby("size", sort=False):
            rows = group.index.to_numpy()
            p_best[rows] = _p_best(crit[rows], boot[rows])
        df["p_best"] = p_best
        selected = frozenset(self.selected_modalities_)
        if self.selection != "greedy":
            self.selection_confidence_ = float(p_best[index[selected]])
        elif len(index) == 2 ** len(names) - 1:
            same = 0
            for b in range(boot.shape[1]):
                table = {s: boot[i, b] for s, i in index.items()}
                picked, _ = greedy_selection(
                    table, names, max_modalities=self.max_modalities, tol=tol
                )
                same += frozenset(picked) == selected
            self.selection_confidence_ = same / boot.shape[1]

    def _choose_key(self, X, y, names, tol, seed, search="exhaustive"):
        """``key_subset_`` and its candidates by the ``key`` rule.

        After a sampled search the candidates are the subsets scored.
        """
        df = self.utilities_
        if len(names) < 2 or search == "greedy":
            # one modality, or greedy search: the key is the selection
            self.key_subset_ = tuple(self.selected_modalities_)
            self.key_candidates_ = df[
                df["modalities"].map(frozenset) == frozenset(self.key_subset_)
            ].reset_index(drop=True)
            self.key_confidence_ = self.selection_confidence_
            self.key_notes_ = []
            return
        simulation = None
        if self.key == "simulate":
            complete = observed_modalities(X, self.modalities_).all(axis=1)
            simulation = {
                "estimator": self.estimator_,
                "X": X[complete],
                "y": y[complete],
                "modalities": self.modalities_,
                "budget": self.budget,
                "random_state": seed,
            }
        (
            self.key_subset_,
            self.key_candidates_,
            self.key_confidence_,
            self.key_notes_,
        ) = choose_key(
            self.key,
            df,
            names,
            costs=self.costs,
            replicates=self.utility_replicates_,
            shapley=self.shapley_values_,
            tol=tol,
            simulation=simulation,
        )

    def _select(self, names, greedy_selected, subset_size):
        if self.selection == "greedy":
            return list(greedy_selected)
        df = self.utilities_
        best = df[(df["size"] == subset_size) & (df["rank"] == 1)]
        return list(best["modalities"].iloc[0])

    # ------------------------------------------------------------ transform
    def _selected_columns(self):
        """The columns of the key, ``key_subset_``: what new rows carry."""
        cols = np.concatenate([self.modalities_[n] for n in self.key_subset_])
        return np.sort(cols)

    def transform(self, X):
        """Return ``X``, or only the key's columns (``key_subset_``).

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
        X, _, _ = validate_modal_data(self, X, reset=False, partial="observed")
        if not self.drop_unselected:
            warnings.warn(
                "ModalitySelector.transform returns X unchanged because "
                "drop_unselected=False: in a Pipeline this step scores the "
                "modality subsets but changes nothing for the steps after it. "
                "Set drop_unselected=True to keep only the key's modalities "
                "(key_subset_).",
                UserWarning,
                stacklevel=2,
            )
            # A copy: validate_data may hand back the caller's own array, and
            # a later in-place step must not change the caller's data.
            return X_in.copy() if isinstance(X_in, pd.DataFrame) else X.copy()
        columns = self._selected_columns()
        if isinstance(X_in, pd.DataFrame):
            # The record tells the later steps that the other modalities are
            # absent on purpose (a typo'd modality is an error there).
            names = X_in.columns.astype(str)
            dropped = {
                n: names[idx].tolist()
                for n, idx in self.modalities_.items()
                if n not in self.key_subset_
            }
            return record_dropped(X_in.iloc[:, columns].copy(), X_in, dropped)
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

    def plan(self, budget=None, costs=None, n_reference=None):
        """Turn a data-collection budget into an acquisition plan.

        Delegates to :func:`sklearn_skll.planning.make_plan` with the fitted
        modalities, the utility table and ``key_subset_`` as the key subset.
        The plan carries the key's criterion, its utility, the share of the
        full utility it keeps, its probability of being the best candidate
        and notes in words (shown by ``repr`` and ``to_frame().attrs``).

        Parameters
        ----------
        budget : float or int, default=None
            Fraction of ``n_reference`` (float in (0, 1]) or an absolute
            number of modality-observations / cost units (int). None is the
            ``budget`` parameter.
        costs : dict of str -> float, default=None
            Cost of one observation of each modality. None is the ``costs``
            parameter (1 each if that is None too). Costs other than those
            of ``fit`` re-rank the candidates for ``key="gain_per_cost"``;
            for ``key="simulate"`` the key simulated at fit is kept (a note
            says so): refit with the new ``costs`` to simulate again.
        n_reference : int, default=None
            Rows a fractional budget refers to; default ``n_samples_fit_``.

        Returns
        -------
        plan : AcquisitionPlan
        """
        check_is_fitted(self)
        budget = self.budget if budget is None else budget
        fit_costs = self.costs
        costs = fit_costs if costs is None else costs
        check_costs(costs, list(self.modalities_))
        key, candidates = self.key_subset_, self.key_candidates_
        notes = list(self.key_notes_)
        confidence = self.key_confidence_
        if costs != fit_costs and len(candidates) > 1:
            if self.key == "gain_per_cost":
                key, candidates, confidence, notes = choose_key(
                    "gain_per_cost",
                    self.utilities_,
                    list(self.modalities_),
                    costs=costs,
                    replicates=self.utility_replicates_,
                    shapley=self.shapley_values_,
                    tol=self.cooperation_tol_,
                )
            elif self.key == "simulate":
                notes.append("the key was simulated with the costs given at fit")
        if budget != self.budget and self.key == "simulate":
            notes.append(f"the key was simulated for budget={self.budget!r}")
        plan = make_plan(
            list(self.modalities_),
            budget,
            key_subset=list(key),
            utilities=self.utility_table(),
            costs=costs,
            n_reference=self.n_samples_fit_ if n_reference is None else n_reference,
        )
        return plan.with_key_details(
            rule=self.key,
            candidates=candidates,
            confidence=confidence,
            notes=notes,
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
