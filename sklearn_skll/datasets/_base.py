"""Shared helpers for the dataset loaders: the returned ``Bunch`` and data paths."""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["DATA_MODULE", "data_path", "make_bunch"]

#: Package that holds the vendored data files (``sklearn_skll/datasets/data``).
DATA_MODULE = "sklearn_skll.datasets.data"


def data_path(filename):
    """Return a path-like ``Traversable`` to a vendored data file."""
    return resources.files("sklearn_skll.datasets").joinpath("data", filename)


def make_bunch(
    data,
    target,
    target_names,
    modalities,
    descr,
    *,
    as_frame=True,
    return_X_y=False,
    target_column="target",
    **extra,
):
    """Build the ``Bunch`` (or ``(X, y)``) every loader returns.

    Parameters
    ----------
    data : DataFrame of shape (n_samples, n_features)
        Named columns; the modality blocks are contiguous or not, it does
        not matter.
    target : array-like of shape (n_samples,)
        Encoded target (integers for classification).
    target_names : array-like of str
        Class names, ``target_names[target]`` is the label of a row.
    modalities : dict of str -> list of str
        Column names per modality, in order.
    descr : str
        The ``DESCR`` text.
    as_frame : bool, default=True
        ``False`` turns ``data`` into a float ndarray and ``modalities``
        into lists of column positions.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the ``Bunch``.
    target_column : str, default="target"
        Name of the target column in ``frame``.
    **extra
        Further fields of the ``Bunch`` (ground truth, splits, ...).
    """
    target = np.asarray(target)
    feature_names = np.asarray(data.columns, dtype=object)
    if as_frame:
        frame = data.copy()
        frame[target_column] = target
        mods = {name: list(cols) for name, cols in modalities.items()}
    else:
        position = {col: i for i, col in enumerate(data.columns)}
        mods = {name: [position[c] for c in cols] for name, cols in modalities.items()}
        data = data.to_numpy(dtype=np.float64)
        frame = None
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        target_names=np.asarray(target_names),
        feature_names=feature_names,
        modalities=mods,
        DESCR=descr,
        **extra,
    )


def modality_table(modalities):
    """One line per modality, ``name (width): first columns...``, for DESCR."""
    lines = []
    for name, cols in modalities.items():
        shown = ", ".join(map(str, cols[:4])) + (", ..." if len(cols) > 4 else "")
        lines.append(f"    {name} ({len(cols)}): {shown}")
    return "\n".join(lines)


def as_dataframe(array, columns):
    """Wrap ``array`` as a float DataFrame with the given column names."""
    return pd.DataFrame(np.asarray(array, dtype=np.float64), columns=list(columns))
