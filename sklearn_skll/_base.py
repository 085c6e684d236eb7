"""What the four estimators share: the container of their output."""

import numpy as np
import pandas as pd

__all__ = ["same_container"]


def same_container(X_out, X_in, columns=None):
    """Return ``X_out`` in the container ``X_in`` came in.

    A DataFrame in gives a DataFrame out, with ``X_in``'s index and
    ``columns`` (default: ``X_in``'s columns), so that name-based
    ``modalities`` keep working in the next step of a Pipeline, as
    imbalanced-learn's samplers do. Anything else is returned as it is.
    ``set_output`` still rules where set: scikit-learn wraps this output.
    """
    if not isinstance(X_in, pd.DataFrame) or isinstance(X_out, pd.DataFrame):
        return X_out
    columns = X_in.columns if columns is None else columns
    return pd.DataFrame(np.asarray(X_out), columns=columns, index=X_in.index)
