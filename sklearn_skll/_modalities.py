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

A modality whose columns are all absent from ``X`` is an error (a typo must
never drop data), except where an earlier step recorded that it dropped them:
:class:`~sklearn_skll.ModalitySelector` with ``drop_unselected=True`` writes
what it dropped into the output DataFrame's ``attrs``
(:data:`DROPPED_ATTR`), the package's transformers pass the record on, and
:func:`resolve_modalities` leaves exactly the recorded modalities out.

The readers of :mod:`sklearn_skll.datasets` resolve through the same
function (``patterns=True`` adds their ``"re:PATTERN"`` selectors), so the
checks (unknown or absent columns, empty selections, overlaps) are written
once.
"""

import difflib
import re

import numpy as np

from ._compat import _get_column_indices
from .exceptions import ModalityError

__all__ = [
    "ALL_COLUMNS",
    "DROPPED_ATTR",
    "SUBSET_SEPARATOR",
    "carry_dropped",
    "check_modality_name",
    "dropped_modalities",
    "record_dropped",
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

#: Key of ``DataFrame.attrs`` under which a step that dropped whole
#: modalities records them: ``{name: [column, ...]}``. Later steps leave these
#: modalities out instead of raising (see :func:`resolve_modalities`).
DROPPED_ATTR = "sklearn_skll.dropped_modalities"

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
    if isinstance(selector, re.Pattern):
        return repr(f"re:{selector.pattern}")
    text = repr(selector)
    return text if len(text) <= 80 else text[:77] + "..."


def _short(values, limit=8):
    values = list(values)
    text = ", ".join(map(repr, values[:limit]))
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return "[" + text + more + "]"


# --------------------------------------------------------------------------- #
# What an earlier step dropped
# --------------------------------------------------------------------------- #
def dropped_modalities(X):
    """The modalities an earlier step recorded dropping from ``X``.

    Parameters
    ----------
    X : object
        Usually a DataFrame; anything else holds no record.

    Returns
    -------
    dropped : dict of str -> list of str
        ``name -> column names``, from ``X.attrs[DROPPED_ATTR]`` (empty
        when there is no record).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_skll._modalities import dropped_modalities, record_dropped
    >>> X = pd.DataFrame({"a0": [1.0], "b0": [2.0]})
    >>> out = record_dropped(X[["a0"]].copy(), X, {"b": ["b0"]})
    >>> dropped_modalities(out)
    {'b': ['b0']}
    """
    attrs = getattr(X, "attrs", None)
    record = attrs.get(DROPPED_ATTR) if isinstance(attrs, dict) else None
    if not isinstance(record, dict):
        return {}
    return {str(k): [str(c) for c in v] for k, v in record.items()}


def record_dropped(X_out, X_in, dropped):
    """Record on the DataFrame ``X_out`` that ``dropped`` modalities were dropped.

    The record of ``X_in`` (modalities dropped by steps before) is kept, so
    two dropping steps in a row add up. Anything but a DataFrame is returned
    as it is (an array has nowhere to keep a record).

    Parameters
    ----------
    X_out : DataFrame or ndarray
        The output of the dropping step (changed in place).
    X_in : object
        The step's input.
    dropped : dict of str -> list of str
        ``name -> column names`` of the modalities dropped.

    Returns
    -------
    X_out : DataFrame or ndarray
    """
    if not hasattr(X_out, "attrs"):
        return X_out
    record = {**dropped_modalities(X_in), **dropped_modalities(X_out)}
    record.update({str(k): [str(c) for c in v] for k, v in dropped.items()})
    if record:
        X_out.attrs[DROPPED_ATTR] = record
    return X_out


def carry_dropped(X_out, X_in):
    """Pass ``X_in``'s record of dropped modalities on to ``X_out``.

    Transformers that build a new DataFrame call it, so that the steps after
    them still know what was dropped before. Returns ``X_out``.
    """
    record = dropped_modalities(X_in)
    if record and hasattr(X_out, "attrs") and X_out is not X_in:
        X_out.attrs[DROPPED_ATTR] = {
            **record,
            **dropped_modalities(X_out),
        }
    return X_out


# --------------------------------------------------------------------------- #
# Resolution
# --------------------------------------------------------------------------- #
def resolve_modalities(
    modalities,
    X,
    *,
    min_modalities=1,
    param="modalities",
    patterns=False,
    source="X",
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
    patterns : bool, default=False
        Also accept ``"re:PATTERN"``: the columns whose name matches the
        regular expression ``PATTERN`` (``re.search``), as the dataset
        readers do.
    source : str, default="X"
        How messages name ``X`` (the readers say "the table").

    Returns
    -------
    modalities_ : dict of str -> ndarray of int
        Sorted integer column indices per modality, in the order given.

    Raises
    ------
    ModalityError
        If a name is not a string or contains ``"+"``, a selector selects
        nothing or columns ``X`` does not have (a modality whose named
        columns are all absent too: a typo never drops a modality), two
        modalities share a column, or fewer than ``min_modalities``
        modalities are given.

    Notes
    -----
    The one exception to "absent is an error": a modality that an earlier
    step recorded dropping (``X.attrs[DROPPED_ATTR]``, written by
    :class:`~sklearn_skll.ModalitySelector` with ``drop_unselected=True``
    and passed on by the package's transformers) and whose columns are all
    absent is left out. A record that does not cover a modality never hides
    it.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_skll import resolve_modalities
    >>> X = pd.DataFrame(columns=["mri_a", "mri_b", "age"], dtype=float)
    >>> resolve_modalities({"mri": ["mri_a", "mri_b"], "demo": "age"}, X)
    {'mri': array([0, 1]), 'demo': array([2])}
    >>> resolve_modalities({"mri": ["mri_a", "mri_typo"]}, X)
    Traceback (most recent call last):
    ...
    sklearn_skll.exceptions.ModalityError: Modality `mri` in `modalities` names column(s) ['mri_typo'] that are not in X ...
    """  # noqa: E501
    n_features = _n_columns(X)
    if modalities is None:
        resolved = {ALL_COLUMNS: np.arange(n_features, dtype=np.intp)}
    else:
        if not isinstance(modalities, dict):
            raise ModalityError(
                f"`{param}` must be a dict mapping modality names to column "
                f"selectors, or None. Got {type(modalities).__name__} instead."
            )
        dropped = dropped_modalities(X)
        resolved, left_out = {}, []
        for name, selector in modalities.items():
            check_modality_name(name, param)
            if patterns:
                selector = _compile_pattern(name, selector)
            if dropped and _was_dropped(name, selector, X, dropped):
                left_out.append(name)
                continue
            resolved[name] = _resolve_one(name, selector, X, n_features, param, source)
        if modalities and not resolved:
            raise ModalityError(
                f"Every modality of `{param}` ({list(modalities)}) was dropped "
                "by an earlier step (its record on X says so): nothing is left "
                "to fit. Got columns "
                f"{_short(map(str, getattr(X, 'columns', [])))} instead."
            )
        _check_disjoint(resolved, param, getattr(X, "columns", None))
    if len(resolved) < min_modalities:
        raise ModalityError(
            f"`{param}` must define at least {min_modalities} "
            f"{'modality' if min_modalities == 1 else 'modalities'} for "
            f"this estimator. Got {len(resolved)} instead "
            f"({list(resolved) if modalities is not None else 'None'})."
        )
    return resolved


