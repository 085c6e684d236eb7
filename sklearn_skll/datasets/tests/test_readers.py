import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_skll import ModalityError, resolve_modalities
from sklearn_skll.datasets import read_clinical_table, read_mmsa_pickle


# --------------------------------------------------------------------------- #
# MMSA / MulT pickles
# --------------------------------------------------------------------------- #
def _split(rng, n, scores, *, label_key="regression_labels", steps=6):
    """A split in the MMSA layout; every row has zero padding at the end."""
    text = rng.normal(size=(n, steps, 4))
    audio = rng.normal(size=(n, steps, 3))
    vision = rng.normal(size=(n, steps, 2))
    for arr in (text, audio, vision):
        arr[:, -2:] = 0.0  # padding
    labels = np.asarray(scores, dtype=float)
    if label_key == "labels":  # MulT stores (n, 1, 1)
        labels = labels.reshape(n, 1, 1)
    return {
        "text": text,
        "audio": audio,
        "vision": vision,
        label_key: labels,
        "id": np.array([f"clip{i}" for i in range(n)]),
    }


@pytest.fixture
def mmsa_file(tmp_path):
    rng = np.random.default_rng(0)
    content = {
        "train": _split(rng, 6, [-3.4, -0.5, 0.0, 0.5, 2.5, 1.5]),
        "valid": _split(rng, 2, [-1.2, 0.8]),
        "test": _split(rng, 3, [3.0, -2.6, 0.2]),
    }
    path = tmp_path / "unaligned_50.pkl"
    with open(path, "wb") as handle:
        pickle.dump(content, handle)
    return path, content


