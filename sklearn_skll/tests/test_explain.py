"""Tests for sklearn_skll.explain: modality-level Shapley values with shap."""

import warnings

import matplotlib

matplotlib.use("Agg")

import joblib  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shap  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from sklearn_skll import ModalityError  # noqa: E402
from sklearn_skll._compat import InvalidParameterError  # noqa: E402
from sklearn_skll.explain import ModalityMasker, modality_shap_values  # noqa: E402

MODS = {"a": [0, 1], "b": [2, 3, 4], "c": [5]}
SLICES = {"a": slice(0, 2), "b": slice(2, 5), "c": slice(5, 6)}


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 6))
    logit = X[:, 0] - 2 * X[:, 2] + X[:, 3] * X[:, 5] + 0.5 * X[:, 1]
    y = (logit + 0.3 * rng.normal(size=120) > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def logreg(data):
    X, y = data
    return LogisticRegression().fit(X, y)


def _mods_expected(coef, X, bg_mean):
    return np.column_stack(
        [(coef[s] * (X[:, s] - bg_mean[s])).sum(axis=1) for s in SLICES.values()]
    )


def test_masker_hides_only_masked_modalities():
    mods = {"a": np.array([0, 1]), "b": np.array([2])}
    x = np.array([1.0, 2.0, 3.0])
    nan_masker = ModalityMasker(mods)
    out = nan_masker(np.array([False, True]), x)
    np.testing.assert_array_equal(out, [[np.nan, np.nan, 3.0]])
    assert nan_masker.shape == (1, 2)

    bg = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    bg_masker = ModalityMasker(mods, background=bg)
    out = bg_masker(np.array([True, False]), x)
    np.testing.assert_array_equal(out, [[1.0, 2.0, 30.0], [1.0, 2.0, 60.0]])
    assert bg_masker.shape == (2, 2)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])  # row untouched
    np.testing.assert_array_equal(bg[:, 2], [30.0, 60.0])  # background untouched

    # A modality already missing in the row is invariant under NaN masking.
    inv = nan_masker.invariants(np.array([np.nan, np.nan, 3.0]))
    np.testing.assert_array_equal(inv, [[True, False]])


@pytest.mark.parametrize("method", ["exact", "permutation"])
def test_efficiency_predict_proba(data, logreg, method):
    X, _ = data
    exp = modality_shap_values(
        logreg, X[:15], MODS, background=X[::6], method=method, random_state=0
    )
    assert exp.values.shape == (15, 3, 2)
    assert exp.base_values.shape == (15, 2)
    assert exp.feature_names == ["a", "b", "c"]
    assert list(exp.output_names) == ["0", "1"]
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_values,
        logreg.predict_proba(X[:15]),
        atol=1e-10,
    )
    # base value: mean prediction over the background rows
    np.testing.assert_allclose(
        exp.base_values[0], logreg.predict_proba(X[::6]).mean(axis=0), atol=1e-10
    )


def test_linear_logit_closed_form(data, logreg):
    """Interventional values of a linear logit: sum_c coef_c (x_c - mean_bg_c)."""
    X, _ = data
    bg = X[::4]
    exp = modality_shap_values(
        logreg, X[:25], MODS, background=bg, response="decision_function"
    )
    assert exp.values.shape == (25, 3)
    expected = _mods_expected(logreg.coef_[0], X[:25], bg.mean(axis=0))
    np.testing.assert_allclose(exp.values, expected, atol=1e-10)
    np.testing.assert_allclose(
        exp.base_values, logreg.decision_function(bg).mean(), atol=1e-10
    )


