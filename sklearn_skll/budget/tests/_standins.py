"""Fast stand-in parts for testing the budgeted meta-estimator.

They follow the parts' contracts (modalities parameter, all-NaN blocks as
missing modalities, ``selected_modalities_`` / ``utilities_``) without torch.
"""

from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_skll._modalities import observed_modalities, resolve_modalities


class BlockMeanImputer(TransformerMixin, BaseEstimator):
    """Fill all-NaN modality blocks with column means of the observed rows."""

    def __init__(self, *, modalities=None, random_state=None):
        self.modalities = modalities
        self.random_state = random_state

    def fit(self, X, y=None):
        self.modalities_ = resolve_modalities(self.modalities, X)
        X = validate_data(self, X, ensure_all_finite="allow-nan")
        self.means_ = np.nan_to_num(np.nanmean(X, axis=0)) if X.size else X
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            reset=False,
            ensure_all_finite="allow-nan",
            dtype=np.float64,
            copy=True,
        )
        observed = observed_modalities(X, self.modalities_)
        for k, idx in enumerate(self.modalities_.values()):
            rows = np.flatnonzero(~observed[:, k])
            X[np.ix_(rows, idx)] = self.means_[idx]
        return X

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        if hasattr(self, "feature_names_in_"):
            return np.asarray(self.feature_names_in_, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)


class UtilitySelector(BaseEstimator):
    """Score subsets with a logistic regression; select the best pair."""

    def __init__(self, *, modalities=None, cv=3, random_state=None):
        self.modalities = modalities
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y):
        self.modalities_ = resolve_modalities(self.modalities, X, min_modalities=2)
        X = validate_data(self, X, ensure_all_finite="allow-nan")
        names = list(self.modalities_)
        observed = observed_modalities(X, self.modalities_)
        base = np.max(np.unique(y, return_counts=True)[1]) / len(y)
        rows = []
        for size in range(1, len(names) + 1):
            for subset in combinations(range(len(names)), size):
                keep = observed[:, subset].all(axis=1)
                cols = np.concatenate([self.modalities_[names[k]] for k in subset])
                score = cross_val_score(
                    LogisticRegression(max_iter=200),
                    X[np.ix_(keep, cols)],
                    y[keep],
                    cv=self.cv,
                ).mean()
                rows.append(([names[k] for k in subset], size, score - base))
        self.utilities_ = pd.DataFrame(rows, columns=["modalities", "size", "utility"])
        pairs = self.utilities_[self.utilities_["size"] == min(2, len(names))]
        best = pairs.sort_values("utility", ascending=False, kind="stable").iloc[0]
        self.selected_modalities_ = list(best["modalities"])
        return self

    def transform(self, X):
        return X


class RecordingClassifier(LogisticRegression):
    """A LogisticRegression that keeps a copy of what ``fit`` received."""

    def fit(self, X, y, sample_weight=None):
        self.fit_X_ = np.array(X, dtype=float, copy=True)
        self.fit_type_ = type(X)
        return super().fit(np.nan_to_num(np.asarray(X, dtype=float)), y, sample_weight)

    def predict(self, X):
        return super().predict(np.nan_to_num(np.asarray(X, dtype=float)))

    def predict_proba(self, X):
        return super().predict_proba(np.nan_to_num(np.asarray(X, dtype=float)))