def _compile_pattern(name, selector):
    """``"re:PATTERN"`` -> a compiled pattern (the readers' vocabulary)."""
    if not (isinstance(selector, str) and selector.startswith("re:")):
        return selector
    try:
        return re.compile(selector[3:])
    except re.error as exc:
        raise ModalityError(
            f"Modality `{name}` has an invalid regular expression "
            f"{selector[3:]!r} ({exc}). Got {selector!r} instead."
        ) from exc


def _named_columns(selector):
    """The column names ``selector`` lists (a str or list of str), or None."""
    names = [selector] if isinstance(selector, str) else selector
    if isinstance(names, (list, tuple)) and names:
        if all(isinstance(n, str) for n in names):
            return list(names)
    return None


def _was_dropped(name, selector, X, dropped):
    """An earlier step recorded dropping ``name`` and none of it is left."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return False
    present = set(map(str, columns))
    recorded = set(dropped.get(name, ()))
    named = _named_columns(selector)
    if named is not None:
        all_recorded = name in dropped or recorded.union(*dropped.values()) >= set(
            named
        )
        return all_recorded and not present.intersection(named)
    if name not in dropped:
        return False
    if isinstance(selector, re.Pattern):
        return not any(selector.search(c) for c in present)
    if callable(selector):
        try:
            key = selector(X)
        except Exception:  # noqa: BLE001 - the resolver reports it
            return False
        return _is_empty(key)
    return False


def _is_empty(key):
    if isinstance(key, np.ndarray):
        return key.size == 0 or (key.dtype == bool and not key.any())
    if isinstance(key, (list, tuple)):
        return not key or (
            all(isinstance(k, (bool, np.bool_)) for k in key) and not any(key)
        )
    return False


def _is_int(k):
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _positions(key):
    """Integer positions of an int / list of int / int array key, else None."""
    if _is_int(key):
        return [int(key)]
    if isinstance(key, np.ndarray) and key.dtype.kind in "iu" and key.ndim == 1:
        return key.tolist()
    if isinstance(key, (list, tuple)) and key and all(_is_int(k) for k in key):
        return [int(k) for k in key]
    return None


def _absent_message(name, missing, named, X, param, source):
    columns = [str(c) for c in X.columns]
    close = {}
    for col in missing:
        match = difflib.get_close_matches(str(col), columns, n=1, cutoff=0.7)
        if match:
            close[col] = match[0]
    hint = ""
    if close:
        hint = (
            " Did you mean "
            + ", ".join(f"{v!r} for {k!r}" for k, v in close.items())
            + "?"
        )
    if len(missing) == len(named):
        what = (
            f"none of its {len(named)} column(s) is present and no earlier "
            "step recorded dropping it: a typo must "
            "not drop a modality"
        )
    else:
        what = f"{len(missing)} of its {len(named)} columns"
    return (
        f"Modality `{name}` in `{param}` names column(s) {_short(missing)} that "
        f"are not in {source} ({what}).{hint} Got columns {_short(columns)} "
        "instead."
    )


def _resolve_one(name, selector, X, n_features, param, source="X"):
    columns = getattr(X, "columns", None)
    named = _named_columns(selector)
    if named is not None and columns is not None:
        present = set(columns)
        missing = [c for c in named if c not in present]
        if missing:
            raise ModalityError(_absent_message(name, missing, named, X, param, source))
    if named is not None and columns is None:
        raise ModalityError(
            f"Modality `{name}` in `{param}` names columns {_short(named)}, "
            f"but {source} is an array without column names: pass a DataFrame, "
            "or select the columns by position. Got an array of shape "
            f"{getattr(X, 'shape', None)} instead."
        )
    if isinstance(selector, re.Pattern):
        if columns is None:
            raise ModalityError(
                f"Modality `{name}` selects columns by the regular expression "
                f"{selector.pattern!r}, but {source} has no column names. Got "
                "an array instead."
            )
        key = [c for c in columns if selector.search(str(c))]
        if not key:
            raise ModalityError(
                f"Modality `{name}` selects no column of {source}: no column "
                f"name matches the regular expression {selector.pattern!r} "
                f"(columns: {_short(columns)}). Got "
                f"{_describe(selector)} instead."
            )
    else:
        key = selector(X) if callable(selector) else selector
    _check_key_type(name, selector, key, param)
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
    positions = _positions(key)
    if positions is not None:
        outside = [p for p in positions if not 0 <= p < n_features]
        if outside:
            raise ModalityError(
                f"Modality `{name}` in `{param}` selects column position(s) "
                f"{_short(outside)}, but {source} has {n_features} columns "
                f"(positions 0 to {n_features - 1}). If an earlier step dropped "
                "columns of an array (a ModalitySelector with "
                "`drop_unselected=True`), the positions moved: fit on a "
                "DataFrame so that modalities match columns by name, or set "
                "drop_unselected=False. Got "
                f"{_describe(selector)} instead."
            )
    try:
        indices = _get_column_indices(X, key)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModalityError(
            f"Modality `{name}` in `{param}`: selector {_describe(selector)} "
            f"does not fit {source} with {n_features} columns ({exc}). Got "
            f"{_describe(key)} instead."
        ) from exc
    indices = np.asarray(indices, dtype=np.intp)
    if indices.size and (indices.min() < 0 or indices.max() >= n_features):
        raise ModalityError(
            f"Modality `{name}` in `{param}`: selector {_describe(selector)} "
            f"selects a column outside {source}'s {n_features} columns. Got "
            f"indices {indices.tolist()} instead."
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


def _check_key_type(name, selector, key, param):
    """``key`` is in ``ColumnTransformer``'s vocabulary, or a clear error."""
    kinds = (
        "a column name, a list of names, integer positions or booleans, a "
        "slice, a boolean or integer array, or a callable returning one"
    )
    if isinstance(key, (str, slice)) or _is_int(key):
        return
    if isinstance(key, np.ndarray):
        ok = key.ndim == 1 and key.dtype.kind in "biuUO"
    elif isinstance(key, (list, tuple)):
        ok = all(isinstance(k, (str, bool, np.bool_)) or _is_int(k) for k in key)
    else:
        ok = hasattr(key, "__array__") or hasattr(key, "tolist")  # a pandas Index
    if not ok:
        got = _describe(key)
        what = "" if key is selector else f" (returned by {_describe(selector)})"
        raise ModalityError(
            f"Modality `{name}` in `{param}` must select columns with {kinds}. "
            f"Got {got}{what} of type {type(key).__name__} instead."
        )


def _check_disjoint(resolved, param, columns=None):
    owner = {}
    for name, idx in resolved.items():
        for j in idx.tolist():
            if j in owner:
                col = f"`{columns[j]}`" if columns is not None else str(j)
                raise ModalityError(
                    f"Modalities `{owner[j]}` and `{name}` in `{param}` overlap: "
                    f"both select column {col}. Each column may belong to one "
                    f"modality only. Got column {col} in both instead."
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


def hide_modalities(X, modalities_, hidden, *, copy=True):
    """Return ``X`` with modality blocks set to NaN (a copy by default).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    modalities_ : dict of str -> ndarray of int
    hidden : array-like of bool, shape (n_modalities,) or (n_samples, n_modalities)
        True where a modality must be hidden (in all rows for a 1-D mask).
    copy : bool, default=True
        False hides the blocks in ``X`` itself when it is a float64 array
        (a copy of the caller's rows it may change).

    Returns
    -------
    X_hidden : ndarray of float64
    """
    if copy:
        X_hidden = np.array(X, dtype=np.float64, copy=True)
    else:
        X_hidden = np.asarray(X, dtype=np.float64)
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
