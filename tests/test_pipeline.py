"""The design card's Pipeline: modalities flow from step to step.

``Pipeline([("select", ModalitySelector(clf, modalities=mods)),
("impute", FlowImputer(modalities=mods)), ("clf", ...)])`` runs as written in
``cross_val_score`` and ``GridSearchCV``, on DataFrames (name-based
modalities) and arrays, on ``alzheimers`` with modality blocks hidden.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll import (
    BudgetedMultimodalClassifier,
    FlowImputer,
    ModalityError,
    ModalitySelector,
    MultimodalNetClassifier,
    hide_modalities,
    resolve_modalities,
)
from sklearn_skll._modalities import dropped_modalities, record_dropped
from sklearn_skll.acquisition import AcquisitionRanker
from sklearn_skll.datasets import load

FLOW = dict(latent_dim=4, n_flows=2, hidden_dim=8, max_epochs=3, random_state=0)
NET = dict(max_epochs=3, random_state=0)
CV = StratifiedKFold(3, shuffle=True, random_state=0)


def _clf():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


@pytest.fixture(scope="module")
def alzheimers_hidden():
    """``alzheimers`` with `csf` hidden in 60 rows and `proteins` in 40 others."""
    data = load("alzheimers")
    X, y, mods = data.data, data.target, data.modalities
    resolved = resolve_modalities(mods, X)
    hidden = np.zeros((X.shape[0], len(resolved)), dtype=bool)
    rows = np.random.RandomState(0).permutation(X.shape[0])
    names = list(resolved)
    hidden[rows[:60], names.index("csf")] = True
    hidden[rows[60:100], names.index("proteins")] = True
    values = hide_modalities(X.to_numpy(dtype=float), resolved, hidden)
    return pd.DataFrame(values, columns=X.columns, index=X.index), y, mods


def _card(mods, last, drop):
    return Pipeline(
        [
            (
                "select",
                ModalitySelector(
                    _clf(), modalities=mods, cv=2, drop_unselected=drop, random_state=0
                ),
            ),
            ("impute", FlowImputer(modalities=mods, **FLOW)),
            ("clf", last),
        ]
    )


@pytest.mark.parametrize(
    "last, drop", [("net", False), ("net", True), ("logreg", True)]
)
def test_card_pipeline_cross_val_score_on_dataframe(alzheimers_hidden, drop, last):
    X, y, mods = alzheimers_hidden
    final = (
        MultimodalNetClassifier(modalities=mods, **NET)
        if last == "net"
        else LogisticRegression(max_iter=500)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = cross_val_score(
            _card(mods, final, drop), X, y, cv=CV, error_score="raise"
        )
    assert scores.shape == (3,)
    assert np.all(scores > 0.5)


def test_steps_after_a_dropping_selector_keep_the_present_modalities(
    alzheimers_hidden,
):
    X, y, mods = alzheimers_hidden
    pipe = _card(mods, MultimodalNetClassifier(modalities=mods, **NET), True)
    pipe.fit(X, y)
    # The one key: what new rows carry is what the dropping selector keeps.
    selected = pipe["select"].key_subset_
    assert 2 <= len(selected) <= 3
    assert list(pipe["impute"].modalities_) == [m for m in mods if m in selected]
    assert list(pipe["clf"].modalities_) == list(pipe["impute"].modalities_)
    out = pipe[:-1].transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(X.index)
    assert list(out.columns) == [c for m in mods if m in selected for c in mods[m]]
    assert out.notna().all().all()


def test_grid_search_over_the_key_rule(alzheimers_hidden):
    X, y, mods = alzheimers_hidden
    pipe = _card(mods, LogisticRegression(max_iter=500), True)
    search = GridSearchCV(
        pipe, {"select__key": ["paper", "gain_per_cost"]}, cv=CV, error_score="raise"
    ).fit(X, y)
    assert search.best_params_["select__key"] in ("paper", "gain_per_cost")
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_["clf"].n_features_in_ == sum(
        len(mods[m]) for m in search.best_estimator_["select"].key_subset_
    )


def test_card_pipeline_on_arrays():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 6))
    y = (X[:, 0] + X[:, 2] - X[:, 4] > 0).astype(int)
    X[:30, 4:] = np.nan
    mods = {"a": [0, 1], "b": [2, 3], "c": [4, 5]}
    pipe = _card(mods, MultimodalNetClassifier(modalities=mods, **NET), False)
    with pytest.warns(UserWarning, match="drop_unselected=False"):
        scores = cross_val_score(pipe, X, y, cv=CV, error_score="raise")
    assert np.all(scores > 0.5)
    search = GridSearchCV(
        pipe, {"select__subset_size": [1, 2]}, cv=CV, error_score="raise"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X, y)
    assert isinstance(search.predict(X), np.ndarray)


def test_transformers_return_the_container_they_got(alzheimers_hidden):
    X, y, mods = alzheimers_hidden
    imp = FlowImputer(modalities=mods, **FLOW).fit(X, y)
    out = imp.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(X.index) and out.columns.equals(X.columns)
    observed = X.notna().to_numpy()
    np.testing.assert_array_equal(out.to_numpy()[observed], X.to_numpy()[observed])
    assert isinstance(imp.transform(X.to_numpy()), np.ndarray)
    # set_output still rules where set.
    assert isinstance(imp.set_output(transform="default").transform(X), pd.DataFrame)


def test_selector_without_drop_says_it_changes_nothing(alzheimers_hidden):
    X, y, mods = alzheimers_hidden
    sel = ModalitySelector(_clf(), modalities=mods, cv=3, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="changes nothing"):
        out = sel.transform(X)
    # The same table, but a copy: a later in-place step must not reach X.
    assert out is not X
    pd.testing.assert_frame_equal(out, X)


def test_only_a_recorded_drop_leaves_a_modality_out():
    X = pd.DataFrame(np.arange(12.0).reshape(3, 4), columns=list("abcd"))
    # A typo'd modality is an error naming it and its missing columns.
    with pytest.raises(ModalityError, match=r"`r`.*\['e'\] that are not in X"):
        resolve_modalities({"p": ["a", "b"], "q": ["c", "d"], "r": ["e"]}, X)
    # An earlier step's record of what it dropped is the one exception.
    record_dropped(X, None, {"r": ["e"]})
    got = resolve_modalities({"p": ["a", "b"], "q": ["c", "d"], "r": ["e"]}, X)
    assert list(got) == ["p", "q"]
    # The record covers `r` alone: another absent modality is still an error,
    # and so is a partly present one.
    with pytest.raises(ModalityError, match="`s`"):
        resolve_modalities({"p": ["a", "b"], "s": ["f"]}, X)
    with pytest.raises(ModalityError, match=r"`q`.*\['e'\].*1 of its 2"):
        resolve_modalities({"p": ["a", "b"], "q": ["c", "e"]}, X)
    with pytest.raises(ModalityError, match="Every modality"):
        resolve_modalities({"r": ["e"]}, X)


def _typo(mods):
    return {**mods, "csf": [c + "_typo" for c in mods["csf"]]}


@pytest.mark.parametrize(
    "make",
    [
        lambda m: ModalitySelector(_clf(), modalities=m, cv=2),
        lambda m: FlowImputer(modalities=m, **FLOW),
        lambda m: MultimodalNetClassifier(modalities=m, **NET),
        lambda m: BudgetedMultimodalClassifier(
            modalities=m, classifier=LogisticRegression()
        ),
        lambda m: AcquisitionRanker(
            LogisticRegression(), FlowImputer(**FLOW), modalities=m
        ),
    ],
    ids=["selector", "flow", "net", "budgeted", "ranker"],
)
def test_a_typo_never_drops_a_modality(alzheimers_hidden, make):
    X, y, mods = alzheimers_hidden
    with pytest.raises(ModalityError, match="Modality `csf`.*_typo.*not in X"):
        make(_typo(mods)).fit(X, y)


def test_card_pipeline_with_set_output_drops_only_what_the_selector_dropped(
    alzheimers_hidden,
):
    X, y, mods = alzheimers_hidden
    pipe = _card(mods, MultimodalNetClassifier(modalities=mods, **NET), True)
    pipe.set_output(transform="pandas").fit(X, y)
    selected = list(pipe["select"].key_subset_)
    assert list(pipe["clf"].modalities_) == [m for m in mods if m in selected]
    out = pipe[:-1].transform(X)
    dropped = [m for m in mods if m not in selected]
    assert list(dropped_modalities(out)) == dropped
    # A typo in a later step is still an error, whatever was dropped before.
    typo = {**mods, selected[0]: [c + "_typo" for c in mods[selected[0]]]}
    pipe.set_params(impute__modalities=typo)
    with pytest.raises(ModalityError, match=f"Modality `{selected[0]}`"):
        pipe.fit(X, y)


def test_dropping_selector_on_an_array_names_the_fix():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] + X[:, 2] > 0).astype(int)
    mods = {"a": [0, 1], "b": [2, 3], "c": [4, 5]}
    pipe = _card(mods, LogisticRegression(), True)
    with pytest.raises(ModalityError, match="drop_unselected") as info:
        pipe.fit(X, y)
    assert "DataFrame" in str(info.value)


def test_budget_without_available_warns():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = BudgetedMultimodalClassifier(
        modalities={"a": [0, 1], "b": [2, 3]},
        budget=0.3,
        strategy="available_only",
        classifier=LogisticRegression(),
        random_state=0,
    )
    with pytest.warns(UserWarning, match="only sets `plan_`"):
        clf.fit(X, y)


def test_grid_search_over_budget_without_available_warns_for_every_budget():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = BudgetedMultimodalClassifier(
        modalities={"a": [0, 1], "b": [2, 3]},
        strategy="available_only",
        classifier=LogisticRegression(),
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.fit(X, y)  # the default budget, not set: no warning
    assert clf.plan_.budget == 0.1
    search = GridSearchCV(clf, {"budget": [0.1, 0.3]}, cv=2, error_score="raise")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        search.fit(X, y)
    said = [str(w.message) for w in caught if "only sets `plan_`" in str(w.message)]
    assert any("`budget=0.1`" in m for m in said)
    assert any("`budget=0.3`" in m for m in said)
