"""The bootstrap's fast path, the progress label and the summarised warning."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from sklearn_skll.exceptions import CooperationWarning
from sklearn_skll.selection import ModalitySelector

MODS = {"strong": [0, 1], "weak": [2, 3], "noise": [4, 5]}


def make_data(n=90, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 6))
    X[:, :2] += y[:, None] * 1.5
    X[:, 2:4] += y[:, None] * 0.3
    return X, y


def accuracy_callable(estimator, X, y, sample_weight=None):
    """Accuracy as a plain callable: the scorer path, one call a resample."""
    return accuracy_score(y, estimator.predict(X), sample_weight=sample_weight)


@pytest.mark.parametrize("utility", ["retrain", "masked"])
def test_accuracy_bootstrap_in_one_product_equals_one_call_a_resample(utility):
    X, y = make_data()
    params = {
        "modalities": MODS,
        "cv": 3,
        "n_bootstrap": 40,
        "utility": utility,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CooperationWarning)
        fast = ModalitySelector(LogisticRegression(), scoring="accuracy", **params)
        slow = ModalitySelector(
            LogisticRegression(), scoring=accuracy_callable, **params
        )
        fast.fit(X, y)
        slow.fit(X, y)
    columns = [
        "utility",
        "utility_std",
        "utility_ci_low",
        "utility_ci_high",
        "cooperation_std",
    ]
    np.testing.assert_allclose(
        fast.utilities_[columns].to_numpy(dtype=float),
        slow.utilities_[columns].to_numpy(dtype=float),
        rtol=0,
        atol=1e-12,
    )
    np.testing.assert_allclose(fast.shapley_std_, slow.shapley_std_, atol=1e-12)
    assert (fast.utilities_["utility_std"] > 0).all()


def test_progress_bar_says_it_includes_the_bootstrap(capsys):
    X, y = make_data(60)
    ModalitySelector(
        LogisticRegression(),
        modalities=MODS,
        cv=2,
        n_repeats=1,
        n_bootstrap=25,
        verbose=1,
        random_state=0,
    ).fit(X, y)
    assert "7 subsets x 2 folds, 25 bootstrap resamples each" in capsys.readouterr().err


def test_one_summarised_cooperation_warning_per_fit():
    # No signal anywhere, whatever the folds: every utility is exactly 0.
    X, y = np.zeros((90, 6)), np.arange(90) % 2
    messages = []
    for seed in range(3):  # the same text every fit, so Python shows it once
        with pytest.warns(CooperationWarning) as record:
            selector = ModalitySelector(
                LogisticRegression(), modalities=MODS, cv=3, random_state=seed
            ).fit(X, y)
        # Our own warning: other libraries' may come first (scikit-learn 1.6's
        # LogisticRegression warns too).
        found = [
            w
            for w in record
            if issubclass(w.category, CooperationWarning) and "C(S)" in str(w.message)
        ]
        assert len(found) == 1
        assert found[0].filename == __file__  # points at the caller's fit
        assert selector.utilities_["cooperation"].isna().sum() >= 1
        messages.append(str(found[0].message))
    assert len(set(messages)) == 1 and "`utilities_` lists them" in messages[0]
