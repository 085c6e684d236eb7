"""The ``modalities`` data model shared by every estimator.

A *modality* is a named group of columns of one 2-D ``X``. The ``modalities``
parameter maps names to column selectors with exactly the vocabulary of
:class:`~sklearn.compose.ColumnTransformer`: a column name, a list of names or
of integer positions, a slice, a boolean mask, or a callable such as
:func:`~sklearn.compose.make_column_selector`. Fitted estimators keep the
resolved form, ``modalities_``: an ordered ``dict`` name -> sorted ``int``
indices.

A modality is *missing* in a row when all its columns are NaN. A modality that
is only partly NaN is not missing; by default that is an error.
"""

import numpy as np

from ._compat import _get_column_indices
from .exceptions import ModalityError

__all__ = [
    "ALL_COLUMNS",
    "SUBSET_SEPARATOR",
    "check_modality_name",
    "resolve_modalities",
    "check_modalities_fit",
    "observed_modalities",
    "hide_modalities",
    "restrict_modalities",
    "modality_columns",
    "subset_name",
]

#: Name of the single modality used when ``modalities=None``.
ALL_COLUMNS = "all"

#: Joins modality names into a subset's name (``"mri+pet"``) in tables,
#: plots and plans; modality names may not contain it, so that every subset
#: name is unambiguous.
SUBSET_SEPARATOR = "+"


def check_modality_name(name, param="modalities", error=None):
    """Check that ``name`` can name a modality; return it.

    A modality name is a non-empty string without :data:`SUBSET_SEPARATOR`:
    subset names join modality names with it, so ``"a"``, ``"b"`` and
    ``"a+b"`` would give two different subsets the name ``"a+b"``.

    Parameters
    ----------
    name : object
        The candidate name.
    param : str, default="modalities"
        Parameter name used in error messages.
    error : type, default=None
        Exception class raised (a ``ValueError`` subclass); default
        :class:`~sklearn_skll.exceptions.ModalityError`.

    Returns
    -------
    name : str

    Examples
    --------
    >>> from sklearn_skll._modalities import check_modality_name
    >>> check_modality_name("mri")
    'mri'
    """
    error = ModalityError if error is None else error
    if not isinstance(name, str) or not name:
        raise error(
            f"Modality names in `{param}` must be non-empty strings. "
            f"Got {name!r} instead."
        )
    if SUBSET_SEPARATOR in name:
        raise error(
            f"Modality names in `{param}` must not contain "
            f"{SUBSET_SEPARATOR!r}, which joins modality names into subset "
            f"names (so 'a', 'b' and 'a{SUBSET_SEPARATOR}b' would collide); "
            f"rename the modality. Got {name!r} instead."
        )
    return name


def subset_name(names):
    """The display name of a modality subset: names joined by ``"+"``.

    Parameters
    ----------
    names : iterable of str
        Modality names, in the order to show.

    Returns
    -------
    name : str

    Examples
    --------
    >>> from sklearn_skll._modalities import subset_name
    >>> subset_name(["mri", "pet"])
    'mri+pet'
    """
    return SUBSET_SEPARATOR.join(str(n) for n in names)


def _n_columns(X):
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        raise ValueError(
            "Expected a 2-D array or DataFrame `X` to resolve `modalities`. "
            f"Got an object of shape {shape} instead."
        )
    return shape[1]


def _describe(selector):
    text = repr(selector)
    return text if len(text) <= 80 else text[:77] + "..."


