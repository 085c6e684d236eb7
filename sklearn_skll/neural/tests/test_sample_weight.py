"""sample_weight in MultimodalNetClassifier: a weighted loss, routed as metadata."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.model_selection import KFold, cross_val_score
from skorch.callbacks import Callback

from sklearn_skll.neural import MultimodalNetClassifier

MODALITIES = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}
PARAMS = dict(modalities=MODALITIES, max_epochs=8, batch_size=32, random_state=0)


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def make_data(n=240, seed=0, signal=1.0):
    rng = np.random.RandomState(seed)
    y = rng.randint(3, size=n)
    X = rng.normal(size=(n, 9))
    X[:, 0] += signal * y
    X[:, 5] += signal * y
    X[:60, 5:] = np.nan
    return X, y


@pytest.mark.parametrize("fusion", ["concat", "attention"])
@pytest.mark.parametrize("constant", [1.0, 3.5])
def test_constant_weights_equal_no_weights(fusion, constant):
    X, y = make_data()
    plain = MultimodalNetClassifier(fusion=fusion, **PARAMS).fit(X, y)
    weighted = MultimodalNetClassifier(fusion=fusion, **PARAMS)
    weighted.fit(X, y, sample_weight=np.full(y.size, constant))
    np.testing.assert_array_equal(plain.predict_proba(X), weighted.predict_proba(X))
    assert plain.history_[:, "valid_loss"] == weighted.history_[:, "valid_loss"]
    np.testing.assert_array_equal(plain.class_prior_, weighted.class_prior_)


def test_zero_weights_leave_rows_out_exactly():
    X, y = make_data()
    weights = np.ones(y.size)
    weights[::4] = 0.0
    zero = MultimodalNetClassifier(**PARAMS).fit(X, y, sample_weight=weights)
    kept = weights > 0
    without = MultimodalNetClassifier(**PARAMS).fit(X[kept], y[kept])
    np.testing.assert_array_equal(zero.predict_proba(X), without.predict_proba(X))
    np.testing.assert_array_equal(zero.class_prior_, without.class_prior_)
    np.testing.assert_array_equal(zero.mean_, without.mean_)


def test_up_weighting_a_class_moves_predictions_toward_it():
    X, y = make_data(signal=0.5)  # classes overlap: the weights decide ties
    weights = np.where(y == 2, 5.0, 1.0)
    plain = MultimodalNetClassifier(**PARAMS).fit(X, y)
    weighted = MultimodalNetClassifier(**PARAMS).fit(X, y, sample_weight=weights)
    p_plain, p_weighted = plain.predict_proba(X), weighted.predict_proba(X)
    assert p_weighted[:, 2].mean() > p_plain[:, 2].mean() + 0.1
    assert (weighted.predict(X) == 2).sum() > (plain.predict(X) == 2).sum() + 20
    # The weighted class frequency is the prior of rows with no modality.
    np.testing.assert_allclose(
        weighted.class_prior_, np.bincount(y, weights=weights) / weights.sum()
    )


def test_weights_enter_validation_and_both_loops():
    X, y = make_data()
    weights = np.random.RandomState(1).uniform(0.2, 3.0, size=y.size)
    plain = MultimodalNetClassifier(**PARAMS).fit(X, y)
    weighted = MultimodalNetClassifier(**PARAMS).fit(X, y, sample_weight=weights)
    assert weighted.history_[0, "valid_loss"] != plain.history_[0, "valid_loss"]

    class Idle(Callback):  # any batch hook: the hooked loop
        def on_batch_end(self, net, **kwargs):
            pass

    hooked = MultimodalNetClassifier(callbacks=[Idle()], **PARAMS)
    hooked.fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(weighted.predict_proba(X), hooked.predict_proba(X))


@pytest.mark.parametrize(
    "weights, message",
    [
        (-np.ones(240), "must be non-negative. Got -1.0 in row 0"),
        (np.zeros(240), "is 0 in every row"),
        (np.ones(239), r"one weight per row of `X`, shape \(240,\)"),
        (np.ones((240, 2)), r"shape \(240,\)"),
        (np.r_[np.nan, np.ones(239)], "sample_weight"),
        (np.r_[np.inf, np.ones(239)], "sample_weight"),
    ],
)
def test_bad_weights_raise_clear_errors(weights, message):
    X, y = make_data()
    with pytest.raises(ValueError, match=message):
        MultimodalNetClassifier(**PARAMS).fit(X, y, sample_weight=weights)


def test_no_row_with_weight_and_modality_raises():
    X, y = make_data()
    X[:60, :5] = np.nan  # rows 0-59 observe nothing
    weights = np.r_[np.ones(60), np.zeros(180)]
    clf = MultimodalNetClassifier(all_missing="prior", **PARAMS)
    with pytest.raises(ValueError, match="No row has both a positive `sample_weight`"):
        clf.fit(X, y, sample_weight=weights)


def test_sample_weight_is_routed_as_metadata():
    X, y = make_data()
    weights = np.where(y == 2, 4.0, 1.0)
    clf = MultimodalNetClassifier(**PARAMS)
    assert clf.get_metadata_routing().fit.requests["sample_weight"] is None
    cv = KFold(2, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_val_score(
            clf.set_fit_request(sample_weight=True).set_score_request(
                sample_weight=False
            ),
            X,
            y,
            cv=cv,
            params={"sample_weight": weights},
        )
    by_hand = [
        MultimodalNetClassifier(**PARAMS)
        .fit(X[train], y[train], sample_weight=weights[train])
        .score(X[test], y[test])
        for train, test in cv.split(X, y)
    ]
    np.testing.assert_array_equal(routed, by_hand)


def test_partial_fit_takes_weights():
    X, y = make_data()
    weights = np.where(y == 2, 5.0, 1.0)
    clf = MultimodalNetClassifier(**dict(PARAMS, validation_fraction=0))
    clf.partial_fit(X, y, classes=[0, 1, 2], sample_weight=weights)
    clf.partial_fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(
        clf.class_prior_, np.bincount(y, weights=weights) / weights.sum()
    )