def test_mmsa_layout_splits_and_targets(mmsa_file):
    path, content = mmsa_file
    bunch = read_mmsa_pickle(path)
    assert bunch.data.shape == (11, 4 + 3 + 2)
    assert bunch.modalities["audio"] == ["audio_0", "audio_1", "audio_2"]
    resolve_modalities(bunch.modalities, bunch.data, min_modalities=3)
    assert list(bunch.split) == ["train"] * 6 + ["valid"] * 2 + ["test"] * 3
    assert list(bunch.frame["split"]) == list(bunch.split)
    assert bunch.ids[0] == "clip0"
    targets = bunch.targets
    np.testing.assert_array_equal(targets["binary"][:6], [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(bunch.target, targets["binary"])
    assert list(bunch.target_names) == ["negative", "non-negative"]
    # round(clip(s, -3, 3)) + 3 with numpy (half to even) rounding
    np.testing.assert_array_equal(targets["seven"][:6], [0, 3, 3, 3, 5, 5])
    assert np.isnan(targets["binary_nonzero"][2])
    assert "Zadeh" in bunch.DESCR and "mean" in bunch.DESCR


def test_mmsa_mean_pooling_ignores_padding(mmsa_file):
    path, content = mmsa_file
    bunch = read_mmsa_pickle(path, splits=["valid"])
    expected = content["valid"]["text"][:, :4].mean(axis=1)
    np.testing.assert_allclose(bunch.data[bunch.modalities["text"]], expected)


def test_mmsa_max_and_last_pooling():
    seq = np.array(
        [
            [[0.0, 0.0], [-1.0, -5.0], [-2.0, -3.0], [0.0, 0.0]],  # padded both ends
            [[1.0, 2.0], [3.0, -1.0], [0.0, 0.0], [0.0, 0.0]],
        ]
    )
    split = {"text": seq, "labels": np.array([[[1.0]], [[-1.0]]])}
    pooled_max = read_mmsa_pickle({"test": split}, pooling="max", modalities=["text"])
    # padding zeros never win against negative values
    np.testing.assert_array_equal(pooled_max.data.to_numpy(), [[-1, -3], [3, 2]])
    pooled_last = read_mmsa_pickle({"test": split}, pooling="last", modalities=["text"])
    np.testing.assert_array_equal(pooled_last.data.to_numpy(), [[-2, -3], [3, -1]])


def test_mmsa_lengths_and_all_padding_rows():
    seq = np.ones((3, 4, 2))
    seq[1, 2:] = 5.0
    seq[2] = 0.0  # nothing observed
    split = {
        "vision": seq,
        "vision_lengths": np.array([4, 2, 0]),
        "regression_labels": np.array([0.5, -0.5, 1.0]),
    }
    bunch = read_mmsa_pickle({"train": split}, modalities=["vision"])
    np.testing.assert_array_equal(bunch.data.to_numpy(), [[1, 1], [1, 1], [0, 0]])
    as_nan = read_mmsa_pickle({"train": split}, modalities=["vision"], empty="nan")
    assert np.isnan(as_nan.data.to_numpy()[2]).all()
    assert np.isfinite(as_nan.data.to_numpy()[:2]).all()


def test_mmsa_nonzero_target_drops_zero_scores(mmsa_file):
    path, _ = mmsa_file
    bunch = read_mmsa_pickle(path, target="binary_nonzero")
    assert bunch.data.shape[0] == 10 and len(bunch.split) == 10
    np.testing.assert_array_equal(bunch.target[:5], [0, 0, 1, 1, 1])
    assert list(bunch.target_names) == ["negative", "positive"]
    seven = read_mmsa_pickle(path, target="seven")
    assert list(seven.target_names) == ["-3", "-2", "-1", "0", "1", "2", "3"]
    reg = read_mmsa_pickle(path, target="regression")
    assert reg.target[0] == pytest.approx(-3.4)


def test_mmsa_mult_layout_return_X_y_and_positions():
    rng = np.random.default_rng(1)
    content = {"train": _split(rng, 4, [1, -1, 2, 0], label_key="labels")}
    X, y = read_mmsa_pickle(content, return_X_y=True)
    assert X.shape == (4, 9) and list(y) == [1, 0, 1, 1]
    bunch = read_mmsa_pickle(content, as_frame=False)
    assert bunch.modalities["vision"] == [7, 8]


@pytest.mark.parametrize(
    "content, kwargs, error, match",
    [
        (
            {"train": {"text": np.zeros((2, 3, 1))}},
            {},
            ValueError,
            "no sentiment labels",
        ),
        (
            {"train": {"text": np.zeros((2, 3, 1)), "labels": np.zeros(2)}},
            {},
            ModalityError,
            "Modality `audio` is not in split 'train'",
        ),
        ({"other": {}}, {}, ValueError, "none of the splits"),
        (
            {"train": {"text": np.zeros((2, 3, 1)), "labels": np.zeros(2)}},
            {"splits": ["test"], "modalities": ["text"]},
            ValueError,
            "Split 'test' is not in the pickle",
        ),
        (
            {"train": {"text": np.zeros((3, 3, 1)), "labels": np.zeros(2)}},
            {"modalities": ["text"]},
            ValueError,
            "has 3 rows but there are 2 labels",
        ),
    ],
)
def test_mmsa_errors(content, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        read_mmsa_pickle(content, **kwargs)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- #
# Clinical tables
# --------------------------------------------------------------------------- #
@pytest.fixture
def clinical():
    """ADNI-like: MRI missing for patient 2, PET for patient 3, one partial row."""
    return pd.DataFrame(
        {
            "RID": [11, 12, 13, 14, 15],
            "mri_hippo": [7.1, 6.2, np.nan, 6.9, 7.4],
            "mri_ventr": [30.0, 41.0, np.nan, 35.0, 28.0],
            "pet_fdg": [1.2, 1.1, 1.3, np.nan, np.nan],
            "csf_abeta": [900, 650, 700, 820, 1000],
            "age": [71, 78, 66, 80, 74],
            "sex_male": [True, False, True, True, False],
            "DX": ["CN", "AD", "MCI", "AD", "CN"],
        }
    )


MODS = {
    "mri": "re:^mri_",
    "pet": ["pet_fdg"],
    "csf": "csf_abeta",
    "demographics": ["age", "sex_male"],
}


def test_clinical_from_frame(clinical):
    bunch = read_clinical_table(clinical, MODS, "DX", index_col="RID")
    assert bunch.modalities == {
        "mri": ["mri_hippo", "mri_ventr"],
        "pet": ["pet_fdg"],
        "csf": ["csf_abeta"],
        "demographics": ["age", "sex_male"],
    }
    assert list(bunch.data.index) == [11, 12, 13, 14, 15]
    assert bunch.data.dtypes.eq(float).all()
    assert list(bunch.target_names) == ["AD", "CN", "MCI"]
    np.testing.assert_array_equal(bunch.target, [1, 0, 2, 0, 1])
    assert bunch.observed.loc[13, "mri"] == False  # noqa: E712
    assert bunch.observed.loc[14, "pet"] == False  # noqa: E712
    assert bunch.observed.to_numpy().sum() == 20 - 3
    assert "mri 1, pet 2" in bunch.DESCR
    resolve_modalities(bunch.modalities, bunch.data, min_modalities=4)
    assert "RID" not in bunch.data.columns and "DX" not in bunch.data.columns
    assert list(bunch.frame["DX"]) == list(bunch.target)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_clinical_from_files_keeps_empty_cells(clinical, tmp_path, suffix):
    path = tmp_path / f"adni{suffix}"
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
        clinical.to_parquet(path)
    else:
        clinical.to_csv(path, index=False)
    X, y = read_clinical_table(path, MODS, "DX", return_X_y=True)
    assert X.shape == (5, 6)
    assert X["mri_hippo"].isna().sum() == 1 and X["pet_fdg"].isna().sum() == 2
    np.testing.assert_array_equal(y, [1, 0, 2, 0, 1])


def test_clinical_missing_target_rows(clinical):
    clinical.loc[1, "DX"] = np.nan
    with pytest.raises(ValueError, match=r"Target column `DX` has 1 empty cell"):
        read_clinical_table(clinical, MODS, "DX")
    with pytest.warns(UserWarning, match="Dropped 1 row"):
        bunch = read_clinical_table(clinical, MODS, "DX", missing_target="drop")
    assert bunch.data.shape[0] == 4 and list(bunch.target_names) == ["AD", "CN", "MCI"]


@pytest.mark.parametrize(
    "mods, target, error, match",
    [
        (
            {"mri": ["mri_hippo", "mri_thick"]},
            "DX",
            ModalityError,
            r"Modality `mri` in `modalities` names column\(s\) \['mri_thick'\] "
            r"that are not in the table",
        ),
        (
            {"mri": "re:^mri_"},
            "diagnosis",
            ValueError,
            "Target column `diagnosis` is not in the table",
        ),
        (
            {"pet": "re:^amyloid_"},
            "DX",
            ModalityError,
            "Modality `pet` selects no column of the table",
        ),
        ({"pet": []}, "DX", ModalityError, "Modality `pet` selects no column"),
        (
            {"a": ["age"], "b": "re:^age$"},
            "DX",
            ModalityError,
            "Modalities `a` and `b` in `modalities` overlap: both select column `age`",
        ),
        ({"a": "re:^D"}, "DX", ModalityError, "selects the target column `DX`"),
        ({"a": "re:(["}, "DX", ModalityError, "invalid regular expression"),
        ({"a": [1, 2]}, "DX", ModalityError, "list of column names"),
        ({}, "DX", ModalityError, "at least one modality"),
    ],
)
def test_clinical_errors_are_one_self_contained_line(
    clinical, mods, target, error, match
):
    with pytest.raises(error, match=match) as info:
        read_clinical_table(clinical, mods, target)
    message = str(info.value)
    assert "\n" not in message and message.endswith("instead.")


def test_clinical_non_numeric_column_and_bad_file(clinical, tmp_path):
    match = "Column `DX` of modality `labels` is not numeric"
    with pytest.raises(ModalityError, match=match):
        read_clinical_table(
            clinical.assign(y=0), {"labels": ["DX"]}, "y", categorical="error"
        )
    with pytest.raises(ValueError, match="Cannot tell the format"):
        read_clinical_table(tmp_path / "table.xlsx", MODS, "DX")
    path = tmp_path / "adni.csv"
    clinical.to_csv(path, index=False)
    with pytest.raises(ValueError, match="Index column `PTID` is not in the table"):
        read_clinical_table(path, MODS, "DX", index_col="PTID")


# --------------------------------------------------------------------------- #
# Clinical tables: categorical columns, partial cells, missingness
# --------------------------------------------------------------------------- #
@pytest.fixture
def cohort():
    """Six patients: `sex` as strings (one empty), `apoe` categorical, PET
    missing for two patients, one stray empty lab value (row 3, `mmse`)."""
    return pd.DataFrame(
        {
            "mri_a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "pet_a": [0.1, np.nan, 0.3, np.nan, 0.5, 0.6],
            "pet_b": [1.1, np.nan, 1.3, np.nan, 1.5, 1.6],
            "age": [70.0, 71.0, 72.0, 73.0, 74.0, 75.0],
            "mmse": [29.0, 25.0, 21.0, np.nan, 27.0, 30.0],
            "sex": ["M", "F", "F", None, "M", "F"],
            "apoe": pd.Categorical(["e3", "e4", "e3", "e2", "e3", "e4"]),
            "dx": ["CN", "AD", "MCI", "AD", "CN", "MCI"],
        }
    )


COHORT = {
    "mri": ["mri_a"],
    "pet": "re:^pet_",
    "clinical": ["age", "mmse", "sex", "apoe"],
}


def test_categorical_columns_are_one_hot_encoded_inside_their_modality(cohort):
    bunch = read_clinical_table(cohort, COHORT, "dx")
    assert bunch.modalities["clinical"] == [
        "age",
        "mmse",
        "sex_F",
        "sex_M",
        "apoe_e2",
        "apoe_e3",
        "apoe_e4",
    ]
    assert bunch.modalities["mri"] == ["mri_a"]
    # a missing cell stays missing (NaN in every level column), not a level
    np.testing.assert_array_equal(bunch.data["sex_M"], [1, 0, 0, np.nan, 1, 0])
    np.testing.assert_array_equal(bunch.data["sex_F"], [0, 1, 1, np.nan, 0, 1])
    assert bunch.data[["apoe_e2", "apoe_e3", "apoe_e4"]].sum(axis=1).eq(1).all()
    encoded = bunch.encoded.set_index("column")
    assert encoded.loc["sex", "n_levels"] == 2 and encoded.loc["apoe", "n_levels"] == 3
    assert encoded.loc["sex", "levels"] == ["F", "M"]
    assert set(encoded["modality"]) == {"clinical"}
    assert "`sex` of `clinical` was one-hot encoded into 2 columns" in bunch.DESCR
    assert cohort["sex"].tolist()[:2] == ["M", "F"]  # the caller's frame is intact


def test_categorical_error_keeps_the_strict_behaviour(cohort):
    with pytest.raises(
        ModalityError,
        match="Column `sex` of modality `clinical` is "
        "not numeric.*categorical='onehot'",
    ) as info:
        read_clinical_table(cohort, COHORT, "dx", categorical="error")
    assert str(info.value).endswith("instead.")
    with pytest.raises(ModalityError, match=r"would make column\(s\) \['sex_M'\]"):
        read_clinical_table(cohort.assign(sex_M=1.0), {**COHORT, "x": ["sex_M"]}, "dx")


def test_missingness_table_counts_rows_per_modality(cohort):
    bunch = read_clinical_table(cohort, COHORT, "dx")
    table = bunch.missingness
    assert list(table.index) == ["mri", "pet", "clinical"]
    assert table["rows_observed"].tolist() == [6, 4, 6]
    assert table["rows_missing"].tolist() == [0, 2, 0]
    assert table.loc["pet", "missing_pct"] == pytest.approx(33.3)
    # row 3 has no mmse and no sex: clinical is partly observed there
    assert table["rows_partial"].tolist() == [0, 0, 1]
    assert np.isnan(bunch.data.loc[3, "mmse"])  # kept by default


def test_partial_cells_impute_fills_only_partly_observed_blocks(cohort):
    bunch = read_clinical_table(cohort, COHORT, "dx", partial_cells="impute")
    data = bunch.data
    assert data.loc[3, "mmse"] == 27.0  # median of 29, 25, 21, 27, 30
    # `sex` is imputed with its most frequent level (F: 3 of 5), then encoded
    assert (data.loc[3, "sex_F"], data.loc[3, "sex_M"]) == (1.0, 0.0)
    # missing modalities stay missing, observed cells are unchanged
    assert data.loc[[1, 3], ["pet_a", "pet_b"]].isna().all(axis=None)
    kept = read_clinical_table(cohort, COHORT, "dx")
    observed = kept.data.notna()
    pd.testing.assert_frame_equal(data[observed], kept.data[observed])
    imputed = bunch.imputed.set_index("column")
    assert imputed.loc["mmse", "rule"] == "median"
    assert imputed.loc["mmse", "n_cells"] == 1
    assert imputed.loc["sex", "value"] == "F"
    assert imputed.loc["sex", "rule"] == "most frequent"
    assert set(imputed["modality"]) == {"clinical"}
    assert bunch.missingness.loc["clinical", "rows_partial"] == 1  # as read
    assert "filled with its median value 27.0" in bunch.DESCR
    assert np.isnan(cohort.loc[3, "mmse"])  # the caller's frame is intact


def test_partial_cells_error_names_the_modality_and_the_row(cohort):
    match = (
        r"Modality `clinical` is only partly observed in 1 row\(s\) "
        r"\(first: row 3, empty \['mmse', 'sex'\]\)"
    )
    with pytest.raises(ModalityError, match=match) as info:
        read_clinical_table(cohort, COHORT, "dx", partial_cells="error")
    assert "partial_cells='impute'" in str(info.value)
    assert str(info.value).endswith("instead.")


def test_dropped_target_rows_are_counted(cohort):
    cohort.loc[[0, 4], "dx"] = np.nan
    with pytest.warns(UserWarning, match="Dropped 2 row"):
        bunch = read_clinical_table(cohort, COHORT, "dx", missing_target="drop")
    assert bunch.n_dropped == 2 and bunch.data.shape[0] == 4
    assert bunch.missingness["rows_observed"].tolist() == [4, 2, 4]  # rows 1, 2, 3, 5


@pytest.mark.parametrize("kind", ["text", "integer"])
def test_an_id_like_column_inside_a_modality_warns(kind):
    rng = np.random.RandomState(0)
    n = 40
    ids = [f"P{i:04d}" for i in range(n)] if kind == "text" else 1000 + np.arange(n)
    table = pd.DataFrame(
        {
            "patient": ids,
            "age": rng.randint(60, 90, n),
            "mri_a": rng.normal(size=n),
            "DX": rng.choice(["AD", "CN"], n),
        }
    )
    mods = {"demo": ["patient", "age"], "mri": ["mri_a"]}
    with pytest.warns(UserWarning, match=r"`patient` of modality `demo`.*index_col="):
        bunch = read_clinical_table(table, mods, "DX")
    if kind == "text":
        assert len(bunch.modalities["demo"]) == n + 1  # what the warning says
    # Used as the index, it is not a feature and nothing warns.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        bunch = read_clinical_table(
            table, {"demo": ["age"], "mri": ["mri_a"]}, "DX", index_col="patient"
        )
    assert bunch.data.index.name == "patient"