def resolve_modalities(
    modalities, X, *, min_modalities=1, param="modalities", absent="raise"
):
    """Resolve a ``modalities`` specification against ``X``.

    Parameters
    ----------
    modalities : dict or None
        Mapping ``name -> column selector`` (str, list of str or int, slice,
        boolean mask, int array or callable), as in
        :class:`~sklearn.compose.ColumnTransformer`. ``None`` means a single
        modality named ``"all"`` made of every column.
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        The data the selectors are applied to. Column names are only
        available when ``X`` is a DataFrame.
    min_modalities : int, default=1
        The least number of modalities the caller needs.
    param : str, default="modalities"
        Parameter name used in error messages.
    absent : {"raise", "skip"}, default="raise"
        What to do with a modality that names its columns (a str or a list
        of str) when ``X`` is a DataFrame holding none of them. ``"skip"``
        leaves it out: an earlier step (a
        :class:`~sklearn_skll.ModalitySelector` with
        ``drop_unselected=True``) dropped it, so the later steps of a
        Pipeline keep only the modalities whose columns are present.
        ``"raise"`` treats it as an unknown column. A modality with only
        some of its columns present is an error either way.

    Returns
    -------
    modalities_ : dict of str -> ndarray of int
        Sorted integer column indices per modality, in the order given.

    Raises
    ------
    ModalityError
        If a name is not a string or contains ``"+"``, a selector selects
        nothing or unknown columns, two modalities share a column, or fewer
        than ``min_modalities`` modalities are given.
    """
    n_features = _n_columns(X)
    if modalities is None:
        resolved = {ALL_COLUMNS: np.arange(n_features, dtype=np.intp)}
    else:
        if not isinstance(modalities, dict):
            raise ModalityError(
                f"`{param}` must be a dict mapping modality names to column "
                f"selectors, or None. Got {type(modalities).__name__} instead."
            )
        resolved = {}
        for name, selector in modalities.items():
            check_modality_name(name, param)
            if absent == "skip" and _all_named_columns_absent(selector, X):
                continue
            resolved[name] = _resolve_one(name, selector, X, n_features, param)
        if modalities and not resolved:
            raise ModalityError(
                f"None of the columns named by `{param}` is in X: every modality "
                f"({list(modalities)}) is absent. Got columns "
                f"{_describe(list(map(str, X.columns)))} instead."
            )
        _check_disjoint(resolved, param)
    if len(resolved) < min_modalities:
        raise ModalityError(
            f"`{param}` must define at least {min_modalities} modalities for "
            f"this estimator. Got {len(resolved)} instead "
            f"({list(resolved) if modalities is not None else 'None'})."
        )
    return resolved


