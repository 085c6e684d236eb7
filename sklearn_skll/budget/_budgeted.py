"""The whole SK-LL method as one classifier: select, plan, impute, classify."""

import inspect
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from .._base import (
    MODAL_CONSTRAINTS,
    Framer,
    same_container,
    seed_streams,
    validate_modal_data,
)
from .._compat import HasMethods, Interval, RealNotInt, StrOptions, _fit_context
from .._device import DEVICES, resolve_device
from .._modalities import hide_modalities, observed_modalities
from .._persist import from_portable, to_portable
from ..exceptions import (
    BudgetWarning,
    CooperationWarning,
    ModalityError,
)
from ..impute import ClassConditionalGaussianImputer
from ..planning import PLANNING_CONSTRAINTS, STRATEGIES, check_costs
from ..planning._simulation import (
    buy_rows,
    hidden_blocks,
    plan_budget,
    split_available,
)
from ..selection import ModalitySelector
from ..selection._selector import LINEAR_MAX_ROWS, _default_estimator
from ._imputer_choice import (
    MIN_ROWS_PER_CLASS,
    accepts_nan,
    candidate_imputers,
    choose_imputer,
    rarest_class_rows,
)

__all__ = ["BudgetedMultimodalClassifier"]

_SIMULATION_ONLY = ("uniform", "full")
_DEFAULT_BUDGET = 0.1


def _default_selector(modalities, device, n_jobs, verbose, n_samples=None):
    """ModalitySelector with its defaults, which choose by data size.

    Up to 1,000 rows a regularised linear model retrained per subset on
    stratified folds (it learns from 50 rows, where a small net
    predicts the majority class); above, the small net on ``device`` with
    masked utilities.
    """
    estimator = None
    if n_samples is not None and n_samples > LINEAR_MAX_ROWS:
        estimator = _default_estimator(None).set_params(device=device)
    return ModalitySelector(
        estimator,
        modalities=modalities,
        n_jobs=n_jobs,
        utility="auto" if estimator is None else "masked",
        verbose=max(verbose - 1, 0),
    )


def _default_imputer(modalities, device, verbose):
    """ClassConditionalGaussianImputer: in the imputer comparison
    (``bench/experiments_imputers.py``, docs) no generator beat leaving the
    blocks to the classifier, and the flow never beat this linear imputer,
    whose fidelity was the best on three of four datasets, at a fraction of
    the cost."""
    return ClassConditionalGaussianImputer(modalities=modalities)


def _default_flow(modalities, device, verbose):
    """FlowImputer with 4 coupling layers and 50 epochs (its defaults, 8 and
    200, take ~110 s on ``alzheimers``; these ~14 s): the flow candidate of
    ``imputer="auto"``."""
    from ..impute import FlowImputer

    return FlowImputer(
        modalities=modalities,
        n_flows=4,
        max_epochs=50,
        device=device,
        verbose=max(verbose - 1, 0),
    )


def _default_classifier(modalities, device, verbose):
    from ..neural import MultimodalNetClassifier

    return MultimodalNetClassifier(
        modalities=modalities, device=device, verbose=max(verbose - 1, 0)
    )


def _classifier_has(attr):
    """The classifier (fitted, given, or the default) has ``attr``."""

    def check(self):
        if hasattr(self, "classifier_"):
            return hasattr(self.classifier_, attr)
        return hasattr(self._classifier_template(), attr)

    return check


class BudgetedMultimodalClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Select the key modalities, spend a budget on them, generate the rest.

    The SK-LL method of the paper as one classifier: a selector scores the
    modality subsets and picks the key subset, :func:`make_plan` turns the
    budget into new rows, an imputer generates the modalities the new rows
    lack, and a classifier trains on everything.

    It runs in two modes:

    - ``available=None``: the data are taken as they are. Rows lacking
      modalities (collected under some earlier plan) are completed by the
      imputer, then the classifier trains on all rows; the same as
      ``Pipeline([selector, imputer, classifier])``. ``plan_`` is the plan for
      the *next* acquisition, with ``budget`` a fraction of the rows given.
    - ``available`` set: a simulation of the paper's protocol (Section 4.1)
      on complete data, to ask what a budget would buy before spending it. A
      stratified part of ``available`` rows is the data already collected;
      the budget buys new rows from the others according to ``strategy``.

    Read more in the :ref:`User Guide <budgets>`, the paper's Section 4.1
    and the :ref:`design of record <design>`.

    Parameters
    ----------
    modalities : dict or None, default=None
        Mapping ``name -> column selector`` (as in ``ColumnTransformer``);
        None is one modality ``"all"`` of every column (then there is no key
        subset to select: the selector is not fitted). Handed to the parts
        this estimator builds, and to parts passed whose own ``modalities``
        is None.
    budget : float or int, default=None
        New-data budget: a float in (0, 1] is a fraction of the training rows
        (in modality-observations at the average cost), an int >= 1 a number
        of cost units. See :func:`make_plan`. None is 0.1. With
        ``available=None`` the budget only sets ``plan_`` (the next
        acquisition): the fit, hence every score, is the same for every
        budget, so a budget that is set (0.1 too, as a grid search sets it)
        warns. Set ``available`` to compare budgets.
    available : float or int, default=None
        None: use the data as they are. A float in (0, 1) or an int >= 1:
        simulate, with that fraction or number of the training rows as the
        data already collected (``X`` must then be complete).
    strategy : {"skll", "skll_no_generation", "uniform", "full", \
"available_only"}, default="skll"
        How the budget is spent (simulation) or how incomplete rows are used:

        - ``"available_only"``: no new rows (the paper's lower bound); with
          ``available=None``, train on the complete rows only;
        - ``"uniform"``: new complete rows, the budget spread over all
          modalities (the paper's baseline; simulation only);
        - ``"skll"``: the selector, fitted on the available rows, picks the
          key subset; the new rows carry only it; the imputer generates the
          rest;
        - ``"skll_no_generation"``: the same rows left incomplete, for a
          classifier that handles missing modalities itself (no imputer);
        - ``"full"``: new complete rows as if every modality had its own
          budget (the paper's upper bound; simulation only).
    costs : dict of str -> float, default=None
        Cost of one observation of each modality; None is 1 each. Handed to
        the selector's key rule.
    key : {"paper", "gain_per_cost", "simulate"}, default="gain_per_cost"
        Rule the selector uses for the key subset (its ``key`` parameter;
        see :class:`~sklearn_skll.ModalitySelector` and the user guide,
        "Choosing the key subset"). A selector without a ``key`` parameter
        keeps its own ``selected_modalities_``. Only ``"paper"`` reads C(S),
        so only then is the selector's
        :class:`~sklearn_skll.exceptions.CooperationWarning` (C(S) undefined
        for some subsets) passed on; the subsets stay listed in
        ``selector_.utilities_``.
    selector : estimator, default=None
        Fitted on the available rows; must expose ``selected_modalities_``
        (a :class:`~sklearn_skll.ModalitySelector` also gives the key with
        its confidence and notes to ``plan_``). None is a
        :class:`~sklearn_skll.ModalitySelector` with its defaults, which
        choose by data size: a regularised linear model retrained per
        subset up to 1,000 rows, a small net with masked utilities above.
        A selector with ``key``, ``budget`` or ``costs`` parameters (also
        one level down, ``selector__key``) gets this estimator's values: they
        describe the acquisition simulated here. One given with such a
        parameter set to a value other than its default and this
        estimator's raises a ``ValueError`` at ``fit`` (set it here instead):
        neither setting silently replaces the other. The selector passed is
        never changed; ``selector_`` is a fitted clone.
    imputer : transformer, "auto" or None, default=None
        Fills the missing modality blocks. Training rows are filled through
        ``fit_transform(X, y)``, so an imputer that uses labels (the package's
        two) generates each training row with its own class; rows to predict
        go through ``transform(X)``, which never sees a label. None is a
        :class:`~sklearn_skll.ClassConditionalGaussianImputer`: in the
        package's comparison (user guide, "Does generation earn its place?")
        the flow never beat it downstream, and it generates more faithfully
        at a fraction of the cost. Pass a
        :class:`~sklearn_skll.FlowImputer` for the paper's generator.
        "auto" compares, on held-out parts of the complete (available) rows
        with the non-key modalities hidden, the flow (``n_flows=4,
        max_epochs=50``),
        :class:`~sklearn_skll.ClassConditionalGaussianImputer`,
        :class:`~sklearn.impute.IterativeImputer` and, when the classifier
        accepts NaN, no imputation; the best score of the classifier wins
        (see ``imputer_choice_``).
    n_draws : int, default=1
        Posterior draws per incomplete training row (multiple imputation):
        each becomes ``n_draws`` rows, weighted ``1 / n_draws`` through the
        classifier's ``sample_weight``. Needs an imputer with a ``sample``
        method and a classifier whose ``fit`` takes ``sample_weight``
        (``ValueError`` otherwise); an ``imputer="auto"`` choice without
        draws fills once, with a warning.
    classifier : classifier, default=None
        Trained on the completed rows. None is a
        :class:`~sklearn_skll.MultimodalNetClassifier`.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        The one device of every torch part: the parts built by default, and
        the clones of the parts passed, whose ``device`` parameters (at any
        depth, e.g. ``selector__estimator__device``) are set to it; a part
        passed with another device gets a ``UserWarning`` saying so. Parts
        without a ``device`` parameter (scikit-learn estimators) run where
        they always do, on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the split into available rows and pool, and every part whose
        ``random_state`` is None. Same seed, same result.
    n_jobs : int, default=None
        Handed to the default selector (subset jobs in parallel).
    verbose : int, default=0
        0 silent, 1 a line per step, 2 the parts' own progress as well.

    Attributes
    ----------
    selector_ : estimator or None
        The fitted selector; None when no key subset was needed (one
        modality, or ``strategy`` in available_only / uniform / full while
        simulating).
    imputer_ : transformer or None
        The fitted imputer; None for ``strategy="skll_no_generation"`` and
        when ``imputer="auto"`` chose no imputation.
    imputer_choice_ : dict or None
        Only with ``imputer="auto"`` (else None): ``{"choice": name,
        "scores": {name: mean held-out score}}`` over ``"none"``,
        ``"gaussian"``, ``"iterative"``, ``"flow"``. With fewer than 4
        available rows in some class nothing can be compared: the default
        imputer is used with a warning, ``"choice"`` is ``"gaussian"``,
        ``"scores"`` is empty and ``"note"`` says why.
    imputer_scores_ : DataFrame or None
        Only with ``imputer="auto"`` after a comparison (else None): one row per
        candidate, columns ``score`` (mean over folds of the classifier's
        ``score``), ``std``, ``n_folds``, ``chosen``.
    classifier_ : classifier
        The fitted classifier.
    plan_ : AcquisitionPlan
        The plan used (simulation) or proposed for the next acquisition.
    key_subset_ : tuple of str or None
        The key subset of ``plan_``.
    available_indices_ : ndarray of int or None
        Rows of ``X`` taken as already collected (simulation only).
    new_indices_ : ndarray of int or None
        Rows of ``X`` bought with the budget (simulation only).
    n_train_rows_ : int
        Rows the classifier was trained on (draws counted).
    unspent_budget_ : float or None
        Cost units of the budget left unspent because the pool ran out
        (simulation only; 0.0 when the pool held every row the budget buys).
    device_ : str
        ``device`` resolved in fit (``"auto"`` to ``"cpu"`` or ``"cuda"``), so
        an unavailable device fails before any part is fitted. Every torch
        part gets ``device`` itself.
    modalities_ : dict of str -> ndarray of int
        Resolved modalities.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.

    See Also
    --------
    make_plan : The budget arithmetic.
    sklearn_skll.ModalitySelector : Scores modality subsets, picks the key.
    sklearn_skll.FlowImputer : Generates missing modalities.

    Notes
    -----
    Simulation: ``n_reference`` of the plan is the number of rows given to
    ``fit``. The rows are put in a stratified random order (one row of each
    class first); the first ``available`` rows are the collected data and
    the budget buys the next ones, so with one seed the uniform rows are a
    subset of the SK-LL rows, themselves a subset of the upper bound's.
    A budget that buys more rows than remain buys the whole pool, with a
    :class:`~sklearn_skll.exceptions.BudgetWarning`, and ``unspent_budget_``
    says how many cost units were left. Test rows (``predict``) may be complete or lack
    modalities; incomplete ones are completed by ``imputer_`` first.

    References
    ----------
    .. [1] "Select the Key, then Generate the Rest: Improving Multi-Modal
       Learning with Limited Data Budget" (SK-LL), Section 4.1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.impute import SimpleImputer
    >>> from sklearn_skll.budget import BudgetedMultimodalClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 6)); y = (X[:, 0] + X[:, 2] > 0).astype(int)
    >>> mods = {"a": [0, 1], "b": [2, 3], "c": [4, 5]}
    >>> clf = BudgetedMultimodalClassifier(
    ...     modalities=mods, available=0.3, budget=0.3, strategy="uniform",
    ...     imputer=SimpleImputer(), classifier=LogisticRegression(),
    ...     random_state=0).fit(X, y)
    >>> clf.n_train_rows_, clf.plan_.n_new_rows("uniform")
    (80, 20)
    """

    _parameter_constraints: dict = {
        **MODAL_CONSTRAINTS,
        **PLANNING_CONSTRAINTS,
        # None: the default budget (0.1), unset so that a set one can warn
        "budget": [*PLANNING_CONSTRAINTS["budget"], None],
        "available": [
            None,
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "strategy": [StrOptions(set(STRATEGIES))],
        "selector": [HasMethods(["fit"]), None],
        "imputer": [HasMethods(["fit", "transform"]), StrOptions({"auto"}), None],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
        "classifier": [HasMethods(["fit", "predict"]), None],
        "device": [DEVICES],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        modalities=None,
        budget=None,
        available=None,
        strategy="skll",
        costs=None,
        key="gain_per_cost",
        selector=None,
        imputer=None,
        n_draws=1,
        classifier=None,
        device="cpu",
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.budget = budget
        self.available = available
        self.strategy = strategy
        self.costs = costs
        self.key = key
        self.selector = selector
        self.imputer = imputer
        self.n_draws = n_draws
        self.classifier = classifier
        self.device = device
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------ the parts

    def _budget(self):
        return _DEFAULT_BUDGET if self.budget is None else self.budget

    def _classifier_template(self):
        if self.classifier is not None:
            return self.classifier
        return _default_classifier(self.modalities, self.device, self.verbose)

    def _make_part(self, part, default, seed, role="part"):
        """Clone a given part (filling its unset modalities and seeds).

        Every ``device`` parameter of the part, at any depth (the selector's
        estimator too), is set to this estimator's ``device``: one device for
        every torch part. A given part that asked for another device is told
        so with a warning.
        """
        if part is None:
            estimator = default()
            overwrite = True
        else:
            estimator = clone(part)
            overwrite = False
        params = estimator.get_params(deep=True)
        update, moved = {}, []
        for name, value in params.items():
            leaf = name.rsplit("__", 1)[-1]
            if leaf == "random_state" and (overwrite or value is None):
                update[name] = seed
            elif leaf == "modalities" and value is None and "__" not in name:
                update[name] = self.modalities
            elif leaf == "device" and (value is None or isinstance(value, str)):
                if value != self.device:
                    update[name] = self.device
                    if not overwrite and value is not None:
                        moved.append(f"{name}={value!r}")
        if moved:
            warnings.warn(
                f"The {role}'s {', '.join(moved)} is replaced by the "
                f"{type(self).__name__}'s device={self.device!r}: every torch "
                "part runs on one device. Set `device` here to choose it.",
                UserWarning,
                stacklevel=3,
            )
        if update:
            estimator.set_params(**update)
        return estimator

    def _log(self, message):
        if self.verbose:
            print(f"[{type(self).__name__}] {message}", flush=True)

    # ----------------------------------------------------------------- fit

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **params):
        """Fit the selector, plan the budget, impute, fit the classifier.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Modality blocks; a missing modality is an all-NaN block. Must be
            complete when ``available`` is set.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            Per-row metadata for the parts, each part getting the rows it is
            fit on. ``groups`` (e.g. patient ids) is accepted as it is and
            handed to the selector, whose folds then keep each group in one
            fold (several visits of a patient are never split between
            training and scoring). ``sample_weight`` is accepted as it is and
            handed to the classifier when its ``fit`` takes one (an error
            otherwise); with ``n_draws > 1`` it multiplies the draws'
            weights. The selector and the imputer are fit unweighted. With
            ``sklearn.set_config(enable_metadata_routing=True)``, every
            metadata a part requests (``groups`` for the selector's splitter,
            ``sample_weight`` for a classifier that asked for it with
            ``set_fit_request``) is routed to that part.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X_arr, y, observed = validate_modal_data(
            self, X, y, dtype=np.float64, ensure_min_samples=2
        )
        modalities_ = self.modalities_
        check_costs(self.costs, list(modalities_))  # before any part is fit
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            raise ValueError(
                "BudgetedMultimodalClassifier needs at least 2 classes in `y`. "
                f"Got {self.classes_.size} class instead."
            )
        routed = self._route(params, X_arr.shape[0])
        self.device_ = resolve_device(self.device)
        if self.n_draws > 1 and not has_fit_parameter(
            self._classifier_template(), "sample_weight"
        ):
            raise ValueError(
                f"`n_draws={self.n_draws}` weights each draw 1 / n_draws, and the "
                "classifier's fit takes no `sample_weight`. Use n_draws=1 or a "
                "classifier that takes it. Got "
                f"{type(self._classifier_template()).__name__} instead."
            )
        seeds = seed_streams(
            self.random_state, "split", "selector", "imputer", "classifier"
        )
        rng = np.random.RandomState(seeds["split"])
        names = list(modalities_)
        frame = Framer(X)

        self.selector_ = self.imputer_ = None
        self.imputer_choice_ = self.imputer_scores_ = None
        self.available_indices_ = self.new_indices_ = None
        self.unspent_budget_ = None

        if self.available is None:
            if self.budget is not None:
                warnings.warn(
                    f"`budget={self.budget!r}` only sets `plan_` when "
                    "available=None: the data are used as they are, so the "
                    "fit and its scores are the same for every budget. Set "
                    "`available` to simulate what a budget buys.",
                    UserWarning,
                    stacklevel=3,
                )
            X_train, y_train, weight, rows = self._fit_as_is(
                X_arr, y, observed, names, frame, seeds, routed
            )
        else:
            X_train, y_train, weight, rows = self._fit_simulation(
                X_arr, y, observed, names, frame, rng, seeds, routed
            )

        self.classifier_ = self._make_part(
            self.classifier,
            lambda: _default_classifier(self.modalities, self.device, self.verbose),
            seeds["classifier"],
            role="classifier",
        )
        self._log(f"fitting the classifier on {len(y_train)} rows")
        fit_params = _rows_of(routed["classifier"], rows)
        if weight is not None:
            # n_draws > 1: incomplete rows come back n_draws times, each draw
            # after the first appended in row order.
            fit_params = _expand_draws(fit_params, weight, self.n_draws)
            fit_params["sample_weight"] = (
                weight * fit_params["sample_weight"]
                if "sample_weight" in fit_params
                else weight
            )
        self.classifier_.fit(X_train, y_train, **fit_params)
        self.n_train_rows_ = len(y_train)
        return self

    def _route(self, params, n_samples):
        """Per-part metadata: routed, or plain ``groups`` for the selector and
        ``sample_weight`` for a classifier whose ``fit`` takes it."""
        if get_config().get("enable_metadata_routing", False):
            routed = process_routing(self, "fit", **params)
            parts = {
                p: dict(routed[p].fit) for p in ("selector", "imputer", "classifier")
            }
        else:
            unknown = sorted(set(params) - {"groups", "sample_weight"})
            if unknown:
                raise ValueError(
                    "BudgetedMultimodalClassifier.fit accepts `groups` and "
                    "`sample_weight` as they are; other metadata only with "
                    "sklearn.set_config(enable_metadata_routing=True). Got "
                    f"{unknown} instead."
                )
            groups = params.get("groups")
            parts = {
                "selector": {} if groups is None else {"groups": groups},
                "imputer": {},
                "classifier": {},
            }
            if params.get("sample_weight") is not None:
                template = self._classifier_template()
                if not has_fit_parameter(template, "sample_weight"):
                    raise ValueError(
                        "`sample_weight` goes to the classifier's fit, and "
                        f"{type(template).__name__}.fit takes no `sample_weight` "
                        "argument. Use a classifier that takes it, or route it "
                        "with sklearn.set_config(enable_metadata_routing=True) "
                        "and set_fit_request(sample_weight=True) on the step "
                        f"that takes it. Got {type(template).__name__} instead."
                    )
                parts["classifier"]["sample_weight"] = params["sample_weight"]
        for part in parts.values():
            for name, values in part.items():
                values = np.asarray(values)
                if values.ndim != 1 or values.shape[0] != n_samples:
                    raise ValueError(
                        f"`{name}` must hold one value per row of X "
                        f"({n_samples}). Got shape {values.shape} instead."
                    )
                if name == "sample_weight":
                    values = _check_weights(values)
                part[name] = values
        return parts

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``fit`` routes to the ``fit`` of the selector, the imputer and the
        classifier (the defaults when they are None) what each requests; the
        default selector requests ``groups`` for its folds.

        Returns
        -------
        routing : MetadataRouter
        """
        router = MetadataRouter(owner=self)
        parts = (
            (
                "selector",
                self.selector,
                lambda: _default_selector(
                    self.modalities, self.device, self.n_jobs, self.verbose
                ),
            ),
            (
                "imputer",
                self.imputer,
                lambda: _default_imputer(self.modalities, self.device, self.verbose),
            ),
            (
                "classifier",
                self.classifier,
                lambda: _default_classifier(self.modalities, self.device, self.verbose),
            ),
        )
        for name, part, default in parts:
            router.add(
                **{name: default() if part is None else part},
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        return router

    def _fit_selector(self, X, y, seed, params):
        self.selector_ = self._make_part(
            self.selector,
            lambda: _default_selector(
                self.modalities,
                self.device,
                self.n_jobs,
                self.verbose,
                n_samples=len(y),
            ),
            seed,
            role="selector",
        )
        self.selector_.set_params(**self._selector_settings(self.selector_))
        classes, counts = np.unique(y, return_counts=True)
        single = classes[counts == 1]
        if single.size and classes.size - single.size >= 2:
            # Cross-validation cannot score a class with one row; the
            # classifier still trains on it.
            warnings.warn(
                f"Classes {list(single)} have a single available row; the "
                "selector scores the modality subsets without them (the "
                "classifier still trains on every row).",
                UserWarning,
                stacklevel=4,
            )
            keep = ~np.isin(y, single)
            X = X[keep] if not hasattr(X, "iloc") else X.iloc[np.flatnonzero(keep)]
            y = y[keep]
        self._log(f"fitting the selector on {len(y)} rows")
        with warnings.catch_warnings():
            if self.key != "paper":
                # Only the paper's rule reads C(S): undefined values of it say
                # nothing about this key (``selector_.utilities_`` still lists
                # them). Without this, a grid search prints one per fit.
                warnings.simplefilter("ignore", CooperationWarning)
            self.selector_.fit(X, y, **params)
        if not hasattr(self.selector_, "selected_modalities_"):
            raise TypeError(
                "The `selector` must expose `selected_modalities_` once fitted. "
                f"Got {type(self.selector_).__name__} without it instead."
            )

    def _selector_settings(self, selector):
        """The key rule, budget and costs this estimator hands its selector.

        They describe the acquisition this estimator simulates, so a selector
        that has them (or one it wraps, as ``selector__key``) gets this
        estimator's values. A selector given with one of them set to a value
        other than its own default and this estimator's is a conflict: a
        ``ValueError`` names both, rather than one silently replacing the
        other.
        """
        own = selector.get_params(deep=True)
        update = {}
        for name, value in (
            ("key", self.key),
            ("budget", self._budget()),
            ("costs", self.costs),
        ):
            param = next((p for p in (name, f"selector__{name}") if p in own), None)
            if param is None:
                continue
            given = own[param]
            holder = own["selector"] if "__" in param else selector
            default = _default_param(holder, name)
            if self.selector is not None and not (
                _same(given, value) or _same(given, default)
            ):
                raise ValueError(
                    f"The selector's `{name}={given!r}` conflicts with "
                    f"{type(self).__name__}'s `{name}={value!r}`: this "
                    f"estimator hands its {name} to the selector. Set "
                    f"`{name}` on {type(self).__name__} and leave the "
                    f"selector's at its default ({default!r}). Got "
                    f"{param}={given!r} instead."
                )
            update[param] = value
        return update

    def _make_plan(self, names, n_reference):
        """The one code path from a budget to rows: ``plan_budget``."""
        plan = plan_budget(
            self.selector_,
            names,
            self._budget(),
            costs=self.costs,
            n_reference=n_reference,
        )
        self.plan_ = plan
        self.key_subset_ = plan.key_subset
        return plan

    def _fit_as_is(self, X, y, observed, names, frame, seeds, routed):
        if self.strategy in _SIMULATION_ONLY:
            raise ValueError(
                f"`strategy={self.strategy!r}` buys rows from a pool and is only "
                "defined when simulating; set `available` (a fraction or count of "
                "rows already collected). Got available=None instead."
            )
        X_frame = frame(X)
        rows = None
        if len(names) >= 2:
            self._fit_selector(X_frame, y, seeds["selector"], routed["selector"])
        self._make_plan(names, X.shape[0])
        complete = observed.all(axis=1)
        if self.strategy == "available_only":
            if not complete.any():
                raise ModalityError(
                    "`strategy='available_only'` trains on the complete rows, "
                    "and no row of X has every modality. Got 0 complete rows "
                    f"of {X.shape[0]} instead."
                )
            X_frame = frame(X[complete], complete)
            y = y[complete]
            rows = np.flatnonzero(complete)
        if self.strategy == "skll_no_generation":
            return X_frame, y, None, rows
        self._log(f"imputing {len(y)} rows ({int((~complete).sum())} incomplete)")
        reference = np.flatnonzero(
            complete
            if self.strategy != "available_only"
            else np.ones(len(y), dtype=bool)
        )
        imputer_params = _rows_of(routed["imputer"], rows)
        return (*self._impute(X_frame, y, reference, seeds, imputer_params), rows)

    def _fit_simulation(self, X, y, observed, names, frame, rng, seeds, routed):
        n = X.shape[0]
        if not observed.all():
            rows = np.flatnonzero(~observed.all(axis=1))
            raise ModalityError(
                "Simulating a budget (`available` set) needs complete rows: the "
                "strategies are compared on the same complete data. Got "
                f"{rows.size} rows with missing modalities (e.g. row "
                f"{int(rows[0])}) instead."
            )
        available, pool = split_available(y, self.available, rng)
        n_available = available.size
        strategy = self.strategy
        needs_key = strategy in ("skll", "skll_no_generation")
        if needs_key:
            if len(names) < 2:
                raise ModalityError(
                    f"`strategy={strategy!r}` collects a key subset and generates "
                    "the rest, which needs at least 2 modalities. Got "
                    f"{names} instead."
                )
            self._fit_selector(
                frame(X[available], available),
                y[available],
                seeds["selector"],
                _rows_of(routed["selector"], available),
            )
        plan = self._make_plan(names, n)
        n_new = plan.n_new_rows(strategy)
        self._log(
            f"simulating {strategy!r}: {n_available} available rows + "
            f"{n_new} new rows\n{plan!r}"
        )
        new, self.unspent_budget_, spend = buy_rows(plan, strategy, pool)
        if spend is not None:
            # The budget buys more than the pool holds: buy the whole pool and
            # say what was left, rather than stop (a cheap key at a large
            # budget; one cell of a protocol must not end the others).
            warnings.warn(
                f"`strategy={strategy!r}` with `budget={self._budget()!r}` would buy "
                f"{n_new} new rows, but only {pool.size} rows remain after the "
                f"{n_available} available ones: it buys all {pool.size}, and "
                f"{self.unspent_budget_:.4g} of its {spend:.4g} cost units are "
                "left unspent.",
                BudgetWarning,
                stacklevel=3,
            )
            n_new = new.size
        self.available_indices_, self.new_indices_ = available, new
        rows = np.concatenate([available, new])
        X_train = X[rows]
        if needs_key and n_new:
            hidden = hidden_blocks(names, plan.key_subset, n_available, rows.size)
            X_train = hide_modalities(X_train, self.modalities_, hidden)
        X_frame, y_train = frame(X_train, rows), y[rows]
        if strategy == "skll_no_generation":
            return X_frame, y_train, None, rows
        self._log(f"imputing {rows.size} rows")
        imputer_params = _rows_of(routed["imputer"], rows)
        reference = np.arange(n_available)
        return (*self._impute(X_frame, y_train, reference, seeds, imputer_params), rows)

    def _impute(self, X, y, reference, seeds, params):
        """Fit the imputer (chosen first with ``imputer="auto"``), fill ``X``.

        Training rows are filled with their labels (``fit_transform(X, y)``);
        with ``n_draws > 1`` each incomplete row becomes ``n_draws`` draws,
        weighted ``1 / n_draws``. Returns ``X, y, sample_weight`` (None).
        """
        seed = seeds["imputer"]
        imputer = self.imputer
        if isinstance(imputer, str):  # "auto"
            choice, imputer = self._choose_imputer(X, y, reference, seed)
            if choice == "none":
                return X, y, None
        self.imputer_ = self._make_part(
            imputer,
            lambda: _default_imputer(self.modalities, self.device, self.verbose),
            seed,
            role="imputer",
        )
        if self.n_draws == 1:
            X_out = self.imputer_.fit_transform(X, y, **params)
            return same_container(X_out, X), y, None
        if not hasattr(self.imputer_, "sample"):
            if isinstance(self.imputer, str):
                warnings.warn(
                    f"`n_draws={self.n_draws}` is ignored: the imputer chosen by "
                    f"imputer='auto' ({type(self.imputer_).__name__}) draws no "
                    "samples; each row is filled once.",
                    UserWarning,
                    stacklevel=4,
                )
                X_out = self.imputer_.fit_transform(X, y, **params)
                return same_container(X_out, X), y, None
            raise ValueError(
                f"`n_draws={self.n_draws}` needs an imputer with a "
                "`sample(X, y, n_draws=...)` method (FlowImputer, "
                "ClassConditionalGaussianImputer). Got "
                f"{type(self.imputer_).__name__} instead."
            )
        incomplete = ~observed_modalities(
            np.asarray(X, dtype=np.float64), self.modalities_
        ).all(axis=1)
        self.imputer_.fit(X, y, **params)
        draws = self.imputer_.sample(X, y, n_draws=self.n_draws)
        parts = [same_container(draws[0], X)] + [
            same_container(draw[incomplete], _take_rows(X, incomplete))
            for draw in draws[1:]
        ]
        X_out = (
            pd.concat(parts) if isinstance(parts[0], pd.DataFrame) else np.vstack(parts)
        )
        y_out = np.concatenate([y] + [y[incomplete]] * (self.n_draws - 1))
        weight = np.where(incomplete, 1.0 / self.n_draws, 1.0)
        weight = np.concatenate([weight] + [weight[incomplete]] * (self.n_draws - 1))
        return X_out, y_out, weight

    def _choose_imputer(self, X, y, reference, seed):
        """``imputer="auto"``: held-out comparison on the reference rows."""
        n_rarest = rarest_class_rows(y[reference])
        if n_rarest < MIN_ROWS_PER_CLASS:
            # Too few complete rows to compare anything: the default imputer,
            # said openly, rather than a fit that stops (e.g. one fold of a
            # grid search, one seed of a protocol).
            reason = (
                f"imputer='auto' needs at least {MIN_ROWS_PER_CLASS} complete "
                f"rows of each class to compare imputers; the rarest class has "
                f"{n_rarest} of the {len(reference)} available rows, so the "
                "default ClassConditionalGaussianImputer is used without a "
                "comparison."
            )
            warnings.warn(reason, UserWarning, stacklevel=5)
            self.imputer_scores_ = None
            self.imputer_choice_ = {"choice": "gaussian", "scores": {}, "note": reason}
            return "gaussian", None
        classifier = self._make_part(
            self.classifier,
            lambda: _default_classifier(self.modalities, self.device, self.verbose),
            seed,
            role="classifier",
        )
        candidates = candidate_imputers(
            self.modalities,
            X.shape[1],
            _default_flow(self.modalities, self.device, self.verbose),
            seed,
        )
        candidates["flow"].set_params(random_state=seed)
        if not accepts_nan(classifier):
            del candidates["none"]
        key = self.key_subset_
        names = list(self.modalities_)
        hidden = None
        if key is not None and 0 < len(key) < len(names):
            hidden = [name for name in names if name not in key]
        self._log(
            f"choosing the imputer among {list(candidates)} on {len(reference)} rows"
        )
        choice, table = choose_imputer(
            candidates,
            classifier,
            _take_rows(X, reference),
            y[reference],
            self.modalities_,
            hidden,
            seed,
        )
        self.imputer_scores_ = table
        self.imputer_choice_ = {
            "choice": choice,
            "scores": table["score"].to_dict(),
        }
        self._log(f"imputer='auto' chose {choice!r}:\n{table}")
        return choice, candidates[choice]

    def __getstate__(self):
        # Plain values and arrays only (see sklearn_skll._persist): safe for
        # skops.io; tables are kept as tagged dicts and rebuilt on load.
        return to_portable(dict(super().__getstate__()))

    def __setstate__(self, state):
        super().__setstate__(from_portable(dict(state)))

    # ------------------------------------------------------------- predict

    def _prepare(self, X):
        """Validate ``X`` and complete its incomplete rows with the imputer."""
        check_is_fitted(self)
        X_arr, _, _ = validate_modal_data(
            self, X, reset=False, allow_none=False, dtype=np.float64
        )
        X_frame = Framer(X)(X_arr)
        if self.imputer_ is not None:
            # Only missing blocks change; complete rows go through unchanged.
            return same_container(self.imputer_.transform(X_frame), X_frame)
        return X_frame

    def predict(self, X):
        """Predict classes; incomplete rows are completed by ``imputer_`` first.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._prepare(X)
        return self.classifier_.predict(X)

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the classifier, after completing rows.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._prepare(X)
        return self.classifier_.predict_proba(X)

    @available_if(_classifier_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the classifier, after completing rows.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._prepare(X)
        return self.classifier_.predict_log_proba(X)

    @available_if(_classifier_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the classifier, after completing rows.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X = self._prepare(X)
        return self.classifier_.decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        try:
            inner = get_tags(self._classifier_template())
        except ImportError:  # the default parts are not importable
            return tags
        tags.non_deterministic = inner.non_deterministic
        tags.classifier_tags.poor_score = inner.classifier_tags.poor_score
        tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        return tags


def _check_weights(values):
    """``sample_weight`` as floats: finite, non-negative, not all zero."""
    try:
        weights = values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "`sample_weight` must hold numbers, one per row of X. Got dtype "
            f"{values.dtype} instead."
        ) from exc
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            "`sample_weight` must be finite and non-negative. Got "
            f"{weights[rows[0]]!r} in row {int(rows[0])} ({rows.size} such "
            "rows) instead."
        )
    if not weights.any():
        raise ValueError(
            "`sample_weight` must give some row a positive weight. Got all "
            "zeros instead."
        )
    return weights


def _rows_of(params, rows):
    """The metadata ``params`` of one part for the rows it is fit on."""
    if rows is None:
        return dict(params)
    return {name: values[rows] for name, values in params.items()}


_MISSING = object()


def _default_param(estimator, name):
    """The default of ``estimator``'s constructor parameter ``name``."""
    parameter = inspect.signature(type(estimator).__init__).parameters.get(name)
    return _MISSING if parameter is None else parameter.default


def _same(a, b):
    """Parameter values that are equal (dicts and numbers included)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _expand_draws(params, weight, n_draws):
    """Per-row metadata for the rows of ``n_draws`` imputation draws.

    The first ``n`` training rows keep their order; the incomplete ones
    (weight ``1 / n_draws``) follow ``n_draws - 1`` more times.
    """
    n = len(weight) - (n_draws - 1) * int(np.sum(weight < 1) / n_draws)
    incomplete = np.flatnonzero(weight[:n] < 1)
    index = np.concatenate([np.arange(n)] + [incomplete] * (n_draws - 1))
    return {name: values[index] for name, values in params.items()}


def _take_rows(X, rows):
    """Rows of an ndarray or DataFrame (positions or a boolean mask)."""
    return X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]
