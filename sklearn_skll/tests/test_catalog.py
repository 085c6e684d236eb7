"""The one list of public estimators, and what is computed from it."""

import inspect

from sklearn.base import BaseEstimator

import sklearn_skll
from sklearn_skll import _catalog, acquisition


def test_the_catalog_lists_every_public_estimator():
    classes = _catalog.public_estimators()
    assert [c.__name__ for c in classes] == list(_catalog.ESTIMATORS)
    assert all(issubclass(c, BaseEstimator) for c in classes)
    exported = {
        name
        for module in (sklearn_skll, acquisition)
        for name in module.__all__
        if inspect.isclass(obj := getattr(module, name))
        and issubclass(obj, BaseEstimator)
    }
    assert exported == set(_catalog.ESTIMATORS)


def test_trusted_types_come_from_the_catalog():
    known = {
        f"{c.__module__}.{c.__qualname__}"
        for c in _catalog.public_estimators()
        + [_catalog._load(name) for name in _catalog.RECORDS]
    }
    assert set(sklearn_skll.trusted_types()) <= known
    assert sklearn_skll.trusted_types is _catalog.trusted_types


def test_estimators_share_their_common_parameter_constraints():
    from sklearn_skll._base import MODAL_CONSTRAINTS, TRAINING_CONSTRAINTS
    from sklearn_skll.planning import PLANNING_CONSTRAINTS

    modal = {"ModalitySelector", "FlowImputer", "ClassConditionalGaussianImputer"}
    modal |= {"MultimodalNetClassifier", "BudgetedMultimodalClassifier"}
    uses = {
        **{name: [MODAL_CONSTRAINTS] for name in modal},
        "AcquisitionRanker": [],
    }
    for name in ("FlowImputer", "MultimodalNetClassifier"):
        uses[name].append(TRAINING_CONSTRAINTS)
    for name in ("ModalitySelector", "BudgetedMultimodalClassifier"):
        uses[name].append(PLANNING_CONSTRAINTS)
    assert set(uses) == set(_catalog.ESTIMATORS)
    # the budgeted classifier's budget also takes None (its default)
    widened = {("BudgetedMultimodalClassifier", "budget")}
    for estimator in _catalog.public_estimators():
        constraints = estimator._parameter_constraints
        for block in uses[estimator.__name__]:
            for name, rule in block.items():
                if (estimator.__name__, name) in widened:
                    assert set(map(repr, rule)) < set(map(repr, constraints[name]))
                    continue
                # one rule spread in, not a copy that could drift
                assert constraints[name] is rule, (estimator.__name__, name)
