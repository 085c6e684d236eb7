"""Patient-level splits: ``groups`` reaches the folds (plainly and by routing)."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold
from sklearn.neighbors import KNeighborsClassifier

from sklearn_skll import BudgetedMultimodalClassifier, ModalitySelector
from sklearn_skll.budget import run_protocol


def visits(n_patients=60, n_visits=3, seed=0):
    """Several visits per patient: a patient's rows are near duplicates.

    The label is a coin flip per patient, unrelated to the features, so the
    honest utility of every modality is 0; a model that has seen another
    visit of the same patient recognises it.
    """
    rng = np.random.RandomState(seed)
    patient_x = rng.randn(n_patients, 6)
    patient_y = rng.permutation(np.arange(n_patients) % 2)
    groups = np.repeat(np.arange(n_patients), n_visits)
    X = patient_x[groups] + 0.05 * rng.randn(groups.size, 6)
    y = patient_y[groups]
    return X, y, groups


MODS = {"a": [0, 1, 2], "b": [3, 4, 5]}


def _utility(selector):
    return float(selector.utilities_.set_index("subset").loc["a+b", "utility"])


def test_groups_remove_the_inflation_of_duplicated_patients():
    X, y, groups = visits()
    knn = KNeighborsClassifier(n_neighbors=1)
    plain = ModalitySelector(knn, modalities=MODS, cv=3, random_state=0).fit(X, y)
    honest = ModalitySelector(knn, modalities=MODS, cv=3, random_state=0).fit(
        X, y, groups=groups
    )
    # Visits of a training patient in the held-out fold: nearly perfect.
    assert _utility(plain) > 0.4
    # Whole patients held out: no better than the constant predictor.
    assert abs(_utility(honest)) < 0.15
    # A given group splitter gets the groups too.
    given = ModalitySelector(
        knn, modalities=MODS, cv=StratifiedGroupKFold(3), random_state=0
    ).fit(X, y, groups=groups)
    assert abs(_utility(given)) < 0.15


def test_folds_never_split_a_group():
    X, y, groups = visits(n_patients=30)
    sel = ModalitySelector(LogisticRegression(), modalities=MODS, cv=3, random_state=0)
    rows = np.arange(y.size)
    for train, test in sel._folds(X, y, 0, {"groups": groups}):
        assert not set(groups[rows[train]]) & set(groups[rows[test]])


def test_metadata_routing_routes_groups_to_the_splitter():
    X, y, groups = visits()
    knn = KNeighborsClassifier(n_neighbors=1)
    with sklearn.config_context(enable_metadata_routing=True):
        sel = ModalitySelector(
            knn, modalities=MODS, cv=GroupKFold(3), random_state=0
        ).fit(X, y, groups=groups)
        assert abs(_utility(sel)) < 0.15
        # Nothing requests sample_weight: scikit-learn's routing says so.
        with pytest.raises((TypeError, ValueError), match="sample_weight"):
            ModalitySelector(knn, modalities=MODS, cv=3).fit(
                X, y, sample_weight=np.ones(y.size)
            )
    routing = ModalitySelector(knn, modalities=MODS).get_metadata_routing()
    assert "groups" in str(routing)


def test_other_metadata_without_routing_is_an_error():
    X, y, groups = visits(n_patients=20)
    sel = ModalitySelector(LogisticRegression(), modalities=MODS, cv=2)
    with pytest.raises(ValueError, match=r"enable_metadata_routing.*sample_weight"):
        sel.fit(X, y, sample_weight=np.ones(y.size))
    with pytest.raises(ValueError, match="one value per row"):
        sel.fit(X, y, groups=groups[:-1])


def _budgeted(**kwargs):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    return BudgetedMultimodalClassifier(
        modalities=MODS,
        selector=ModalitySelector(KNeighborsClassifier(n_neighbors=1), cv=3),
        imputer=SimpleImputer(),
        classifier=make_pipeline(SimpleImputer(), LogisticRegression()),
        random_state=0,
        **kwargs,
    )


def test_budgeted_classifier_hands_groups_to_its_selector():
    X, y, groups = visits()
    plain = _budgeted(strategy="skll_no_generation").fit(X, y)
    honest = _budgeted(strategy="skll_no_generation").fit(X, y, groups=groups)
    assert _utility(plain.selector_) > 0.4
    assert abs(_utility(honest.selector_)) < 0.15
    # Simulation: the selector sees the available rows and their groups.
    sim = _budgeted(available=0.5, strategy="skll").fit(X, y, groups=groups)
    assert abs(_utility(sim.selector_)) < 0.2
    with sklearn.config_context(enable_metadata_routing=True):
        routed = _budgeted(strategy="skll_no_generation").fit(X, y, groups=groups)
    assert abs(_utility(routed.selector_)) < 0.15


def test_run_protocol_keeps_patients_out_of_the_test_split():
    X, y, groups = visits(n_patients=40)
    parts = dict(
        selector=ModalitySelector(LogisticRegression(), cv=2),
        imputer=None,
        classifier=KNeighborsClassifier(n_neighbors=1),
    )
    from sklearn.impute import SimpleImputer

    parts["imputer"] = SimpleImputer()
    kwargs = dict(
        available=(0.8,),
        budgets=(0.1,),
        strategies=("full", "skll"),  # skll fits the selector with groups
        seeds=2,
        estimator_params=parts,
    )
    inflated = run_protocol(X, y, MODS, **kwargs)
    honest = run_protocol(X, y, MODS, groups=groups, **kwargs)
    # Labels are coin flips per patient: only a seen patient is predictable.
    full = lambda runs: runs.loc[runs["strategy"] == "full", "accuracy"]  # noqa: E731
    assert full(inflated).mean() > 0.75
    assert full(honest).mean() < 0.6
