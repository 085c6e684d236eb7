"""A classifier that takes NaN, taught what a missing block means."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted


class _MaskedFitClassifier(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on the rows and on a copy with some ``blocks`` NaN.

    A classifier that takes NaN (histogram gradient boosting) and is fitted
    on complete rows only learns nothing about missing values: at predict
    time it sends them down an arbitrary branch. The copy, in which each row
    misses a random non-empty set of ``blocks`` (one block at least stays
    observed when the blocks cover every column), teaches it what a missing
    block means, as modality dropout does for a net.

    Parameters
    ----------
    estimator : classifier
        Takes NaN.
    blocks : list of array-like of int
        Column positions of each block that may be missing.
    random_state : int or None, default=None
        Seeds the blocks hidden.
    """

    def __init__(self, estimator, blocks, random_state=None):
        self.estimator = estimator
        self.blocks = blocks
        self.random_state = random_state

    def fit(self, X, y):
        rng = np.random.RandomState(self.random_state)
        X = np.asarray(X, dtype=np.float64)
        blocks = [np.asarray(b, dtype=np.intp) for b in self.blocks]
        covered = np.zeros(X.shape[1], dtype=bool)
        for b in blocks:
            covered[b] = True
        keep_one = covered.all() and len(blocks) > 1
        copy = X.copy()
        for i in range(len(copy)):
            hide = rng.uniform(size=len(blocks)) < 0.5
            hide[rng.randint(len(blocks))] = True
            if keep_one and hide.all():
                hide[rng.randint(len(blocks))] = False
            for k in np.flatnonzero(hide):
                copy[i, blocks[k]] = np.nan
        self.estimator_ = clone(self.estimator).fit(
            np.vstack([X, copy]), np.concatenate([y, y])
        )
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.estimator_.predict_proba(np.asarray(X, dtype=np.float64))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
