"""Column means and scales that stay finite for any finite input.

The standard deviation squares the values: above about 1e154 the squares
overflow to ``inf`` and a plain ``(x - mean) / std`` turns every value into 0.
:func:`mean_and_scale` divides each column by its largest absolute value
first, so the mean and the scale are finite whenever the data are.
"""

import warnings

import numpy as np

__all__ = ["mean_and_scale"]


def mean_and_scale(X):
    """Per-column mean and standard deviation of ``X``, ignoring NaN.

    Each column is divided by its largest absolute observed value before its
    moments are taken and multiplied back after, so the result is finite for
    any finite data (no overflow of the squares near 1e154 and above).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Floats; NaN marks a missing value.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        Mean of the observed values; 0 for a column with none.
    scale : ndarray of shape (n_features,)
        Standard deviation of the observed values; 1 where it is 0 or the
        column has no observed value, so that dividing by it is safe.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_skll._scaling import mean_and_scale
    >>> mean, scale = mean_and_scale(np.array([[1e200, 0.0], [3e200, np.nan]]))
    >>> bool(np.allclose(mean, [2e200, 0.0]) and np.allclose(scale, [1e200, 1.0]))
    True
    """
    X = np.asarray(X, dtype=np.float64)
    n_rows, n_cols = X.shape
    # Column blocks of at most _BLOCK values: the temporaries of the NaN-aware
    # moments (several copies of their input) stay a few blocks in size, not
    # a few copies of X. Each column's result is the same either way.
    step = max(1, _BLOCK // max(1, n_rows))
    mean, scale = np.empty(n_cols), np.empty(n_cols)
    for start in range(0, n_cols, step):
        block = slice(start, start + step)
        mean[block], scale[block] = _moments(X[:, block])
    return mean, scale


#: Values per column block in :func:`mean_and_scale` (8 MiB of float64).
_BLOCK = 2**20


def _moments(X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        peak = np.nanmax(np.abs(X), axis=0) if X.shape[0] else np.zeros(X.shape[1])
        peak = np.where(np.isfinite(peak) & (peak > 0), peak, 1.0)
        unit = X / peak
        mean = np.nanmean(unit, axis=0) * peak
        std = np.nanstd(unit, axis=0) * peak
    mean = np.where(np.isfinite(mean), mean, 0.0)
    scale = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    return mean, scale