def _all_named_columns_absent(selector, X):
    """``selector`` names columns of which the DataFrame ``X`` has none."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return False
    names = [selector] if isinstance(selector, str) else selector
    if not isinstance(names, (list, tuple)) or not names:
        return False
    if not all(isinstance(n, str) for n in names):
        return False
    present = set(map(str, columns))
    return not any(n in present for n in names)


def _resolve_one(name, selector, X, n_features, param):
    key = selector(X) if callable(selector) else selector
    if isinstance(key, np.ndarray) and key.dtype == bool and key.ndim == 1:
        if key.shape[0] != n_features:
            raise ModalityError(
                f"Modality `{name}`: boolean mask selector must have one entry "
                f"per column ({n_features}). Got {key.shape[0]} entries instead."
            )
    if (
        isinstance(key, (list, tuple))
        and key
        and all(isinstance(k, (bool, np.bool_)) for k in key)
    ):
        key = np.asarray(key, dtype=bool)
        if key.shape[0] != n_features:
            raise ModalityError(
                f"Modality `{name}`: boolean mask selector must have one entry "
                f"per column ({n_features}). Got {key.shape[0]} entries instead."
            )
    if isinstance(key, tuple):
        key = list(key)
    try:
        indices = _get_column_indices(X, key)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModalityError(
            f"Modality `{name}` in `{param}`: selector {_describe(selector)} "
            f"does not fit X with {n_features} columns ({exc}). Got "
            f"{_describe(key)} instead."
        ) from exc
    indices = np.asarray(indices, dtype=np.intp)
    if indices.size and (indices.min() < 0 or indices.max() >= n_features):
        raise ModalityError(
            f"Modality `{name}` in `{param}`: selector {_describe(selector)} "
            f"selects a column outside X's {n_features} columns. Got indices "
            f"{indices.tolist()} instead."
        )
    if indices.size == 0:
        raise ModalityError(
            f"Modality `{name}` in `{param}`: selector {_describe(selector)} "
            "selects no column. Got an empty selection instead."
        )
    unique = np.unique(indices)
    if unique.size != indices.size:
        raise ModalityError(
            f"Modality `{name}` in `{param}`: selector {_describe(selector)} "
            "selects a column more than once. Got indices "
            f"{indices.tolist()} instead."
        )
    return unique


def _check_disjoint(resolved, param):
    owner = {}
    for name, idx in resolved.items():
        for j in idx.tolist():
            if j in owner:
                raise ModalityError(
                    f"Modalities `{owner[j]}` and `{name}` in `{param}` overlap: "
                    f"both select column {j}. Each column may belong to one "
                    "modality only."
                )
            owner[j] = name


def check_modalities_fit(modalities_, n_features):
    """Check that resolved modalities fit an ``X`` with ``n_features`` columns.

    Raises
    ------
    ModalityError
        If a modality selects a column index that ``X`` does not have.
    """
    for name, idx in modalities_.items():
        if idx.size and idx.max() >= n_features:
            raise ModalityError(
                f"Modality `{name}` uses column {int(idx.max())}, but X has "
                f"{n_features} columns. Got X with {n_features} columns instead "
                f"of at least {int(idx.max()) + 1}."
            )


def modality_columns(modalities_):
    """Return all columns covered by ``modalities_``, sorted."""
    if not modalities_:
        return np.empty(0, dtype=np.intp)
    return np.sort(np.concatenate(list(modalities_.values())))


def observed_modalities(X, modalities_, *, partial="raise", allow_none=True):
    """Which modalities are observed in each row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Numeric data; missing modality blocks are all NaN.
    modalities_ : dict of str -> ndarray of int
        Resolved modalities, from :func:`resolve_modalities`.
    partial : {"raise", "observed"}, default="raise"
        What to do with a modality that is NaN in some but not all of its
        columns in a row. ``"raise"`` raises a :class:`ModalityError` naming
        the modality and rows; ``"observed"`` counts it as observed and leaves
        its NaN cells to the caller.
    allow_none : bool, default=True
        If False, a row where every modality is missing is an error.

    Returns
    -------
    observed : ndarray of bool, shape (n_samples, n_modalities)
        ``observed[i, k]`` is True when modality ``k`` (in the order of
        ``modalities_``) is observed in row ``i``.

    Raises
    ------
    ModalityError
        On a partly missing modality (``partial="raise"``), or a row with no
        observed modality (``allow_none=False``).
    ValueError
        If ``X`` holds an infinite value.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array `X`. Got {X.ndim} dimensions instead.")
    if partial not in ("raise", "observed"):
        raise ValueError(
            f"`partial` must be 'raise' or 'observed'. Got {partial!r} instead."
        )
    check_modalities_fit(modalities_, X.shape[1])
    observed = np.empty((X.shape[0], len(modalities_)), dtype=bool)
    for k, (name, idx) in enumerate(modalities_.items()):
        block = _columns(X, idx)
        if block.dtype.kind != "f":
            block = block.astype(np.float64)
        # One pass over the block: a row with a finite sum holds neither NaN
        # nor inf; only the other rows (missing, partial, inf, or a finite
        # sum that overflowed) are looked at cell by cell.
        with np.errstate(over="ignore", invalid="ignore"):
            odd = np.flatnonzero(~np.isfinite(block.sum(axis=1)))
        n_nan = np.zeros(X.shape[0], dtype=np.intp)
        if odd.size:
            cells = block[odd]
            n_nan[odd] = np.count_nonzero(np.isnan(cells), axis=1)
            # Rows all NaN hold no inf; the others are scanned for one.
            some = np.flatnonzero(n_nan[odd] < idx.size)
            inf = np.isinf(cells[some]).any(axis=1)
            if inf.any():
                raise ValueError(
                    f"Modality `{name}` holds infinite values in rows "
                    f"{_rows(odd[some[inf]])}. Only NaN may mark missing "
                    "values. Got inf instead."
                )
        missing = n_nan == idx.size
        partly = (n_nan > 0) & ~missing
        if partial == "raise" and partly.any():
            rows = np.flatnonzero(partly)
            raise ModalityError(
                f"Modality `{name}` is partly missing in rows {_rows(rows)}: a "
                "modality is missing only when all its columns are NaN. Impute "
                "the partial cells first, or set them all to NaN. Got "
                f"{int(n_nan[rows[0]])} NaN of {idx.size} columns in row "
                f"{int(rows[0])} instead."
            )
        observed[:, k] = ~missing
    if not allow_none:
        none = ~observed.any(axis=1)
        if none.any():
            rows = np.flatnonzero(none)
            raise ModalityError(
                f"Rows {_rows(rows)} have every modality missing "
                f"({list(modalities_)}); nothing can be predicted from them. "
                "Got all-NaN rows instead."
            )
    return observed


