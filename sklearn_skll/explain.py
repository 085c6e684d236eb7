"""Per-sample modality attributions: Shapley values with one player per modality.

:func:`modality_shap_values` explains a fitted model's output on each row of
``X`` with the Shapley values of a game whose players are the *modalities*
(groups of columns), not the single features. The Shapley arithmetic is done
by :mod:`shap`'s own explainers (:class:`shap.explainers.ExactExplainer` and
:class:`shap.explainers.PermutationExplainer`); this module only supplies a
masker over modality groups, :class:`ModalityMasker`, which turns a mask of
``M`` binary players into rows of ``X`` where the hidden modalities are either
missing (all NaN) or taken from background rows. The result is a
:class:`shap.Explanation`, so ``shap.plots.bar``, ``beeswarm`` and
``waterfall`` work on it unchanged.
"""

import numbers
import threading

import numpy as np
import pandas as pd
import shap
from joblib import effective_n_jobs
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from ._base import SEED_MAX
from ._compat import Interval, StrOptions, validate_params
from ._modalities import observed_modalities, resolve_modalities
from ._scaling import mean_and_scale
from ._threads import single_threaded_job

__all__ = ["ModalityMasker", "modality_shap_values"]

#: Most background rows kept when ``background`` is taken from ``X``.
MAX_BACKGROUND = 100

#: Most players for which ``method="auto"`` enumerates every coalition.
MAX_EXACT_MODALITIES = 10

#: Model rows per call to the model, the size of shap's batches.
_ROWS_PER_CALL = 10_000

_GLOBAL_RNG_LOCK = threading.Lock()


class ModalityMasker(shap.maskers.Masker):
    """A shap masker whose players are modalities (groups of columns).

    Called with a boolean mask of one entry per modality and one row ``x``,
    it returns the rows on which the model is evaluated: ``x`` with every
    hidden modality (mask ``False``) either set to NaN (``background=None``),
    or replaced by the modality's values in each background row (one output
    row per background row; shap averages the model outputs over them).
    Shown modalities keep the values of ``x`` exactly.

    Parameters
    ----------
    modalities_ : dict of str -> ndarray of int
        Resolved modalities, from :func:`~sklearn_skll.resolve_modalities`.
    background : ndarray of shape (n_background, n_features), default=None
        Rows that hidden modalities are taken from. ``None`` hides a modality
        by setting its block to NaN (the modality is *missing*).

    Attributes
    ----------
    shape : tuple of (int, int)
        ``(rows per mask, number of modalities)``, as shap expects.
    clustering : None
        No partition tree: plain Shapley values over the modalities.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_skll.explain import ModalityMasker
    >>> masker = ModalityMasker({"a": np.array([0]), "b": np.array([1, 2])})
    >>> masker(np.array([True, False]), np.array([1.0, 2.0, 3.0]))
    array([[ 1., nan, nan]])
    """

    clustering = None
    immutable_outputs = True  # every call returns a fresh array

    def __init__(self, modalities_, background=None):
        self.modalities_ = modalities_
        self.background = background
        self._groups = list(modalities_.values())
        n_rows = 1 if background is None else background.shape[0]
        self.shape = (n_rows, len(self._groups))
        self.default_batch_size = max(1, _ROWS_PER_CALL // n_rows)

    def __call__(self, mask, x):
        mask = self._standardize_mask(mask, x)
        x = np.asarray(x)
        if self.background is None:
            out = x.astype(np.float64 if x.dtype != object else object)[None, :]
            for shown, idx in zip(mask, self._groups):
                if not shown:
                    out[0, idx] = np.nan
            return out
        out = np.array(self.background, copy=True)
        for shown, idx in zip(mask, self._groups):
            if shown:
                out[:, idx] = x[idx]
        return out

    def invariants(self, x):
        """Which (output row, modality) pairs do not change when shown.

        Showing a modality that is already missing in ``x`` (NaN masking), or
        whose values equal the background row's, changes nothing; shap then
        skips those model evaluations, and such a player gets exactly 0.
        """
        x = np.asarray(x)
        if self.background is None:
            return np.array([[bool(pd.isna(x[idx]).all()) for idx in self._groups]])
        inv = np.empty(self.shape, dtype=bool)
        for k, idx in enumerate(self._groups):
            bg, xk = self.background[:, idx], x[idx]
            same = (bg == xk) | (pd.isna(bg) & pd.isna(xk))
            inv[:, k] = np.asarray(same, dtype=bool).all(axis=1)
        return inv

    def mask_shapes(self, x):
        """One mask entry per modality."""
        return [(self.shape[1],)]


def _response_function(estimator, response):
    """The bound method whose output is explained, and its name."""
    if response == "auto":
        for name in ("predict_proba", "decision_function", "predict"):
            if hasattr(estimator, name):
                return getattr(estimator, name), name
        response = "predict"
    if not hasattr(estimator, response):
        raise AttributeError(
            f"`estimator` {type(estimator).__name__} has no `{response}` method "
            f"to explain; pass another `response`. Got response={response!r} "
            "instead."
        )
    return getattr(estimator, response), response


def _as_array(X, name):
    """``X`` as a float (or, for mixed tables, object) 2-D ndarray."""
    columns = X.columns if isinstance(X, pd.DataFrame) else None
    arr = X.to_numpy() if columns is not None else np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array or DataFrame. Got an array of shape "
            f"{arr.shape} instead."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"`{name}` must hold at least one row. Got 0 rows instead.")
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        arr = arr.astype(object)
    return arr, columns


