"""Portable state of fitted estimators: safe to save with ``skops.io``.

Every estimator's ``__getstate__`` returns plain Python values and NumPy
arrays only: a torch module becomes its ``state_dict`` as CPU arrays, and a
pandas DataFrame, Series or Index becomes a small tagged dict. ``__setstate__``
rebuilds both. So a fitted estimator

- pickles and joblib-dumps as before (and loads on a machine without CUDA
  whatever the device it was fitted on);
- saves with :func:`skops.io.dump` and loads with :func:`skops.io.load`
  given the types of :func:`sklearn_skll.trusted_types`, which runs no code
  from the file.

This module knows no estimator: the list of the package's types lives in
``sklearn_skll._catalog``.
"""

import numpy as np
import pandas as pd

__all__ = ["to_portable", "from_portable", "module_to_arrays", "arrays_to_module"]

_TAG = "__sklearn_skll_portable__"


def module_to_arrays(module):
    """A torch module's ``state_dict`` as a dict of CPU NumPy arrays."""
    return {
        name: tensor.detach().cpu().numpy().copy()
        for name, tensor in module.state_dict().items()
    }


def arrays_to_module(module, arrays):
    """Load ``arrays`` (from :func:`module_to_arrays`) into ``module``."""
    import torch

    module.load_state_dict(
        {k: torch.from_numpy(np.asarray(v)) for k, v in arrays.items()}
    )
    return module


def _index_state(index):
    if isinstance(index, pd.RangeIndex):
        return {
            "range": [int(index.start), int(index.stop), int(index.step)],
            "name": index.name,
        }
    return {"values": _plain(index.to_numpy()), "name": index.name}


def _index_from(state):
    if "range" in state:
        return pd.RangeIndex(*state["range"], name=state["name"])
    return pd.Index(list(state["values"]), name=state["name"])


def _plain(array):
    """An object array as a list (skops keeps lists of plain values exactly)."""
    if array.dtype == object:
        return [to_portable(v) for v in array.tolist()]
    return np.array(array, copy=True)


def to_portable(value):
    """``value`` with DataFrames, Series and Indexes turned into tagged plain
    dicts (skops cannot reduce pandas' Cython index engines)."""
    if isinstance(value, pd.Index):
        return {_TAG: "Index", **_index_state(value)}
    if isinstance(value, pd.DataFrame):
        return {
            _TAG: "DataFrame",
            "columns": _index_state(value.columns),
            "index": _index_state(value.index),
            "data": [
                _plain(value.iloc[:, j].to_numpy()) for j in range(value.shape[1])
            ],
        }
    if isinstance(value, pd.Series):
        return {
            _TAG: "Series",
            "name": value.name,
            "index": _index_state(value.index),
            "data": _plain(value.to_numpy()),
        }
    if isinstance(value, dict):
        return {k: to_portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(to_portable(v) for v in value)
    return value


def _column(data):
    if isinstance(data, list):
        out = np.empty(len(data), dtype=object)
        out[:] = [from_portable(v) for v in data]
        return out
    return data


def from_portable(value):
    """Undo :func:`to_portable`."""
    if isinstance(value, dict):
        kind = value.get(_TAG)
        if kind == "Index":
            return _index_from(value)
        if kind == "DataFrame":
            columns = _index_from(value["columns"])
            data = {j: _column(col) for j, col in enumerate(value["data"])}
            frame = pd.DataFrame(data, index=_index_from(value["index"]))
            frame.columns = columns
            return frame
        if kind == "Series":
            return pd.Series(
                _column(value["data"]),
                index=_index_from(value["index"]),
                name=value["name"],
            )
        return {k: from_portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(from_portable(v) for v in value)
    return value