def test_linear_closed_form_on_dataframe_with_callable_selectors(data):
    X, y = data
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)])
    reg = LinearRegression().fit(df, X @ np.arange(1.0, 7.0))
    mods = {
        "low": ["f0", "f1", "f2"],
        "high": lambda frame: [c for c in frame.columns if int(c[1:]) >= 3],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "X does not have valid feature names"
        exp = modality_shap_values(reg, df.iloc[:10], mods, background=df.iloc[50:])
    bg_mean = X[50:].mean(axis=0)
    expected = np.column_stack(
        [
            (reg.coef_[:3] * (X[:10, :3] - bg_mean[:3])).sum(axis=1),
            (reg.coef_[3:] * (X[:10, 3:] - bg_mean[3:])).sum(axis=1),
        ]
    )
    np.testing.assert_allclose(exp.values, expected, atol=1e-8)
    assert exp.output_names is None


def test_exact_and_permutation_agree_on_three_modalities(data):
    X, y = data
    # Depth-2 trees: at most pairwise interactions between modalities, where
    # shap's antithetic permutations are exact whatever permutations are drawn.
    reg = HistGradientBoostingRegressor(max_depth=2, max_iter=30, random_state=0)
    reg.fit(X, X[:, 0] * X[:, 3] + X[:, 5] - X[:, 2] * X[:, 5])
    kwargs = dict(background=X[::10], random_state=0)
    exact = modality_shap_values(reg, X[:10], MODS, method="exact", **kwargs)
    perm = modality_shap_values(reg, X[:10], MODS, method="permutation", **kwargs)
    np.testing.assert_allclose(perm.values, exact.values, atol=1e-10)

    # With three-way interactions (a logistic link) the sampled estimate is
    # only close; many permutations bring it near the exact value.
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    exact = modality_shap_values(clf, X[:4], MODS, method="exact", **kwargs)
    perm = modality_shap_values(
        clf, X[:4], MODS, method="permutation", max_evals=7 * 40, **kwargs
    )
    scale = np.abs(exact.values).max()
    assert np.abs(perm.values - exact.values).max() < 0.05 * scale
    assert np.abs(perm.values - exact.values).max() > 0  # it did sample


@pytest.mark.parametrize("missing", ["nan", "background"])
def test_ignored_modality_gets_zero(data, missing):
    X, y = data
    drop_c = ColumnTransformer(
        [("keep", "passthrough", [0, 1, 2, 3, 4])], remainder="drop"
    )
    model = make_pipeline(
        drop_c, HistGradientBoostingClassifier(max_iter=15, random_state=0)
    ).fit(X, y)
    exp = modality_shap_values(model, X[:12], MODS, missing=missing)
    np.testing.assert_allclose(exp.values[:, 2, :], 0.0, atol=1e-12)
    assert np.abs(exp.values[:, :2, :]).max() > 1e-3
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_values,
        model.predict_proba(X[:12]),
        atol=1e-10,
    )