def _columns(X, idx):
    """``X[:, idx]``: a view when ``idx`` is a contiguous increasing range."""
    if idx.size and idx[-1] - idx[0] + 1 == idx.size and (np.diff(idx) == 1).all():
        return X[:, idx[0] : idx[-1] + 1]
    return X[:, idx]


def _rows(rows, limit=10):
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"[{shown}{more}]"


def hide_modalities(X, modalities_, hidden):
    """Return a copy of ``X`` with modality blocks set to NaN.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    modalities_ : dict of str -> ndarray of int
    hidden : array-like of bool, shape (n_modalities,) or (n_samples, n_modalities)
        True where a modality must be hidden (in all rows for a 1-D mask).

    Returns
    -------
    X_hidden : ndarray of float64
    """
    X_hidden = np.array(X, dtype=np.float64, copy=True)
    hidden = np.asarray(hidden, dtype=bool)
    if hidden.ndim == 1:
        hidden = np.broadcast_to(hidden, (X_hidden.shape[0], hidden.shape[0]))
    if hidden.shape[1] != len(modalities_):
        raise ValueError(
            f"`hidden` must have one column per modality ({len(modalities_)}). "
            f"Got {hidden.shape[1]} instead."
        )
    for k, idx in enumerate(modalities_.values()):
        rows = np.flatnonzero(hidden[:, k])
        if rows.size:
            X_hidden[np.ix_(rows, idx)] = np.nan
    return X_hidden


def restrict_modalities(modalities_, names, feature_names=None):
    """Restrict resolved modalities to ``names``, for a model fit on them alone.

    Parameters
    ----------
    modalities_ : dict of str -> ndarray of int
    names : sequence of str
        The modalities to keep, in the order to keep them.
    feature_names : ndarray of str, default=None
        Column names of the full ``X``. When given, the returned selectors
        are lists of column names, so they also work on a DataFrame.

    Returns
    -------
    columns : ndarray of int
        Columns of the full ``X`` to take, modality after modality.
    sub_modalities : dict of str -> list
        Selectors for the taken columns: positions in ``X[:, columns]`` or,
        when ``feature_names`` is given, column names.
    """
    unknown = [n for n in names if n not in modalities_]
    if unknown:
        raise ModalityError(
            f"Unknown modalities {unknown}; known ones are {list(modalities_)}. "
            f"Got {list(names)} instead."
        )
    columns = np.concatenate([modalities_[n] for n in names]).astype(np.intp)
    sub, start = {}, 0
    for n in names:
        size = modalities_[n].size
        if feature_names is not None:
            sub[n] = [str(c) for c in np.asarray(feature_names)[modalities_[n]]]
        else:
            sub[n] = list(range(start, start + size))
        start += size
    return columns, sub
