"""scikit-learn's estimator checks over every public estimator.

Each estimator runs with fast, seeded settings. ``modalities=None`` makes all
columns one modality, which is what the generic checks can feed. The one
expected failure is the same for all four: ``check_estimators_pickle`` puts
NaN in single cells of estimators that accept NaN, and in the package's data
model a modality is missing only when all its columns are NaN (a partly
missing modality is a ``ModalityError``). Pickling itself is tested in each
estimator's own tests.
"""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_skll
from sklearn_skll import (
    BudgetedMultimodalClassifier,
    ClassConditionalGaussianImputer,
    FlowImputer,
    ModalitySelector,
    MultimodalNetClassifier,
)

_PARTIAL_NAN = (
    "the check sets single cells to NaN; a modality is missing only when all "
    "its columns are NaN, and a partly missing modality is a ModalityError by "
    "design (pickling is tested in each estimator's own tests)"
)


def _fast_net(**params):
    return MultimodalNetClassifier(
        max_epochs=15, lr=1e-2, batch_size=32, random_state=0, **params
    )


def _fast_flow(**params):
    return FlowImputer(
        latent_dim=4, n_flows=2, hidden_dim=8, max_epochs=2, random_state=0, **params
    )


ESTIMATORS = [
    ModalitySelector(LogisticRegression(), modalities=None, cv=2, random_state=0),
    _fast_flow(modalities=None),
    ClassConditionalGaussianImputer(modalities=None),
    _fast_net(),
    # With one modality there is no key subset to select: the checks run the
    # `available=None` path, with the real imputer and net.
    BudgetedMultimodalClassifier(
        modalities=None,
        imputer=_fast_flow(modalities=None),
        classifier=_fast_net(),
        random_state=0,
    ),
]


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: {"check_estimators_pickle": _PARTIAL_NAN},
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_every_public_estimator_is_checked():
    public = {
        name
        for name in sklearn_skll.__all__
        if inspect.isclass(obj := getattr(sklearn_skll, name))
        and issubclass(obj, BaseEstimator)
    }
    checked = {type(est).__name__ for est in ESTIMATORS}
    assert public == checked


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_init_only_stores_keyword_only_parameters(estimator):
    signature = inspect.signature(type(estimator).__init__)
    for name, param in signature.parameters.items():
        if name == "self":
            continue
        assert param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD)
        if name != "estimator":  # SelectFromModel-style positional estimator
            assert param.kind is param.KEYWORD_ONLY, name