def test_nan_masking_missing_modality_and_rows_unchanged(data):
    X, y = data
    clf = HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
    X_test = X[:10].copy()
    X_test[:4, 2:5] = np.nan  # modality "b" missing in four rows
    before = X_test.copy()
    exp = modality_shap_values(clf, X_test, MODS)  # auto: NaN masking (allow_nan)
    np.testing.assert_array_equal(X_test, before)
    # a missing modality cannot be hidden further: exactly 0
    assert np.all(exp.values[:4, 1, :] == 0.0)
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_values,
        clf.predict_proba(X_test),
        atol=1e-10,
    )
    # base value: the prediction with every modality missing
    all_missing = np.full((1, 6), np.nan)
    np.testing.assert_allclose(exp.base_values[0], clf.predict_proba(all_missing)[0])
    # data summarises each modality, NaN where it is missing
    assert np.isnan(exp.data[:4, 1]).all() and np.isfinite(exp.data[4:]).all()
    # with missing="nan", a background is only the reference of that summary
    one = modality_shap_values(clf, X[:1], MODS, missing="nan", background=X)
    np.testing.assert_array_equal(
        one.values, modality_shap_values(clf, X[:1], MODS).values
    )
    z = (X[0] - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(one.data[0], [z[:2].mean(), z[2:5].mean(), z[5]])


def test_output_shapes(data, logreg):
    X, y = data
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    clf3 = LogisticRegression().fit(X, y3)
    exp = modality_shap_values(clf3, X[:5], MODS, response="decision_function")
    assert exp.values.shape == (5, 3, 3) and exp.base_values.shape == (5, 3)
    assert list(exp.output_names) == ["0", "1", "2"]

    exp = modality_shap_values(logreg, X[:5], MODS, response="predict")
    assert exp.values.shape == (5, 3)

    exp = modality_shap_values(logreg, X[:5], None, background=X[::5])
    assert exp.feature_names == ["all"] and exp.values.shape == (5, 1, 2)
    np.testing.assert_allclose(
        exp.values[:, 0] + exp.base_values, logreg.predict_proba(X[:5]), atol=1e-12
    )


def test_seeded_and_independent_of_n_jobs(data, logreg):
    X, _ = data
    kwargs = dict(method="permutation", max_evals=7, random_state=3)
    state = np.random.get_state()
    one = modality_shap_values(logreg, X[:6], MODS, n_jobs=1, **kwargs)
    assert np.array_equal(np.random.get_state()[1], state[1])  # no global seeding
    with joblib.parallel_config(backend="threading"):  # no worker start-up
        two = modality_shap_values(logreg, X[:6], MODS, n_jobs=2, **kwargs)
    np.testing.assert_array_equal(one.values, two.values)
    other = modality_shap_values(logreg, X[:6], MODS, **{**kwargs, "random_state": 4})
    assert not np.array_equal(one.values, other.values)


def test_shap_plots_work(data, logreg):
    X, _ = data
    exp = modality_shap_values(logreg, X[:20], MODS, background=X[::6])
    positive = exp[:, :, 1]
    for plot in (shap.plots.bar, shap.plots.beeswarm):
        plot(positive, show=False)
        labels = [t.get_text() for t in plt.gca().get_yticklabels()]
        assert {"a", "b", "c"} <= set(labels)
        plt.close("all")
    shap.plots.waterfall(positive[0], show=False)
    plt.close("all")


def test_bad_input(data, logreg):
    X, y = data
    with pytest.raises(ModalityError, match="`z`"):
        modality_shap_values(logreg, X[:3], {"a": [0, 1], "z": [99]})
    with pytest.raises(ModalityError, match="overlap"):
        modality_shap_values(logreg, X[:3], {"a": [0, 1], "b": [1, 2]})
    with pytest.raises(ValueError, match="6 columns"):
        modality_shap_values(logreg, X[:3, :5], {"a": [0, 1]})
    with pytest.raises(ValueError, match="2-D"):
        modality_shap_values(logreg, X[0], MODS)
    with pytest.raises(ValueError, match="`background` must have the same 6"):
        modality_shap_values(logreg, X[:3], MODS, background=X[:5, :4])
    svc = LinearSVC().fit(X, y)
    with pytest.raises(AttributeError, match="`predict_proba`"):
        modality_shap_values(svc, X[:3], MODS, response="predict_proba")
    with pytest.raises(NotFittedError):
        modality_shap_values(LogisticRegression(), X[:3], MODS)
    with pytest.raises(ValueError, match="missing='background'"):
        modality_shap_values(logreg, X[:3], MODS, missing="nan")
    with pytest.raises(ValueError, match="2\\*\\*3 = 8"):
        modality_shap_values(logreg, X[:3], MODS, method="exact", max_evals=5)
    with pytest.raises(ValueError, match=">= 2 \\* 3 \\+ 1"):
        modality_shap_values(logreg, X[:3], MODS, method="permutation", max_evals=5)
    with pytest.raises(InvalidParameterError, match="method"):
        modality_shap_values(logreg, X[:3], MODS, method="kernel")
    X_inf = X[:3].copy()
    X_inf[0, 5] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        modality_shap_values(logreg, X_inf, MODS)
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)])
    with pytest.raises(ValueError, match="column names"):
        modality_shap_values(
            LogisticRegression().fit(df, y),
            df.iloc[:3],
            MODS,
            background=df.iloc[:, ::-1].set_axis(df.columns[::-1], axis=1),
        )


def test_multimodal_net_with_missing_modalities(data):
    from sklearn_skll.neural import MultimodalNetClassifier

    X, y = data
    net = MultimodalNetClassifier(
        modalities=MODS, max_epochs=2, all_missing="prior", random_state=0
    ).fit(X, y)
    X_test = X[:6].copy()
    X_test[:2, 5] = np.nan  # modality "c" missing in two rows
    exp = modality_shap_values(net, X_test, MODS)  # auto: NaN masking
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_values,
        net.predict_proba(X_test),
        atol=1e-6,
    )
    assert np.all(exp.values[:2, 2, :] == 0.0)