def _model_function(method, columns, dtypes):
    """Wrap ``method`` so it gets a DataFrame when the model was fit on one."""
    if columns is None:
        return lambda A: np.asarray(method(A))
    # Float columns need no cast; only mixed tables get their dtypes back.
    dtypes = {c: t for c, t in dtypes.items() if t != np.float64}

    def f(A):
        frame = pd.DataFrame(A, columns=columns, copy=False)
        if dtypes:
            try:
                frame = frame.astype(dtypes)
            except (TypeError, ValueError):
                frame = frame.infer_objects()
        return np.asarray(method(frame))

    return f


def _modality_summary(X, modalities_, reference, observed):
    """Mean z-score of each modality's numeric columns against ``reference``."""
    data = np.full((X.shape[0], len(modalities_)), np.nan)
    if X.dtype == object or reference.dtype == object:
        return data
    mean, std = mean_and_scale(reference)
    z = (X - mean) / std
    for k, idx in enumerate(modalities_.values()):
        rows = observed[:, k]
        data[rows, k] = np.nanmean(z[np.ix_(rows, idx)], axis=1)
    return data


@single_threaded_job
def _explain_rows(model, masker, algorithm, rows, seeds, max_evals, names):
    """Explain ``rows`` one by one; return values and base values.

    shap's permutation explainer shuffles with NumPy's global generator: it
    is seeded per row (so results do not depend on how rows are split
    between jobs), restored afterwards, and held by one thread at a time.
    """
    if algorithm == "exact":
        return _explain(model, masker, algorithm, rows, seeds, max_evals, names)
    with _GLOBAL_RNG_LOCK:
        state = np.random.get_state()
        try:
            return _explain(model, masker, algorithm, rows, seeds, max_evals, names)
        finally:
            np.random.set_state(state)


def _explain(model, masker, algorithm, rows, seeds, max_evals, names):
    explainer = shap.Explainer(model, masker, algorithm=algorithm, feature_names=names)
    values, base = [], []
    for x, seed in zip(rows, seeds):
        if seed is not None:
            np.random.seed(seed)
        exp = explainer(x[None, :], max_evals=max_evals, silent=True)
        values.append(np.asarray(exp.values[0], dtype=np.float64))
        base.append(np.asarray(exp.base_values[0], dtype=np.float64))
    return values, base


