import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from sklearn_skll import ModalityError, resolve_modalities
from sklearn_skll.datasets import make_multimodal_classification


def _cv_accuracy(estimator, X, y):
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    return cross_val_score(estimator, X, y, cv=cv).mean()


def test_default_bunch_layout_and_ground_truth():
    bunch = make_multimodal_classification(120, random_state=0)
    assert isinstance(bunch.data, pd.DataFrame)
    assert bunch.data.shape == (120, 30)
    assert list(bunch.modalities) == [
        "informative",
        "synergy_a",
        "synergy_b",
        "redundant",
        "noise",
    ]
    assert bunch.modalities["synergy_a"] == [f"synergy_a_{k}" for k in range(4)]
    cols = [c for cols in bunch.modalities.values() for c in cols]
    assert cols == list(bunch.data.columns)
    assert bunch.best_subset == ("informative", "synergy_a", "synergy_b")
    assert bunch.noise_modalities == ("noise",)
    assert bunch.useful_alone == ("informative", "redundant")
    assert bunch.synergy_groups == {"xor": ("synergy_a", "synergy_b")}
    assert bunch.copy_of == {"redundant": "informative"}
    assert bunch.roles["synergy_b"] == "synergistic"
    assert list(bunch.target_names) == ["class_0", "class_1"]
    np.testing.assert_array_equal(np.bincount(bunch.target), [60, 60])
    assert "best_subset" in bunch.DESCR and "synergy_a (4)" in bunch.DESCR
    # the modalities resolve against the data as they are
    resolved = resolve_modalities(bunch.modalities, bunch.data)
    np.testing.assert_array_equal(resolved["synergy_b"], np.arange(12, 16))


def test_latents_follow_the_roles():
    bunch = make_multimodal_classification(300, n_classes=3, random_state=1)
    y, latent = bunch.target, bunch.latent
    np.testing.assert_array_equal(latent["informative"], y)
    np.testing.assert_array_equal((latent["synergy_a"] + latent["synergy_b"]) % 3, y)
    # one member alone carries no information: its latent is not y
    assert np.mean(latent["synergy_a"] == y) < 0.5


def test_same_seed_same_data_and_other_seed_differs():
    a = make_multimodal_classification(50, random_state=3)
    b = make_multimodal_classification(50, random_state=3)
    c = make_multimodal_classification(50, random_state=4)
    pd.testing.assert_frame_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.allclose(a.data.to_numpy(), c.data.to_numpy())


def test_return_X_y_and_as_frame_false():
    X, y = make_multimodal_classification(40, random_state=0, return_X_y=True)
    assert isinstance(X, pd.DataFrame) and y.shape == (40,)
    bunch = make_multimodal_classification(40, random_state=0, as_frame=False)
    assert isinstance(bunch.data, np.ndarray) and bunch.frame is None
    assert bunch.modalities["synergy_a"] == [8, 9, 10, 11]
    np.testing.assert_allclose(bunch.data, X.to_numpy())


def test_synergistic_pair_is_only_useful_jointly():
    """Each member alone is at chance; the pair (XOR) is learnable by trees
    but not by a linear model; the informative modality is useful alone."""
    bunch = make_multimodal_classification(600, random_state=0)
    X, y, mods = bunch.data, bunch.target, bunch.modalities
    tree = RandomForestClassifier(100, min_samples_leaf=3, random_state=0)
    a = _cv_accuracy(tree, X[mods["synergy_a"]], y)
    b = _cv_accuracy(tree, X[mods["synergy_b"]], y)
    pair = _cv_accuracy(tree, X[mods["synergy_a"] + mods["synergy_b"]], y)
    assert a < 0.6 and b < 0.6
    assert pair > 0.75
    linear_pair = _cv_accuracy(
        LogisticRegression(), X[mods["synergy_a"] + mods["synergy_b"]], y
    )
    assert linear_pair < 0.6
    lin = LogisticRegression()
    assert _cv_accuracy(lin, X[mods["informative"]], y) > 0.75
    assert _cv_accuracy(lin, X[mods["redundant"]], y) > 0.65
    assert _cv_accuracy(lin, X[mods["noise"]], y) < 0.6


def test_redundant_copy_adds_nothing_beyond_its_source():
    bunch = make_multimodal_classification(800, random_state=2)
    X, y, mods = bunch.data, bunch.target, bunch.modalities
    lin = LogisticRegression()
    alone = _cv_accuracy(lin, X[mods["informative"]], y)
    both = _cv_accuracy(lin, X[mods["informative"] + mods["redundant"]], y)
    assert abs(both - alone) < 0.03


def test_custom_layout_multiclass_group_of_three():
    layout = {
        "a": {"n_features": 3, "role": "synergistic", "group": "g"},
        "b": {"n_features": 2, "role": "synergistic", "group": "g"},
        "c": {"n_features": 1, "role": "synergistic", "group": "g"},
        "copy": {"n_features": 5, "role": "redundant", "copy_of": "a", "noise": 0.0},
    }
    bunch = make_multimodal_classification(
        90, modalities=layout, n_classes=4, random_state=0
    )
    assert bunch.data.shape == (90, 11)
    assert bunch.best_subset == ("a", "b", "c")
    assert bunch.useful_alone == ()
    assert bunch.noise_modalities == ()
    lat = bunch.latent
    np.testing.assert_array_equal((lat["a"] + lat["b"] + lat["c"]) % 4, bunch.target)
    # a noiseless redundant copy is a linear function of its source
    src, cp = bunch.data[bunch.modalities["a"]], bunch.data[bunch.modalities["copy"]]
    coef, *_ = np.linalg.lstsq(src.to_numpy(), cp.to_numpy(), rcond=None)
    np.testing.assert_allclose(src.to_numpy() @ coef, cp.to_numpy(), atol=1e-8)


@pytest.mark.parametrize(
    "layout, match",
    [
        ({}, "non-empty dict"),
        ({1: {"n_features": 2}}, "names must be strings"),
        ({"a": 3}, "Modality `a` must be described by a dict"),
        ({"a": {"n_features": 0}}, "Modality `a` needs 'n_features'"),
        ({"a": {"n_features": 2, "role": "magic"}}, "Modality `a` has role 'magic'"),
        ({"a": {"n_features": 2, "colour": 1}}, "unknown keys"),
        ({"a": {"n_features": 2, "role": "synergistic"}}, "needs a 'group'"),
        (
            {"a": {"n_features": 2, "role": "synergistic", "group": "g"}},
            "Synergy group 'g' needs at least two",
        ),
        ({"a": {"n_features": 2, "role": "redundant"}}, "needs 'copy_of'"),
        (
            {
                "n": {"n_features": 2, "role": "noise"},
                "r": {"n_features": 2, "role": "redundant", "copy_of": "n"},
            },
            "must copy an informative or synergistic",
        ),
        ({"a": {"n_features": 2, "noise": -1.0}}, "needs 'noise' >= 0"),
    ],
)
def test_invalid_layouts_raise_modality_error(layout, match):
    with pytest.raises(ModalityError, match=match):
        make_multimodal_classification(10, modalities=layout)


def test_invalid_parameters():
    with pytest.raises(ValueError, match="n_classes"):
        make_multimodal_classification(10, n_classes=1)
    with pytest.raises(ValueError, match="n_samples"):
        make_multimodal_classification(0)
