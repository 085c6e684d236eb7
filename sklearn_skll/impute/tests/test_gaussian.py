import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import r2_score

from sklearn_skll.exceptions import ModalityError
from sklearn_skll.impute import ClassConditionalGaussianImputer

MODS = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}


def _data(n=300, seed=0):
    """Two classes with different means; modalities linearly related."""
    rng = np.random.RandomState(seed)
    y = rng.randint(2, size=n)
    t = rng.normal(size=(n, 2)) + 1.5 * y[:, None]
    X = np.hstack(
        [
            t @ rng.normal(size=(2, 3)),
            t @ rng.normal(size=(2, 2)),
            t @ rng.normal(size=(2, 4)),
        ]
    )
    return X + 0.3 * rng.normal(size=X.shape), y


def _hide(X, cols, rows):
    X = X.copy()
    X[np.ix_(rows, cols)] = np.nan
    return X


def test_recovers_linear_modalities_and_keeps_observed_values():
    X, y = _data()
    X_miss = _hide(X, MODS["b"], np.arange(200, 300))
    imp = ClassConditionalGaussianImputer(modalities=MODS).fit(X_miss[:200], y[:200])
    out = imp.transform(X_miss)
    assert np.array_equal(out[:, MODS["a"] + MODS["c"]], X[:, MODS["a"] + MODS["c"]])
    assert np.array_equal(out[:200], X[:200])
    assert r2_score(X[200:, 3:5], out[200:, 3:5]) > 0.7
    assert imp.class_means_.shape == (2, 9) and imp.covariance_.shape == (9, 9)
    assert 0 <= imp.shrinkage_ <= 1


def test_label_aware_fit_transform_uses_own_class_and_transform_is_label_free():
    X, y = _data()
    rows = np.arange(0, 300, 3)
    X_miss = _hide(X, MODS["a"] + MODS["b"], rows)
    imp = ClassConditionalGaussianImputer(modalities=MODS)
    aware = imp.fit_transform(X_miss, y)
    free = imp.transform(X_miss)
    assert not np.allclose(aware[rows], free[rows])
    assert np.array_equal(
        aware[np.setdiff1d(np.arange(300), rows)], X[np.setdiff1d(np.arange(300), rows)]
    )
    # The own class is closer to the truth than the other class.
    wrong = clone(imp).fit(X_miss, y)
    wrong_out = wrong._fill(
        wrong._check_input(X_miss)[0], wrong._check_input(X_miss)[1], 1 - y, None, 1
    )[0]
    cols = MODS["a"] + MODS["b"]
    assert r2_score(X[np.ix_(rows, cols)], aware[np.ix_(rows, cols)]) > r2_score(
        X[np.ix_(rows, cols)], wrong_out[np.ix_(rows, cols)]
    )
    # Without labels: fit(X).transform(X).
    assert np.array_equal(
        clone(imp).fit_transform(X_miss), clone(imp).fit(X_miss).transform(X_miss)
    )


def test_sample_is_seeded_and_spread():
    X, y = _data()
    X_miss = _hide(X, MODS["c"], np.arange(50))
    imp = ClassConditionalGaussianImputer(modalities=MODS, random_state=0).fit(
        X_miss, y
    )
    draws = imp.sample(X_miss, n_draws=4)
    assert draws.shape == (4,) + X.shape
    assert np.array_equal(draws, imp.sample(X_miss, n_draws=4))
    assert not np.allclose(draws[0], draws[1])
    assert np.array_equal(draws[:, 50:], np.broadcast_to(X[50:], (4, 250, 9)))
    with pytest.raises(ValueError, match="`n_draws`"):
        imp.sample(X_miss, n_draws=0)


def test_dataframe_in_dataframe_out_and_named_modalities():
    X, y = _data()
    df = pd.DataFrame(
        _hide(X, MODS["b"], np.arange(10)), columns=[f"f{i}" for i in range(9)]
    )
    mods = {"a": ["f0", "f1", "f2"], "b": ["f3", "f4"], "c": ["f5", "f6", "f7", "f8"]}
    out = ClassConditionalGaussianImputer(modalities=mods).fit_transform(df, y)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(df.columns)
    assert not out.isna().any().any()


def test_errors():
    X, y = _data(40)
    with pytest.raises(ModalityError, match="at least 2"):
        ClassConditionalGaussianImputer(modalities=MODS).fit(
            _hide(
                _hide(X, MODS["a"], np.arange(0, 40, 2)), MODS["b"], np.arange(1, 40, 2)
            ),
            y,
        )
    imp = ClassConditionalGaussianImputer(modalities=MODS).fit(X, y)
    with pytest.raises(ModalityError, match="partly missing"):
        Xp = X.copy()
        Xp[0, 0] = np.nan
        imp.transform(Xp)
    with pytest.raises(ValueError, match="unseen"):
        imp.sample(X, y + 5)


@pytest.mark.parametrize("shrinkage", ["auto", 0.3])
def test_the_fit_by_blocks_of_columns_is_the_plain_computation(monkeypatch, shrinkage):
    """The fit standardizes one copy in place and takes the moments by blocks
    of columns: the same numbers as the textbook computation, any block."""
    from sklearn.covariance import LedoitWolf, ShrunkCovariance

    from sklearn_skll.impute import _gaussian

    rng = np.random.RandomState(3)
    X = rng.normal(size=(300, 7)) * rng.uniform(0.5, 3, 7) + rng.normal(size=7)
    y = rng.randint(0, 3, 300)
    X[:, :2] += y[:, None]
    X[:60, 2:5] = np.nan
    mods = {"a": [0, 1], "b": [2, 3, 4], "c": [5, 6]}
    imp = ClassConditionalGaussianImputer(modalities=mods, shrinkage=shrinkage)
    imp.fit(X, y)
    monkeypatch.setattr(_gaussian, "_BLOCK_VALUES", 600)  # 2 columns a block
    blocked = clone(imp).fit(X, y)
    np.testing.assert_array_equal(blocked.covariance_, imp.covariance_)
    np.testing.assert_array_equal(blocked.mean_, imp.mean_)
    # the textbook computation, with scikit-learn's estimators
    mean, std = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
    Z = (X - mean) / std
    complete = ~np.isnan(X).any(axis=1)
    means = np.array([np.nanmean(Z[y == c], axis=0) for c in range(3)])
    resid = Z[complete] - means[y[complete]]
    est = (
        LedoitWolf(assume_centered=True)
        if shrinkage == "auto"
        else ShrunkCovariance(shrinkage=shrinkage, assume_centered=True)
    ).fit(resid)
    np.testing.assert_allclose(imp.covariance_, est.covariance_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(imp.mean_, mean, rtol=1e-13)
