"""Tests for BudgetedMultimodalClassifier, with fast stand-in parts."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from sklearn_skll.budget import BudgetedMultimodalClassifier
from sklearn_skll.exceptions import BudgetError, BudgetWarning, ModalityError

from ._standins import BlockMeanImputer, RecordingClassifier, UtilitySelector

MODS = {"a": [0, 1], "b": [2, 3], "c": [4, 5]}


def _data(n=300, seed=0):
    """Three modalities: a and b informative together, c noise."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] + X[:, 2] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _make(**params):
    params = {
        "modalities": MODS,
        "selector": UtilitySelector(),
        "imputer": BlockMeanImputer(),
        "classifier": RecordingClassifier(max_iter=200),
        "random_state": 0,
        **params,
    }
    return BudgetedMultimodalClassifier(**params)


@pytest.mark.parametrize(
    "strategy, n_new",
    [
        ("available_only", 0),
        ("uniform", 10),
        ("skll", 15),
        ("skll_no_generation", 15),
        ("full", 30),
    ],
)
def test_simulation_row_counts(strategy, n_new):
    X, y = _data()
    clf = _make(available=0.2, budget=0.1, strategy=strategy).fit(X, y)
    assert clf.available_indices_.size == 60
    assert clf.new_indices_.size == n_new
    assert clf.n_train_rows_ == 60 + n_new
    assert clf.plan_.n_reference == 300
    assert not set(clf.available_indices_) & set(clf.new_indices_)
    # The available part is stratified.
    assert y[clf.available_indices_].mean() == pytest.approx(y.mean(), abs=0.03)


def test_same_seed_nests_the_rows_of_the_strategies():
    X, y = _data()
    fitted = {
        s: _make(available=0.2, strategy=s).fit(X, y)
        for s in ("uniform", "skll", "full")
    }
    avail = fitted["uniform"].available_indices_
    for clf in fitted.values():
        np.testing.assert_array_equal(clf.available_indices_, avail)
    assert set(fitted["uniform"].new_indices_) < set(fitted["skll"].new_indices_)
    assert set(fitted["skll"].new_indices_) < set(fitted["full"].new_indices_)
    other = _make(available=0.2, strategy="full", random_state=1).fit(X, y)
    assert set(other.available_indices_) != set(avail)


def test_skll_collects_the_key_and_generates_the_rest():
    X, y = _data()
    clf = _make(available=0.2, strategy="skll").fit(X, y)
    # a and b are informative together: the selector's key pair.
    assert clf.key_subset_ == ("a", "b")
    assert clf.selector_.n_features_in_ == 6
    seen = clf.classifier_.fit_X_
    assert not np.isnan(seen).any()
    # Available rows untouched; new rows keep a, b and get c generated.
    np.testing.assert_array_equal(seen[:60], X[clf.available_indices_])
    new = X[clf.new_indices_]
    np.testing.assert_array_equal(seen[60:, :4], new[:, :4])
    assert not np.allclose(seen[60:, 4:], new[:, 4:])
    np.testing.assert_allclose(seen[60:, 4:], np.tile(clf.imputer_.means_[4:], (15, 1)))


def test_skll_no_generation_leaves_rows_incomplete():
    X, y = _data()
    clf = _make(
        available=0.2,
        strategy="skll_no_generation",
        classifier=HistGradientBoostingClassifier(max_iter=20),
    ).fit(X, y)
    assert clf.imputer_ is None
    assert clf.key_subset_ == ("a", "b")
    rec = _make(available=0.2, strategy="skll_no_generation").fit(X, y)
    seen = rec.classifier_.fit_X_
    assert np.isnan(seen[60:, 4:]).all() and not np.isnan(seen[:, :4]).any()
    assert clf.score(X, y) > 0.7


def test_strategies_without_key_skip_the_selector():
    X, y = _data()
    clf = _make(available=0.2, strategy="uniform").fit(X, y)
    assert clf.selector_ is None
    assert clf.key_subset_ is None
    assert not np.isnan(clf.classifier_.fit_X_).any()


