"""``sample_weight`` reaches the budgeted classifier's own classifier."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neighbors import KNeighborsClassifier

from sklearn_skll.budget import BudgetedMultimodalClassifier

from ._standins import BlockMeanImputer, UtilitySelector

MODS = {"a": [0, 1], "b": [2, 3], "c": [4, 5]}


class WeightSpy(LogisticRegression):
    """A LogisticRegression that keeps the weights ``fit`` received."""

    def fit(self, X, y, sample_weight=None):
        self.seen_weight_ = None if sample_weight is None else sample_weight.copy()
        return super().fit(X, y, sample_weight=sample_weight)


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] + X[:, 2] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _make(classifier=None, **params):
    return BudgetedMultimodalClassifier(
        modalities=MODS,
        selector=UtilitySelector(),
        imputer=BlockMeanImputer(),
        classifier=WeightSpy() if classifier is None else classifier,
        random_state=0,
        **params,
    )


def test_unit_weights_equal_no_weights_and_weights_shift_the_fit():
    X, y = _data()
    plain = _make().fit(X, y)
    unit = _make().fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(unit.classifier_.coef_, plain.classifier_.coef_)
    assert plain.classifier_.seen_weight_ is None
    # Weighting class 1 up raises its predicted probability on every row.
    heavy = np.where(y == 1, 5.0, 1.0)
    weighted = _make().fit(X, y, sample_weight=heavy)
    np.testing.assert_array_equal(weighted.classifier_.seen_weight_, heavy)
    shift = weighted.predict_proba(X)[:, 1] - plain.predict_proba(X)[:, 1]
    assert (shift > 0).all()


def test_simulated_training_rows_get_their_own_weights():
    X, y = _data()
    w = np.arange(1.0, len(y) + 1)
    clf = _make(available=0.3, budget=0.2, strategy="uniform")
    clf.fit(X, y, sample_weight=w)
    rows = np.concatenate([clf.available_indices_, clf.new_indices_])
    np.testing.assert_array_equal(clf.classifier_.seen_weight_, w[rows])


def test_routed_weights_equal_plain_weights():
    X, y = _data()
    w = np.where(y == 1, 3.0, 1.0)
    plain = _make().fit(X, y, sample_weight=w)
    with config_context(enable_metadata_routing=True):
        routed = _make(WeightSpy().set_fit_request(sample_weight=True)).fit(
            X, y, sample_weight=w
        )
    np.testing.assert_allclose(routed.classifier_.coef_, plain.classifier_.coef_)


def test_weighted_cross_validation():
    X, y = _data()
    w = np.where(y == 1, 2.0, 1.0)
    out = cross_validate(
        _make(),
        X,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        params={"sample_weight": w},
        error_score="raise",
    )
    assert np.isfinite(out["test_score"]).all()


@pytest.mark.parametrize(
    "weights, match",
    [
        (np.ones(5), r"`sample_weight` must hold one value per row of X \(120\)"),
        (np.r_[np.nan, np.ones(119)], "finite and non-negative.*row 0"),
        (np.r_[np.ones(119), -1.0], "finite and non-negative.*row 119"),
        (np.zeros(120), "positive weight"),
        (np.array(["a"] * 120), "must hold numbers"),
    ],
)
def test_bad_weights_are_named(weights, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        _make().fit(X, y, sample_weight=weights)


def test_a_classifier_without_sample_weight_is_named():
    X, y = _data()
    with pytest.raises(ValueError, match="KNeighborsClassifier.fit takes no"):
        _make(KNeighborsClassifier()).fit(X, y, sample_weight=np.ones(len(y)))
