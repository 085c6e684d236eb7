"""What the four estimators share: one fit prologue.

- :func:`validate_modal_data` checks ``X`` (and ``y``) against
  ``modalities`` at fit and at every later call, and returns the observed
  mask;
- :func:`seed_streams` turns ``random_state`` into named seeds;
- :func:`same_container` and :class:`Framer` keep DataFrames DataFrames;
- :func:`format_rows` lists offending rows in error messages;
- :data:`MODAL_CONSTRAINTS` and :data:`TRAINING_CONSTRAINTS`: the parameter
  constraints the estimators share, spread into their
  ``_parameter_constraints`` (as scikit-learn's imputers share
  ``_BaseImputer._parameter_constraints``).
"""

import hashlib
import numbers
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._compat import Interval
from ._device import DEVICES
from ._modalities import _rows as format_rows
from ._modalities import carry_dropped, observed_modalities, resolve_modalities
from .exceptions import ModalityError

__all__ = [
    "MODAL_CONSTRAINTS",
    "SEED_MAX",
    "TRAINING_CONSTRAINTS",
    "Framer",
    "format_rows",
    "same_container",
    "seed_streams",
    "validate_modal_data",
]

#: Seeds handed to parts and to torch lie in ``[0, SEED_MAX)``.
SEED_MAX = np.iinfo(np.int32).max

#: Parameters of every estimator that takes ``modalities``.
MODAL_CONSTRAINTS = {
    "modalities": [dict, None],
    "random_state": ["random_state"],
}

#: Training parameters of the torch estimators (the net and the flow).
TRAINING_CONSTRAINTS = {
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "device": [DEVICES],
    "verbose": ["verbose"],
    "callbacks": [list, None],
}


def validate_modal_data(
    estimator,
    X,
    y=None,
    *,
    reset=True,
    partial="raise",
    allow_none=True,
    min_modalities=1,
    **check_params,
):
    """Validate ``X`` (and ``y``) against ``estimator.modalities``.

    At fit (``reset=True``) the modalities are resolved on ``X`` as given (a
    DataFrame keeps its column names, so name selectors work; a modality
    whose columns are all absent is an error unless an earlier step recorded
    dropping it, see :func:`~sklearn_skll.resolve_modalities`) and stored as
    ``estimator.modalities_``. At later calls ``X`` is checked against
    ``modalities_`` and the features seen in fit.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None
    observed : ndarray of bool, shape (n_samples, n_modalities)
        From :func:`~sklearn_skll.observed_modalities` with ``partial`` and
        ``allow_none``.
    """
    if not hasattr(X, "shape"):  # lists: selectors need a 2-D shape
        X = np.asarray(X)
    if reset:
        modalities_ = resolve_modalities(
            estimator.modalities, X, min_modalities=min_modalities
        )
    check_params.setdefault("ensure_all_finite", "allow-nan")
    try:
        if y is None:
            X = validate_data(estimator, X, reset=reset, **check_params)
        else:
            X, y = validate_data(estimator, X, y, reset=reset, **check_params)
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        modalities_ = modalities_ if reset else estimator.modalities_
        raise ModalityError(_not_numeric(X, modalities_)) from exc
    if reset:
        estimator.modalities_ = modalities_
    observed = observed_modalities(
        X, estimator.modalities_, partial=partial, allow_none=allow_none
    )
    return X, y, observed


def _not_numeric(X, modalities_):
    """The message for an ``X`` with a value that is not a number."""
    columns = getattr(X, "columns", None)
    values = X if columns is not None else np.asarray(X, dtype=object)
    for name, idx in modalities_.items():
        for j in idx.tolist():
            column = values.iloc[:, j] if columns is not None else values[:, j]
            for i, value in enumerate(np.asarray(column, dtype=object)):
                try:
                    float(value)
                except (TypeError, ValueError):
                    label = f"`{columns[j]}`" if columns is not None else str(j)
                    return (
                        f"Column {label} of modality `{name}` holds a value that "
                        f"is not a number ({value!r} in row {i}). Encode it "
                        "first (read_clinical_table one-hot encodes text "
                        "columns inside their modality), or leave the column "
                        f"out. Got dtype {column.dtype} instead."
                    )
    return (
        "X holds a value that is not a number outside every modality; only "
        f"numbers can be validated. Got dtype {getattr(X, 'dtypes', '?')} instead."
    )


def _stream_key(name):
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def seed_streams(random_state, *names):
    """One seed per named stream, drawn from ``random_state``.

    Each stream is a :class:`numpy.random.SeedSequence` spawned by its name
    (not by its position), so adding a stream, or drawing them in another
    order, leaves the others unchanged. An int ``random_state`` is the root
    entropy itself; a ``RandomState`` (or None) gives one draw to it.

    Returns
    -------
    seeds : dict of str -> int
        ``name -> seed`` in ``[0, SEED_MAX)``.

    Examples
    --------
    >>> from sklearn_skll._base import seed_streams
    >>> seed_streams(0, "folds", "estimator") == {
    ...     **seed_streams(0, "estimator"), **seed_streams(0, "folds")}
    True
    """
    if isinstance(random_state, numbers.Integral):
        entropy = int(random_state)
    else:
        entropy = int(check_random_state(random_state).randint(SEED_MAX))
    return {
        name: int(
            np.random.SeedSequence(
                entropy, spawn_key=(_stream_key(name),)
            ).generate_state(1)[0]
            % SEED_MAX
        )
        for name in names
    }


def same_container(X_out, X_in, columns=None):
    """Return ``X_out`` in the container ``X_in`` came in.

    A DataFrame in gives a DataFrame out, with ``X_in``'s index and
    ``columns`` (default: ``X_in``'s columns), so that name-based
    ``modalities`` keep working in the next step of a Pipeline, as
    imbalanced-learn's samplers do. Anything else, or an ``X_out`` of another
    shape, is returned as it is. ``set_output`` still rules where set:
    scikit-learn wraps this output. The record of modalities an earlier step
    dropped (:data:`~sklearn_skll._modalities.DROPPED_ATTR`) is passed on.
    """
    if not isinstance(X_in, pd.DataFrame):
        return X_out
    if isinstance(X_out, pd.DataFrame):
        return carry_dropped(X_out, X_in)
    columns = X_in.columns if columns is None else columns
    if getattr(X_out, "shape", None) != (X_in.shape[0], len(columns)):
        return X_out
    out = pd.DataFrame(np.asarray(X_out), columns=columns, index=X_in.index)
    return carry_dropped(out, X_in)


class Framer:
    """Give the parts a DataFrame when ``fit`` got one (name selectors work).

    ``Framer(X)`` remembers ``X``'s columns and index (nothing for an
    array); ``framer(X_arr, rows)`` wraps rows ``rows`` of the validated
    array back into a DataFrame, with ``X``'s record of the modalities an
    earlier step dropped.
    """

    def __init__(self, X):
        self.columns = getattr(X, "columns", None)
        self.index = getattr(X, "index", None) if self.columns is not None else None
        self.source = X if self.columns is not None else None

    def __call__(self, X, rows=None):
        if self.columns is None:
            return X
        index = None
        if self.index is not None:
            index = self.index if rows is None else self.index[rows]
            if len(index) != X.shape[0]:
                index = None
        out = pd.DataFrame(X, columns=self.columns, index=index)
        return carry_dropped(out, self.source)