def test_a_budget_larger_than_the_pool_buys_the_pool_and_says_what_is_left():
    X, y = _data(n=100)
    with pytest.warns(BudgetWarning, match="only 10 rows remain") as record:
        clf = _make(available=0.9, budget=0.2, strategy="full").fit(X, y)
    # one BudgetWarning (other packages may warn too: scikit-learn 1.6 does)
    assert sum(issubclass(w.category, BudgetWarning) for w in record) == 1
    # 20 rows wanted (budget 0.2 x 100 rows, every modality its own budget),
    # 10 bought: 10 rows' worth of the budget is left.
    assert clf.new_indices_.size == 10
    assert clf.n_train_rows_ == 100
    per_row = clf.plan_.full.cost_per_row
    assert clf.unspent_budget_ == pytest.approx(10 * per_row)
    # The same request fits the pool with a smaller availability: nothing left.
    clf = _make(available=0.8, budget=0.2, strategy="full").fit(X, y)
    assert clf.new_indices_.size == 20 and clf.unspent_budget_ == 0.0
    with pytest.raises(BudgetError, match="available"):
        _make(available=100, strategy="full").fit(X, y)


def test_simulation_needs_complete_rows():
    X, y = _data()
    X[3, 4:] = np.nan
    with pytest.raises(ModalityError, match="complete rows"):
        _make(available=0.2).fit(X, y)


def test_as_is_imputes_incomplete_rows_and_plans_the_next_budget():
    X, y = _data()
    X_missing = X.copy()
    X_missing[::3, 4:] = np.nan
    clf = _make(budget=0.1).fit(X_missing, y)
    assert clf.available_indices_ is None
    seen = clf.classifier_.fit_X_
    assert not np.isnan(seen).any()
    observed = ~np.isnan(X_missing)
    np.testing.assert_array_equal(seen[observed], X_missing[observed])
    assert clf.plan_.n_reference == 300
    assert clf.plan_.n_new_rows("skll") == 15
    assert clf.key_subset_ == ("a", "b")

    only = _make(strategy="available_only").fit(X_missing, y)
    assert only.n_train_rows_ == 200
    with pytest.raises(ValueError, match="only defined when simulating"):
        _make(strategy="uniform").fit(X_missing, y)


def test_predict_on_incomplete_rows_uses_the_imputer():
    X, y = _data()
    clf = _make(available=0.3, strategy="skll").fit(X, y)
    X_test, y_test = _data(n=100, seed=1)
    X_half = X_test.copy()
    X_half[:, 4:] = np.nan
    expected = clf.classifier_.predict(clf.imputer_.transform(X_half))
    np.testing.assert_array_equal(clf.predict(X_half), expected)
    assert clf.predict_proba(X_half).shape == (100, 2)
    assert clf.score(X_test, y_test) > 0.8
    X_none = X_test.copy()
    X_none[0] = np.nan
    with pytest.raises(ModalityError, match="every modality missing"):
        clf.predict(X_none)


def test_dataframe_with_name_selectors():
    X, y = _data()
    columns = ["a1", "a2", "b1", "b2", "c1", "c2"]
    df = pd.DataFrame(X, columns=columns, index=np.arange(1000, 1300))
    mods = {"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1", "c2"]}
    clf = _make(modalities=mods, available=0.2, strategy="skll").fit(df, y)
    assert clf.key_subset_ == ("a", "b")
    assert list(clf.feature_names_in_) == columns
    # The imputer returns an ndarray; the classifier still gets the columns.
    assert clf.classifier_.fit_type_ is pd.DataFrame
    from_array = _make(available=0.2, strategy="skll").fit(X, y)
    np.testing.assert_array_equal(clf.predict(df), from_array.predict(X))


def test_parts_are_clones_and_unset_seeds_are_filled():
    X, y = _data()
    selector = UtilitySelector()
    clf = _make(available=0.2, strategy="skll", selector=selector).fit(X, y)
    assert clf.selector_ is not selector and not hasattr(selector, "utilities_")
    assert clf.selector_.modalities == MODS  # filled: it was None
    assert clf.selector_.random_state is not None
    kept = UtilitySelector(modalities={"a": [0, 1], "b": [2, 3]}, random_state=7)
    clf = _make(available=0.2, strategy="skll", selector=kept).fit(X, y)
    assert clf.selector_.random_state == 7
    assert list(clf.selector_.modalities_) == ["a", "b"]


