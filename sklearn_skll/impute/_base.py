"""Helpers shared by the imputers, torch-free (the Gaussian imputer is numpy only)."""

import numpy as np
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ..exceptions import ModalityError


def _label_codes(y, classes, n):
    """Index in ``classes`` of each of the ``n`` labels ``y``.

    None without labels or classes; a clear error for a label unseen in fit.
    Shared by the imputers' label-aware ``fit_transform`` and ``sample``.
    """
    if y is None or classes is None:
        return None
    y = column_or_1d(y, warn=True)
    check_consistent_length(y, np.empty(n))
    known = np.isin(y, classes)
    if not known.all():
        raise ValueError(
            f"`y` holds labels unseen in fit: {np.unique(y[~known])[:5]}. "
            f"Got them where one of {list(classes)} was expected instead."
        )
    return np.searchsorted(classes, y)


def _check_fit_observed(observed, names):
    """Every modality of fit's ``X`` seen, and seen with another."""
    never = [names[k] for k in np.flatnonzero(~observed.any(axis=0))]
    if never:
        raise ModalityError(
            f"Modalities {never} are never observed in the rows given to fit, "
            "so they cannot be learned. Got only NaN in their columns instead."
        )
    if len(names) > 1:
        n_rows = observed.T.astype(np.int64) @ observed.astype(np.int64)
        for k, name in enumerate(names):
            if n_rows[k].sum() == n_rows[k, k]:
                raise ModalityError(
                    f"Modality `{name}` is never observed in the same row as "
                    "another modality, so no cross-modal mapping to or from it "
                    "can be learned: fit needs rows with several observed "
                    "modalities (complete rows). Got 0 such rows instead."
                )
