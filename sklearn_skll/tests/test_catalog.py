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