def test_costs_choose_the_key_by_utility_per_cost():
    X, y = _data()
    clf = _make(
        available=0.3, strategy="skll", costs={"a": 1.0, "b": 1.0, "c": 1.0}
    ).fit(X, y)
    assert clf.plan_.key_selection == "utility_per_cost"
    assert clf.key_subset_ == ("a", "b")
    # b is expensive: 0.1 * 300 * mean cost 7 = 210 cost units.
    costly = _make(
        available=0.3, strategy="skll", costs={"a": 1.0, "b": 19.0, "c": 1.0}
    ).fit(X, y)
    assert costly.key_subset_ == ("a", "c")
    assert costly.new_indices_.size == 105
    assert costly.plan_.n_new_rows("uniform") == 10


def test_same_random_state_same_result():
    X, y = _data()
    X_test, _ = _data(n=50, seed=2)
    a = _make(available=0.2, strategy="skll", random_state=3).fit(X, y)
    b = _make(available=0.2, strategy="skll", random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    np.testing.assert_array_equal(a.new_indices_, b.new_indices_)


def test_grid_search_over_budgets_and_strategies_is_reproducible():
    X, y = _data()
    grid = {"budget": [0.1, 0.3], "strategy": ["uniform", "skll"]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    searches = [
        GridSearchCV(_make(available=0.2), grid, cv=cv).fit(X, y) for _ in range(2)
    ]
    scores = [s.cv_results_["mean_test_score"] for s in searches]
    np.testing.assert_array_equal(scores[0], scores[1])
    assert len(scores[0]) == 4
    assert searches[0].best_params_["strategy"] in grid["strategy"]
    assert searches[0].best_estimator_.plan_.budget in grid["budget"]
    a = cross_val_score(_make(available=0.2, strategy="full"), X, y, cv=cv)
    b = cross_val_score(_make(available=0.2, strategy="full"), X, y, cv=cv)
    np.testing.assert_array_equal(a, b)
    assert a.mean() > 0.7


def test_delegated_methods_follow_the_classifier():
    from sklearn.svm import LinearSVC

    clf = _make(classifier=LinearSVC())
    assert not hasattr(clf, "predict_proba")
    X, y = _data()
    clf.fit(X, y)
    assert hasattr(clf, "decision_function") and not hasattr(clf, "predict_proba")
    assert clf.decision_function(X).shape == (300,)
    assert hasattr(_make(), "predict_proba")


def test_pickle_round_trip():
    X, y = _data()
    clf = _make(available=0.2).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    assert again.plan_ == clf.plan_


def test_verbose_prints_prefixed_lines(capsys):
    X, y = _data()
    _make(available=0.2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "[BudgetedMultimodalClassifier] simulating 'skll'" in out
    assert "AcquisitionPlan(" in out


def test_bad_parameters():
    X, y = _data()
    with pytest.raises(ValueError, match="budget"):
        _make(budget=0.0).fit(X, y)
    with pytest.raises(ValueError, match="strategy"):
        _make(strategy="random").fit(X, y)
    with pytest.raises(BudgetError, match="costs"):
        _make(costs={"a": 1, "b": -1, "c": 1}).fit(X, y)
    with pytest.raises(ModalityError, match="at least 2 modalities"):
        _make(modalities=None, available=0.2, strategy="skll").fit(X, y)


def test_cuda_without_cuda_is_a_clear_error():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    X, y = _data()
    with pytest.raises(ValueError, match="no CUDA device"):
        _make(device="cuda").fit(X, y)


def test_clone_keeps_parameters():
    clf = _make(available=0.3, budget=5, costs={"a": 1, "b": 2, "c": 3})
    assert clone(clf).get_params()["costs"] == {"a": 1, "b": 2, "c": 3}


# ------------------------------------------------------- with the real parts


def _frame_data(n=160, seed=0):
    X, y = _data(n=n, seed=seed)
    columns = ["a1", "a2", "b1", "b2", "c1", "c2"]
    mods = {"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1", "c2"]}
    return pd.DataFrame(X, columns=columns), y, mods


def test_default_parts_get_device_and_modalities():
    pytest.importorskip("torch")
    from sklearn_skll.budget import _budgeted
    from sklearn_skll.impute import ClassConditionalGaussianImputer, FlowImputer
    from sklearn_skll.neural import MultimodalNetClassifier
    from sklearn_skll.selection import ModalitySelector

    _, _, mods = _frame_data()
    selector = _budgeted._default_selector(mods, "auto", 2, 0)
    imputer = _budgeted._default_flow(mods, "auto", 0)
    classifier = _budgeted._default_classifier(mods, "auto", 0)
    assert isinstance(selector, ModalitySelector)
    assert isinstance(imputer, FlowImputer)
    default = _budgeted._default_imputer(mods, "auto", 0)
    assert isinstance(default, ClassConditionalGaussianImputer)
    assert default.modalities == mods
    assert isinstance(classifier, MultimodalNetClassifier)
    for part in (imputer, classifier):
        assert part.device == "auto"
    # the selector's estimator is chosen by data size at fit
    assert selector.estimator is None and selector.utility == "auto"
    assert selector.n_jobs == 2
    assert imputer.modalities == mods and classifier.modalities == mods


@pytest.mark.slow
def test_fit_with_the_default_parts():
    pytest.importorskip("torch")
    from sklearn_skll.impute import FlowImputer

    X, y, mods = _frame_data()
    clf = BudgetedMultimodalClassifier(
        modalities=mods,
        available=0.4,
        budget=0.2,
        strategy="skll",
        device="cpu",
        random_state=0,
    ).fit(X, y)
    assert clf.classifier_.device == "cpu"
    assert clf.classifier_.random_state is not None
    assert clf.selector_.random_state is not None
    assert type(clf.imputer_).__name__ == "ClassConditionalGaussianImputer"
    assert clf.imputer_.random_state is not None
    assert len(clf.key_subset_) == 2
    X_test, y_test, _ = _frame_data(n=80, seed=1)
    X_test.loc[::2, ["c1", "c2"]] = np.nan
    assert clf.predict_proba(X_test).shape == (80, 2)
    assert clf.score(X_test, y_test) > 0.6
    # A part passed keeps its own settings, but its device is the
    # meta-estimator's (one device for every torch part), and it is told so.
    mine = FlowImputer(modalities=mods, max_epochs=3, n_flows=2, device="auto")
    with pytest.warns(UserWarning, match="replaced by the"):
        clf = BudgetedMultimodalClassifier(
            modalities=mods,
            available=0.4,
            strategy="uniform",
            imputer=mine,
            classifier=LogisticRegression(),
            device="cpu",
            random_state=0,
        ).fit(X, y)
    assert clf.imputer_.device == "cpu" and clf.imputer_.max_epochs == 3
    assert mine.device == "auto"  # the part passed is not altered


def test_pipeline_of_the_real_parts_on_a_dataframe():
    pytest.importorskip("torch")
    from sklearn.pipeline import Pipeline

    from sklearn_skll.impute import FlowImputer
    from sklearn_skll.neural import MultimodalNetClassifier
    from sklearn_skll.selection import ModalitySelector

    X, y, mods = _frame_data()
    X = X.copy()
    X.loc[X.index[::3], ["c1", "c2"]] = np.nan
    pipe = Pipeline(
        [
            (
                "select",
                ModalitySelector(
                    LogisticRegression(), modalities=mods, cv=3, random_state=0
                ),
            ),
            (
                "impute",
                FlowImputer(modalities=mods, max_epochs=3, n_flows=2, random_state=0),
            ),
            (
                "clf",
                MultimodalNetClassifier(modalities=mods, max_epochs=10, random_state=0),
            ),
        ]
    ).set_output(transform="pandas")
    pipe.fit(X, y)
    filled = pipe[:-1].transform(X)
    assert isinstance(filled, pd.DataFrame) and list(filled.columns) == list(X.columns)
    observed = ~np.isnan(X.to_numpy())
    np.testing.assert_array_equal(filled.to_numpy()[observed], X.to_numpy()[observed])
    assert not filled.isna().any().any()
    assert pipe.score(X, y) > 0.6
    # The meta-estimator with available=None and the same parts, same data.
    meta = BudgetedMultimodalClassifier(
        modalities=mods,
        selector=pipe.named_steps["select"],
        imputer=pipe.named_steps["impute"],
        classifier=pipe.named_steps["clf"],
        random_state=0,
    ).fit(X, y)
    assert meta.key_subset_ == tuple(pipe.named_steps["select"].key_subset_)
    np.testing.assert_allclose(
        meta.imputer_.transform(X), pipe.named_steps["impute"].transform(X)
    )


def test_full_equals_available_only_with_the_budget_added():
    # Common random numbers: with one seed, the upper bound at (available a,
    # budget b) trains on exactly the rows available_only has at a + b.
    X, y = _data()
    full = _make(available=0.2, budget=0.1, strategy="full").fit(X, y)
    more = _make(available=0.3, strategy="available_only").fit(X, y)
    rows = np.concatenate([full.available_indices_, full.new_indices_])
    np.testing.assert_array_equal(rows, more.available_indices_)
    np.testing.assert_array_equal(full.predict_proba(X), more.predict_proba(X))


# ------------------------------------- label-aware rows, draws, auto choice
class _SpyGaussian:
    """Records which imputer methods see labels (module-level log)."""

    calls = []


def _spy_imputer():
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    class SpyGaussian(ClassConditionalGaussianImputer):
        def fit_transform(self, X, y=None):
            _SpyGaussian.calls.append(("fit_transform", y is not None))
            return super().fit_transform(X, y)

        def transform(self, X):
            _SpyGaussian.calls.append(("transform", False))
            return super().transform(X)

    return SpyGaussian(modalities=None)


def test_training_rows_use_their_labels_and_predict_rows_never_do():
    X, y = _data()
    _SpyGaussian.calls.clear()
    clf = _make(available=0.2, budget=0.1, strategy="skll", imputer=_spy_imputer())
    clf.fit(X, y)
    assert _SpyGaussian.calls == [("fit_transform", True)]
    X_test = X[:40].copy()
    X_test[:20, 4:] = np.nan
    pred = clf.predict(X_test)
    assert _SpyGaussian.calls[1:] == [("transform", False)]
    # Predictions depend on X alone: the same whatever the rows' labels are.
    np.testing.assert_array_equal(pred, clf.predict(X_test))
    # Label-aware: the new rows' generated blocks are not the label-free ones.
    assert clf.key_subset_ == ("a", "b")
    seen = clf.classifier_.fit_X_[60:]
    hidden = X[clf.new_indices_].copy()
    hidden[:, 4:] = np.nan
    label_free = clf.imputer_.transform(hidden)
    np.testing.assert_array_equal(seen[:, :4], X[clf.new_indices_, :4])
    assert not np.allclose(seen[:, 4:], label_free[:, 4:])


def test_n_draws_replicates_incomplete_rows_with_weights():
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    X, y = _data()
    clf = _make(
        available=0.2,
        budget=0.1,
        strategy="skll",
        n_draws=3,
        imputer=ClassConditionalGaussianImputer(modalities=None),
        classifier=LogisticRegression(max_iter=200),
    ).fit(X, y)
    assert clf.n_train_rows_ == 60 + 3 * 15
    one = _make(
        available=0.2,
        budget=0.1,
        strategy="skll",
        imputer=ClassConditionalGaussianImputer(modalities=None),
        classifier=LogisticRegression(max_iter=200),
    ).fit(X, y)
    assert not np.allclose(clf.classifier_.coef_, one.classifier_.coef_)


def test_n_draws_weights_reach_the_classifier(monkeypatch):
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    seen = {}
    original = LogisticRegression.fit

    def fit(self, X, y, sample_weight=None):
        seen["weight"] = sample_weight
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(LogisticRegression, "fit", fit)
    X, y = _data()
    _make(
        available=0.2,
        budget=0.1,
        strategy="skll",
        n_draws=4,
        imputer=ClassConditionalGaussianImputer(modalities=None),
        classifier=LogisticRegression(max_iter=200),
    ).fit(X, y)
    weight = seen["weight"]
    assert weight.size == 60 + 4 * 15
    assert np.isclose(weight.sum(), 75)  # every original row counts once
    assert np.allclose(weight[60:], 0.25) and np.allclose(weight[:60], 1)


def test_n_draws_errors_without_sample_or_sample_weight():
    from sklearn.impute import SimpleImputer
    from sklearn.neighbors import KNeighborsClassifier

    from sklearn_skll.impute import ClassConditionalGaussianImputer

    X, y = _data()
    with pytest.raises(ValueError, match="`n_draws=2`.*sample"):
        _make(available=0.2, strategy="skll", n_draws=2, imputer=SimpleImputer()).fit(
            X, y
        )
    with pytest.raises(ValueError, match="sample_weight"):
        _make(
            available=0.2,
            strategy="skll",
            n_draws=2,
            imputer=ClassConditionalGaussianImputer(modalities=None),
            classifier=KNeighborsClassifier(),
        ).fit(X, y)


def _fast_flow_default(monkeypatch):
    from sklearn_skll.budget import _budgeted
    from sklearn_skll.impute import FlowImputer

    monkeypatch.setattr(
        _budgeted,
        "_default_flow",
        lambda modalities, device, verbose: FlowImputer(
            modalities=modalities,
            latent_dim=4,
            n_flows=2,
            hidden_dim=8,
            max_epochs=3,
            device=device,
        ),
    )


@pytest.mark.parametrize(
    "classifier, has_none",
    [
        (LogisticRegression(max_iter=200), False),
        (HistGradientBoostingClassifier(max_iter=20), True),
    ],
)
def test_auto_imputer_scores_candidates_and_keeps_the_best(
    monkeypatch, classifier, has_none
):
    _fast_flow_default(monkeypatch)
    X, y = _data()
    clf = _make(
        available=0.3,
        budget=0.1,
        strategy="skll",
        imputer="auto",
        classifier=classifier,
    ).fit(X, y)
    table = clf.imputer_scores_
    expected = {"gaussian", "iterative", "flow"} | ({"none"} if has_none else set())
    assert set(table.index) == expected
    assert table["score"].between(0, 1).all() and (table["n_folds"] == 3).all()
    choice = clf.imputer_choice_["choice"]
    assert table["score"].idxmax() == choice and table.loc[choice, "chosen"]
    assert clf.imputer_choice_["scores"] == table["score"].to_dict()
    kinds = {
        "gaussian": "ClassConditionalGaussianImputer",
        "iterative": "IterativeImputer",
        "flow": "FlowImputer",
    }
    if choice == "none":
        assert clf.imputer_ is None
    else:
        assert type(clf.imputer_).__name__ == kinds[choice]
    assert clf.score(X, y) > 0.6
    # Same seed, same choice and scores.
    again = clone(clf).fit(X, y)
    pd.testing.assert_frame_equal(again.imputer_scores_, table)


def test_auto_imputer_on_a_dataframe(monkeypatch):
    # pandas hands scikit-learn read-only arrays: every candidate (also
    # IterativeImputer) must fit and transform named columns.
    _fast_flow_default(monkeypatch)
    X, y = _data()
    columns = [f"x{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    named = {name: [columns[j] for j in cols] for name, cols in MODS.items()}
    clf = _make(
        modalities=named,
        available=0.3,
        budget=0.1,
        strategy="skll",
        imputer="auto",
        classifier=HistGradientBoostingClassifier(max_iter=20),
    ).fit(frame, y)
    assert set(clf.imputer_scores_.index) == {"none", "gaussian", "iterative", "flow"}
    assert clf.imputer_scores_["score"].between(0, 1).all()
    hidden = frame.copy()
    hidden.iloc[:50, 2:] = np.nan
    assert clf.predict(hidden).shape == (300,)


def test_auto_imputer_with_too_few_rows_per_class_says_so_and_uses_the_default():
    X, y = _data(60)
    with pytest.warns(UserWarning, match=r"imputer='auto' needs at least 4"):
        clf = _make(
            available=6,
            budget=0.1,
            strategy="skll",
            imputer="auto",
            classifier=LogisticRegression(),
        ).fit(X, y)
    assert clf.imputer_choice_["choice"] == "gaussian"
    assert clf.imputer_choice_["scores"] == {}
    assert "rarest class has" in clf.imputer_choice_["note"]
    assert clf.imputer_scores_ is None
    assert type(clf.imputer_).__name__ == "ClassConditionalGaussianImputer"
    assert clf.predict(X).shape == (60,)


def test_choose_imputer_refuses_too_few_rows_per_class():
    from sklearn_skll.budget._imputer_choice import choose_imputer

    X, y = _data(60)
    with pytest.raises(ValueError, match="at least 4 complete rows"):
        choose_imputer(
            {"none": None}, LogisticRegression(), X[:6], y[:6], MODS, None, 0
        )


def test_key_rule_reaches_the_plan():
    X, y, mods = _frame_data()
    from sklearn_skll.selection import ModalitySelector

    for key in ("paper", "gain_per_cost"):
        clf = BudgetedMultimodalClassifier(
            modalities=mods,
            available=0.5,
            budget=0.2,
            strategy="skll",
            key=key,
            selector=ModalitySelector(n_repeats=1, cv=3),
            imputer=BlockMeanImputer(),
            classifier=LogisticRegression(),
            random_state=0,
        ).fit(X, y)
        assert clf.selector_.key == key and clf.plan_.key_rule == key
        assert clf.key_subset_ == clf.selector_.key_subset_
        assert clf.plan_.notes


def test_a_single_available_row_of_a_class_does_not_stop_the_fit():
    X, y, mods = _frame_data()
    y = y.copy()
    y[:3] = 2  # a rare third class: one row of it among the available ones
    from sklearn_skll.selection import ModalitySelector

    clf = BudgetedMultimodalClassifier(
        modalities=mods,
        available=0.2,
        budget=0.2,
        strategy="skll",
        selector=ModalitySelector(n_repeats=1, cv=3),
        imputer=BlockMeanImputer(),
        classifier=LogisticRegression(),
        random_state=0,
    )
    with pytest.warns(UserWarning, match="single available row"):
        clf.fit(X, y)
    assert 2 in clf.classes_ and clf.key_subset_


@pytest.mark.parametrize("key, warns", [("gain_per_cost", False), ("paper", True)])
def test_cooperation_warning_only_where_the_key_reads_cooperation(key, warns):
    # Modality `b` is noise: its C(S) is undefined. Only the paper's key rule
    # reads C(S), so only then does the budgeted classifier pass the warning on.
    from sklearn_skll.exceptions import CooperationWarning

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] + X[:, 2] > 0).astype(int)
    clf = BudgetedMultimodalClassifier(
        modalities={"a": [0, 1], "b": [4, 5], "c": [2, 3]},
        budget=0.3,
        strategy="available_only",
        classifier=LogisticRegression(),
        key=key,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    cooperation = [w for w in caught if issubclass(w.category, CooperationWarning)]
    assert bool(cooperation) == warns
    assert clf.selector_.utilities_["cooperation"].isna().any()


def test_accepts_nan_reads_through_pipelines():
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_skll.budget._imputer_choice import accepts_nan

    assert accepts_nan(HistGradientBoostingClassifier())
    assert not accepts_nan(LogisticRegression())
    # StandardScaler passes NaN on; the logistic regression then fails on it.
    assert not accepts_nan(make_pipeline(StandardScaler(), LogisticRegression()))
    assert accepts_nan(make_pipeline(SimpleImputer(), LogisticRegression()))
    assert accepts_nan(
        make_pipeline(StandardScaler(), SimpleImputer(), LogisticRegression())
    )
    assert accepts_nan(
        make_pipeline(StandardScaler(), HistGradientBoostingClassifier())
    )


@pytest.mark.parametrize("strategy", ["skll", "uniform", "available_only"])
@pytest.mark.parametrize("available", [None, 0.3])
def test_fit_leaves_no_temporaries_on_self(strategy, available):
    if available is None and strategy == "uniform":
        strategy = "skll"
    X, y = _data()
    clf = _make(available=available, strategy=strategy)
    params = set(clf.get_params(deep=False))
    clf.fit(X, y)
    extra = {k for k in vars(clf) if k not in params and not k.endswith("_")}
    assert not extra, extra


def _real_selector(**params):
    from sklearn_skll import ModalitySelector

    return ModalitySelector(LogisticRegression(), cv=2, n_bootstrap=0, **params)


@pytest.mark.parametrize(
    "given, own",
    [
        ({"key": "paper"}, {}),
        ({"budget": 0.5}, {"budget": 0.3}),
        ({"costs": {"a": 1.0, "b": 2.0, "c": 1.0}}, {}),
    ],
)
def test_a_selector_setting_that_conflicts_raises(given, own):
    X, y = _data()
    clf = _make(available=0.3, selector=_real_selector(**given), **own)
    name = next(iter(given))
    with pytest.raises(ValueError, match=f"selector's `{name}=.*conflicts"):
        clf.fit(X, y)


def test_the_selector_gets_the_budgeted_settings_when_it_leaves_them_default():
    X, y = _data()
    costs = {"a": 1.0, "b": 3.0, "c": 1.0}
    clf = _make(
        available=0.3,
        budget=0.3,
        costs=costs,
        key="paper",
        selector=_real_selector(),
    ).fit(X, y)
    got = clf.selector_.get_params()
    assert (got["key"], got["budget"], got["costs"]) == ("paper", 0.3, costs)
    assert clf.plan_.key_rule == "paper"
    # agreeing values are no conflict, and the user's selector is not changed
    selector = _real_selector(key="paper", budget=0.3, costs=costs)
    _make(available=0.3, budget=0.3, costs=costs, key="paper", selector=selector).fit(
        X, y
    )
    assert selector.get_params()["key"] == "paper" and not hasattr(
        selector, "key_subset_"
    )
