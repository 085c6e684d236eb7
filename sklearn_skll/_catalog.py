"""The package's public estimators and records, in one list.

The top of the package: it names every estimator package, so nothing below
imports it (``_persist`` keeps portable state only and imports no
estimator). The classes are imported on first use, because the net and the
flow import torch.

- :data:`ESTIMATORS`: every public estimator, name -> defining package;
- :data:`RECORDS`: the plain records fitted estimators keep (plans);
- :func:`public_estimators`: the classes themselves;
- :func:`trusted_types`: the types ``skops.io.load`` must trust to load a
  saved estimator.
"""

import importlib

__all__ = ["ESTIMATORS", "RECORDS", "public_estimators", "trusted_types"]

#: Every public estimator: class name -> the package that exports it.
ESTIMATORS = {
    "ModalitySelector": "sklearn_skll.selection",
    "FlowImputer": "sklearn_skll.impute",
    "ClassConditionalGaussianImputer": "sklearn_skll.impute",
    "MultimodalNetClassifier": "sklearn_skll.neural",
    "BudgetedMultimodalClassifier": "sklearn_skll.budget",
    "AcquisitionRanker": "sklearn_skll.acquisition",
}

#: The plain records fitted estimators keep: class name -> package.
RECORDS = {
    "AcquisitionPlan": "sklearn_skll.planning",
    "StrategyPlan": "sklearn_skll.planning",
}


def _load(name):
    package = ESTIMATORS.get(name) or RECORDS[name]
    return getattr(importlib.import_module(package), name)


def public_estimators():
    """The public estimator classes, in the order of :data:`ESTIMATORS`.

    Returns
    -------
    classes : list of type
    """
    return [_load(name) for name in ESTIMATORS]


def trusted_types():
    """The types a saved ``sklearn_skll`` estimator needs ``skops.io`` to trust.

    :func:`skops.io.load` refuses any type it does not know as safe unless the
    caller trusts it. These are computed from the package's one list of
    estimators: every public estimator (:data:`ESTIMATORS`) and the plain
    records they keep (:data:`RECORDS`, the acquisition plans); together with
    the types ``skops`` trusts by default (NumPy, SciPy, scikit-learn,
    builtins), they cover every estimator of the package, with its default or
    its fast parts, fitted on arrays or DataFrames (the persistence tests
    check each). With MLflow: ``mlflow.sklearn.log_model(model, name=...,
    serialization_format="skops", skops_trusted_types=trusted_types())``. Always check
    :func:`skops.io.get_untrusted_types` of a file from elsewhere before
    loading it: a file that needs more types than these holds something else
    (e.g. your own classifier inside a ``BudgetedMultimodalClassifier``).

    Returns
    -------
    types : list of str
        Fully qualified type names, as :func:`skops.io.load` takes them.

    Examples
    --------
    >>> import numpy as np
    >>> import skops.io as sio
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_skll import ModalitySelector, trusted_types
    >>> y = np.arange(40) % 2
    >>> X = np.random.RandomState(0).randn(40, 4) + y[:, None]
    >>> sel = ModalitySelector(LogisticRegression(), cv=2,
    ...                        modalities={"a": [0, 1], "b": [2, 3]}).fit(X, y)
    >>> data = sio.dumps(sel)
    >>> set(sio.get_untrusted_types(data=data)) <= set(trusted_types())
    True
    >>> loaded = sio.loads(data, trusted=trusted_types())
    >>> loaded.selected_modalities_ == sel.selected_modalities_
    True
    """
    types = [_load(name) for name in (*ESTIMATORS, *RECORDS)]
    return sorted(f"{t.__module__}.{t.__qualname__}" for t in types)