@validate_params(
    {
        "estimator": [object],
        "X": ["array-like"],
        "modalities": [dict, None],
        "background": ["array-like", None],
        "method": [StrOptions({"auto", "exact", "permutation"})],
        "missing": [StrOptions({"auto", "nan", "background"})],
        "response": [
            StrOptions({"auto", "predict_proba", "decision_function", "predict"})
        ],
        "max_evals": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def modality_shap_values(
    estimator,
    X,
    modalities,
    *,
    background=None,
    method="auto",
    missing="auto",
    response="auto",
    max_evals="auto",
    random_state=None,
    n_jobs=None,
):
    """Shapley values of each modality, for each row of ``X``.

    The game of row ``x`` has one player per modality; the worth of a
    coalition ``S`` is the model output on ``x`` when only the modalities in
    ``S`` are shown and the others are hidden. A modality is hidden by making
    it *missing* (its block set to NaN, for models that accept missing
    modalities, such as :class:`~sklearn_skll.MultimodalNetClassifier` or
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier`; the net's
    answer with every modality hidden is its class prior, whatever its
    ``all_missing``) or by taking
    its values from background rows and averaging the outputs over them
    (interventional Shapley values). The values are computed by ``shap``'s
    exact or permutation explainer with a :class:`ModalityMasker`; they add up
    to the model output on the row: ``values.sum(axis=1) + base_values``.

    Parameters
    ----------
    estimator : fitted estimator
        The model to explain. It must have the ``response`` method.
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        The rows to explain, with the columns the estimator was fit on, in
        the same order (a DataFrame with other or reordered columns is an
        error). Rows are never changed; missing modalities (all-NaN blocks)
        may occur.
    modalities : dict or None
        Mapping ``name -> column selector``, as for the estimators (see
        :func:`~sklearn_skll.resolve_modalities`). Each modality is one
        player. ``None`` makes all columns one player, ``"all"``.
    background : {array-like, DataFrame} of shape (n_background, n_features), \
            default=None
        Rows that hidden modalities are taken from (``missing="background"``).
        ``None`` takes up to 100 rows of ``X`` drawn with ``random_state``.
        The cost of one row's explanation grows linearly with its size. With
        ``missing="nan"`` it is only the reference of the ``data`` summary.
    method : {"auto", "exact", "permutation"}, default="auto"
        ``"exact"`` enumerates all ``2**M`` coalitions of the ``M``
        modalities (:class:`shap.explainers.ExactExplainer`);
        ``"permutation"`` samples antithetic permutations
        (:class:`shap.explainers.PermutationExplainer`), exact for models
        with at most pairwise interactions between modalities. ``"auto"`` is
        exact up to 10 modalities, permutation beyond.
    missing : {"auto", "nan", "background"}, default="auto"
        How a hidden modality is hidden. ``"nan"``: its block is set to NaN,
        so the base value is the prediction with every modality missing.
        ``"background"``: its values come from each background row in turn,
        so the base value is the mean prediction over the background.
        ``"auto"`` is ``"background"`` when ``background`` is given or the
        estimator does not accept NaN (its ``allow_nan`` tag), else ``"nan"``.
    response : {"auto", "predict_proba", "decision_function", "predict"}, \
            default="auto"
        The output explained. ``"auto"`` takes the first the estimator has,
        in that order.
    max_evals : int or "auto", default="auto"
        Coalitions evaluated per row by the permutation method (each costs
        one model call per background row); ``"auto"`` is ``20 * M``, shap's
        default. The exact method always evaluates ``2**M`` coalitions and
        raises if ``max_evals`` is smaller.
    random_state : int, RandomState instance or None, default=None
        Draws the background rows from ``X`` and the permutations. Each row
        gets its own seed, so results do not depend on ``n_jobs``. NumPy's
        global random state is restored afterwards.
    n_jobs : int, default=None
        Rows are explained in this many parallel chunks
        (:class:`joblib.Parallel`). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context. The first parallel call of a
        process starts worker processes that import ``shap`` and compile
        its numba code: about 10 s on a 2-core machine
        (``bench/bench_explain.py --quick``: 10.6 s for 20 rows whose
        explanation takes 0.1 s in-process). It pays only for explanations
        that take longer than that; later calls reuse the workers.

    Returns
    -------
    explanation : shap.Explanation
        ``values`` of shape ``(n_samples, M)`` for a 1-D output (binary
        ``decision_function``, regression ``predict``) or
        ``(n_samples, M, n_outputs)`` otherwise (``predict_proba``: one output
        per class, named by ``classes_``); ``base_values`` of shape
        ``(n_samples,)`` or ``(n_samples, n_outputs)``; ``feature_names``: the
        modality names; ``output_names``: the class names where the outputs
        are per class. ``data`` of shape ``(n_samples, M)`` summarises each
        modality's values in the row: the mean z-score of its numeric columns
        against ``background`` (or against ``X`` when no background is
        given), NaN where the modality is missing. It colours the points of
        ``shap.plots.beeswarm``. Which modalities are observed is given by
        :func:`~sklearn_skll.observed_modalities`.

    Raises
    ------
    ModalityError
        If ``modalities`` does not fit ``X``.
    AttributeError
        If the estimator has no ``response`` method.
    ValueError
        If ``X`` or ``background`` has the wrong shape or columns, holds an
        infinite value, or the estimator rejects NaN with ``missing="nan"``.

    See Also
    --------
    sklearn_skll.ModalitySelector : Dataset-level modality Shapley values of
        a utility (held-out score), not of one prediction.

    Notes
    -----
    With ``missing="background"`` and independent modalities, the value of a
    linear model's logit is known in closed form: for modality ``j``,
    ``sum over its columns c of coef_c * (x_c - mean(background)_c)``. A
    modality that is missing in the row under ``missing="nan"``, or equal to
    every background row, gets exactly 0.

    References
    ----------
    .. [1] L. S. Shapley, "A value for n-person games", 1953.
    .. [2] S. M. Lundberg and S.-I. Lee, "A unified approach to interpreting
       model predictions", NeurIPS 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_skll.explain import modality_shap_values
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=500).fit(X, y)
    >>> mods = {"sepal": [0, 1], "petal": [2, 3]}
    >>> exp = modality_shap_values(clf, X[:5], mods, background=X[::10])
    >>> exp.values.shape
    (5, 2, 3)
    >>> exp.feature_names
    ['sepal', 'petal']
    >>> bool(abs(exp.values.sum(1) + exp.base_values
    ...          - clf.predict_proba(X[:5])).max() < 1e-8)
    True
    """
    check_is_fitted(estimator)
    method_fn, response = _response_function(estimator, response)
    X_raw = X
    X, columns = _as_array(X, "X")
    modalities_ = resolve_modalities(modalities, X_raw)
    n_features = getattr(estimator, "n_features_in_", X.shape[1])
    if X.shape[1] != n_features:
        raise ValueError(
            f"`X` must have the {n_features} columns `estimator` was fit on. "
            f"Got {X.shape[1]} columns instead."
        )
    _check_columns(estimator, columns)
    observed = _observed(X, modalities_)
    dtypes = X_raw.dtypes.to_dict() if columns is not None else None
    model = _model_function(method_fn, columns, dtypes)
    rng = check_random_state(random_state)

    missing = _resolve_missing(missing, estimator, background)
    if missing == "nan":
        estimator = _all_missing_as_prior(estimator)
        method_fn = getattr(estimator, response)
        model = _model_function(method_fn, columns, dtypes)
    if missing == "background":
        if background is None:
            n_bg = min(MAX_BACKGROUND, X.shape[0])
            bg = X[np.sort(rng.choice(X.shape[0], size=n_bg, replace=False))]
        else:
            bg, bg_columns = _as_array(background, "background")
            _check_background(bg, bg_columns, X, columns)
            bg = bg.astype(X.dtype)
        masker = ModalityMasker(modalities_, background=bg)
        reference = bg
    else:
        masker = ModalityMasker(modalities_)
        reference = X
        if background is not None:  # only the reference of the `data` summary
            reference, bg_columns = _as_array(background, "background")
            _check_background(reference, bg_columns, X, columns)
        _check_accepts_nan(model, masker, X[0])

    n_players = len(modalities_)
    if method == "auto":
        method = "exact" if n_players <= MAX_EXACT_MODALITIES else "permutation"
    if method == "exact":
        if max_evals != "auto" and max_evals < 2**n_players:
            raise ValueError(
                f"method='exact' evaluates all 2**{n_players} = {2**n_players} "
                "coalitions of the modalities; raise `max_evals` or use "
                f"method='permutation'. Got max_evals={max_evals} instead."
            )
        max_evals, seeds = 2**n_players, [None] * X.shape[0]
    else:
        if max_evals != "auto" and max_evals < 2 * n_players + 1:
            raise ValueError(
                f"method='permutation' needs `max_evals` >= 2 * {n_players} + 1 "
                f"= {2 * n_players + 1} (one antithetic permutation). Got "
                f"max_evals={max_evals} instead."
            )
        seeds = rng.randint(SEED_MAX, size=X.shape[0]).tolist()

    names = list(modalities_)
    chunks = [
        c for c in np.array_split(np.arange(X.shape[0]), _n_chunks(n_jobs, X)) if c.size
    ]
    results = Parallel(n_jobs=n_jobs)(
        delayed(_explain_rows)(
            model, masker, method, X[c], [seeds[i] for i in c], max_evals, names
        )
        for c in chunks
    )
    values = np.stack([v for vals, _ in results for v in vals])
    base_values = np.stack([b for _, bases in results for b in bases])

    output_names = None
    if values.ndim == 3 and response in ("predict_proba", "decision_function"):
        classes = getattr(estimator, "classes_", None)
        if classes is not None and len(classes) == values.shape[2]:
            output_names = [str(c) for c in classes]
    return shap.Explanation(
        values=values,
        base_values=base_values,
        data=_modality_summary(X, modalities_, reference, observed),
        feature_names=names,
        output_names=output_names,
    )


def _observed(X, modalities_):
    """Observed-modality flags; also rejects infinite values."""
    if X.dtype != object:
        return observed_modalities(X, modalities_, partial="observed")
    return np.column_stack(
        [~pd.isna(X[:, idx]).all(axis=1) for idx in modalities_.values()]
    )


def _resolve_missing(missing, estimator, background):
    if missing != "auto":
        return missing
    if background is not None:
        return "background"
    try:
        allow_nan = estimator.__sklearn_tags__().input_tags.allow_nan
    except AttributeError:
        allow_nan = False
    return "nan" if allow_nan else "background"


def _check_columns(estimator, columns):
    """``X``'s column names must be those the estimator was fit on, in order.

    The model and the modalities both read columns by position in the
    explained rows, so a reordered DataFrame would feed wrong columns.
    """
    fitted = getattr(estimator, "feature_names_in_", None)
    if columns is None or fitted is None:
        return
    given = [str(c) for c in columns]
    fitted = [str(c) for c in fitted]
    if given == fitted:
        return
    missing = [c for c in fitted if c not in given]
    extra = [c for c in given if c not in fitted]
    moved = [c for c, f in zip(given, fitted) if c != f and c in fitted]
    what = []
    if missing:
        what.append(f"missing {missing[:5]}")
    if extra:
        what.append(f"unknown {extra[:5]}")
    if moved and not missing and not extra:
        what.append(f"in another order (first out of place: {moved[:5]})")
    raise ValueError(
        "`X` must have the columns `estimator` was fit on, in the same order "
        f"({fitted[:5]}{' ...' if len(fitted) > 5 else ''}); reorder it with "
        "X[estimator.feature_names_in_]. Got columns "
        f"{'; '.join(what)} instead."
    )


def _all_missing_as_prior(estimator):
    """The estimator, predicting its class prior on rows with no modality.

    The empty coalition hides every modality. A
    :class:`~sklearn_skll.MultimodalNetClassifier` with ``all_missing="raise"``
    (its default) rejects such rows; its ``"prior"`` policy gives the model's
    own answer for them, the training class prior. A shallow copy carries
    that setting: the caller's estimator is not changed.
    """
    if not hasattr(estimator, "get_params"):
        return estimator
    params = estimator.get_params(deep=False)
    if params.get("all_missing") != "raise":
        return estimator
    shallow = object.__new__(type(estimator))
    shallow.__dict__.update(estimator.__dict__)
    shallow.all_missing = "prior"
    return shallow


def _check_background(bg, bg_columns, X, columns):
    if bg.shape[1] != X.shape[1]:
        raise ValueError(
            f"`background` must have the same {X.shape[1]} columns as `X`. Got "
            f"{bg.shape[1]} columns instead."
        )
    if (
        columns is not None
        and bg_columns is not None
        and not bg_columns.equals(columns)
    ):
        raise ValueError(
            "`background` must have the same column names, in the same order, "
            f"as `X` ({list(columns)[:5]}...). Got {list(bg_columns)[:5]}... "
            "instead."
        )
    if (X.dtype == object) != (bg.dtype == object):
        raise ValueError(
            "`background` and `X` must both be numeric or both be mixed "
            f"tables. Got dtypes {bg.dtype} and {X.dtype} instead."
        )


def _check_accepts_nan(model, masker, x):
    """Evaluate the empty coalition once, to fail early and clearly."""
    try:
        model(masker(np.zeros(masker.shape[1], dtype=bool), x))
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "With missing='nan' the estimator is evaluated on rows whose "
            "hidden modalities are all NaN, and it rejected them; use "
            "missing='background' or a model that accepts missing modalities. "
            f"Got this error instead: {exc}"
        ) from exc


def _n_chunks(n_jobs, X):
    return min(X.shape[0], max(1, effective_n_jobs(n_jobs)))
