"""Retraining with the preprocessing fitted once per fold, not once per subset.

The selector's default estimator at pilot sizes is a pipeline of per-column
steps (mean imputation, standardisation) and a logistic regression. A
per-column step fitted on all columns and then sliced to a subset's columns
gives exactly what the same step fitted on the subset's columns alone gives,
so :class:`FoldwiseRetrainEngine` fits the preprocessing once per fold (per
set of training rows: subsets observed on different rows get their own) and
retrains only the final model per subset, on column slices. The scores, the
bootstrap replicates and hence every table of the selector are those of
:class:`~sklearn_skll.selection._utility.RetrainEngine`; only the repeated
fitting and validation of the preprocessing is saved (and one job per fold
instead of one per subset and fold).
"""

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.utils.parallel import delayed

from .._modalities import restrict_modalities, subset_name
from .._threads import single_threaded_job
from ..exceptions import ModalityError
from ._utility import RetrainEngine, _baseline, _fold_rows, _score_rows

__all__ = ["FoldwiseRetrainEngine"]


@single_threaded_job
def _fit_score_fold(estimator, X, y, jobs, scorer):
    """Fit the preprocessing once per set of rows, the final step per subset.

    ``jobs`` holds ``(columns, train_rows, test_rows, weights)`` per subset.
    Returns ``(score, baseline, boot, baseline_boot)`` per subset.
    """
    prep, model = estimator[:-1], clone(estimator[-1])
    shared, out = {}, []
    for columns, tr, te, w in jobs:
        rows = (tr.tobytes(), te.tobytes())
        if rows not in shared:
            fitted = clone(prep).fit(X[tr], y[tr])
            shared[rows] = (
                fitted.transform(X[tr]),
                fitted.transform(X[te]),
                _baseline(scorer, y[tr], y[te], w),
            )
        Z_train, Z_test, (base, base_boot) = shared[rows]
        # The inputs are the preprocessing's finite output and the final
        # step's parameters are fixed: its validation would only repeat. Each
        # fit starts afresh (no warm start), so one clone serves every subset.
        with config_context(assume_finite=True, skip_parameter_validation=True):
            model.fit(Z_train[:, columns], y[tr])
            score, boot = _score_rows(scorer, model, Z_test[:, columns], y[te], w)
        out.append((score, base, boot, base_boot))
    return out


class FoldwiseRetrainEngine(RetrainEngine):
    """:class:`RetrainEngine` for a pipeline of per-column steps and a model.

    Exact only when every step before the last acts on each column alone
    (``SimpleImputer``, ``StandardScaler``...): the selector uses it for its
    own default estimator, and nothing else.
    """

    def evaluate(self, subsets):
        subsets = [frozenset(s) for s in subsets]
        per_fold = [[] for _ in self.folds]
        n_rows = {}
        for s in subsets:
            names = self._ordered(s)
            name = subset_name(names)
            columns, _ = restrict_modalities(self.modalities_, names)
            cols = self._cols(s)
            n_rows[s] = int(self.observed[:, cols].all(axis=1).sum())
            if n_rows[s] == 0:
                raise ModalityError(
                    f"Subset `{name}` is fully observed in no row, so its "
                    "utility cannot be measured. Got 0 rows with all of "
                    f"{names} observed instead."
                )
            columns = np.asarray(columns, dtype=np.intp)
            for k, (train, test) in enumerate(self.folds):
                tr, te = _fold_rows(self.observed, cols, train, test, name, k, self.y)
                per_fold[k].append((columns, tr, te, self._weights(k, test, te)))
        jobs = [
            delayed(_fit_score_fold)(self.estimator, self.X, self.y, fold, self.scorer)
            for fold in per_fold
        ]
        results = self._run(
            jobs, self._desc(f"{len(subsets)} subsets x {len(self.folds)} folds")
        )
        self.n_fits_ += len(subsets) * len(self.folds)
        return {
            s: self._aggregate([fold[i] for fold in results], n_rows[s])
            for i, s in enumerate(subsets)
        }
