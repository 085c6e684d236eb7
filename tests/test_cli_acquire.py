"""``sklearn-skll acquire`` on a user table, run in-process through ``main``."""

import numpy as np
import pandas as pd
import pytest

from sklearn_skll.acquisition import CRITERIA
from sklearn_skll.cli import _acquire, main


@pytest.fixture
def cohort_csv(tmp_path):
    """Patients with MRI and demographics; PET missing for some, labels for most."""
    rng = np.random.RandomState(0)
    n = 90
    y = rng.randint(0, 2, n)
    frame = pd.DataFrame(
        {
            "patient": [f"p{i:03d}" for i in range(n)],
            "mri_hippo": y * 1.5 + rng.randn(n),
            "mri_ventricle": -y + rng.randn(n),
            "pet_amyloid": y * 2.0 + rng.randn(n),
            "pet_tau": y * 1.0 + rng.randn(n),
            "age": rng.randint(55, 90, n).astype(float),
            "diagnosis": np.where(y == 1, "AD", "CN").astype(object),
        }
    )
    frame.loc[60:, ["pet_amyloid", "pet_tau"]] = np.nan  # 30 rows without PET
    frame.loc[80:, ["mri_hippo", "mri_ventricle"]] = np.nan  # 10 without MRI too
    frame.loc[70:, "diagnosis"] = np.nan  # candidates may be unlabelled
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    return path


def _args(path, out, *extra):
    return [
        "acquire",
        "--table",
        str(path),
        "--modality",
        "mri=re:^mri_",
        "--modality",
        "pet=pet_amyloid,pet_tau",
        "--modality",
        "demo=age",
        "--target",
        "diagnosis",
        "--index-col",
        "patient",
        "--draws",
        "5",
        "--out",
        str(out),
        *extra,
    ]


def test_acquire_ranks_the_incomplete_rows_and_spends_the_budget(
    cohort_csv, tmp_path, capsys
):
    before = cohort_csv.read_bytes()
    out = tmp_path / "acq"
    code = main(_args(cohort_csv, out, "--budget", "7", "--cost", "pet=2"))
    assert code == 0
    printed = capsys.readouterr()
    assert "acquisitions chosen" in printed.out
    assert "Checked out of fold on the complete rows" in printed.out
    assert "60 complete labelled rows train; 30 rows" in printed.err
    ranking = pd.read_csv(out / "ranking.csv")
    chosen = pd.read_csv(out / "chosen.csv")
    assert (out / "acquire.png").stat().st_size > 0
    # One entry per (incomplete row, missing modality), named by patient.
    expected = {(f"p{r:03d}", "pet") for r in range(60, 90)}
    expected |= {(f"p{r:03d}", "mri") for r in range(80, 90)}
    assert set(zip(ranking["patient"], ranking["modality"])) == expected
    assert ranking["p_change_low"].le(ranking["p_change"]).all()
    assert ranking["p_change"].le(ranking["p_change_high"]).all()
    assert set(ranking["prediction"]) <= {"AD", "CN"}
    assert chosen["cost"].sum() <= 7 and chosen["spent"].iloc[-1] <= 7
    assert set(chosen["cost"]) <= {1.0, 2.0}
    assert np.all(np.diff(ranking["gain_per_cost"]) <= 0)
    assert cohort_csv.read_bytes() == before


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--budget", "-1"], "--budget"),
        (["--budget", "ten"], "--budget"),
        (["--budget", "3", "--cost", "ct=2"], "unknown modalities"),
        (["--budget", "3", "--cost", "pet=0"], "positive"),
        (["--budget", "3", "--draws", "0"], "--draws"),
        (["--budget", "3", "--seed", "1.5"], "--seed"),
        (["--budget", "3", "--top", "-2"], "--top"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2(
    cohort_csv, tmp_path, capsys, extra, message
):
    assert main(_args(cohort_csv, tmp_path / "x", *extra)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert err.startswith("sklearn-skll acquire: error:")


def test_nothing_to_rank_and_unknown_target(tmp_path, capsys):
    frame = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0], "y": [0, 1, 0, 1]})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    base = [
        "acquire",
        "--table",
        str(path),
        "--modality",
        "a=a",
        "--modality",
        "b=b",
        "--budget",
        "1",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main([*base, "--target", "y"]) == 2
    assert "nothing to rank" in capsys.readouterr().err
    assert main([*base, "--target", "label"]) == 2
    assert "--target 'label'" in capsys.readouterr().err


def test_other_imputers(cohort_csv, tmp_path, capsys):
    out = tmp_path / "it"
    assert (
        main(
            _args(
                cohort_csv,
                out,
                "--budget",
                "3",
                "--imputer",
                "iterative",
                "--criterion",
                "expected_loss_reduction",
            )
        )
        == 0
    )
    assert len(pd.read_csv(out / "chosen.csv")) == 3


def test_cli_criteria_match_the_estimator():
    assert _acquire.CRITERIA == CRITERIA


@pytest.fixture
def clinic_csv(tmp_path):
    """A clinic's table: ids, three diagnoses, a categorical column, stray
    empty cells inside observed modalities, missing modalities, rows missing
    everything and candidates without a diagnosis."""
    rng = np.random.RandomState(1)
    n = 150
    y = rng.randint(0, 3, n)
    frame = pd.DataFrame(
        {
            "patient": [f"P{i + 1:04d}" for i in range(n)],
            "age": rng.randint(50, 90, n).astype(float),
            "sex": rng.choice(["F", "M"], n).astype(object),
            "lab_a": y + rng.randn(n),
            "lab_b": -y + rng.randn(n),
            "mri_1": 1.5 * y + rng.randn(n),
            "mri_2": rng.randn(n),
            "pet": 2.0 * (y == 2) + rng.randn(n),
            "dx": np.array(["CN", "MCI", "AD"], dtype=object)[y],
        }
    )
    frame.loc[100:, ["pet"]] = np.nan
    frame.loc[120:, ["mri_1", "mri_2"]] = np.nan
    frame.loc[4, "lab_b"] = np.nan  # patient P0005: a stray empty lab cell
    frame.loc[110, "sex"] = None  # and an empty categorical cell
    frame.loc[145:, ["age", "sex", "lab_a", "lab_b"]] = np.nan  # missing all
    frame.loc[140:, "dx"] = None  # unlabelled candidates
    path = tmp_path / "clinic.csv"
    frame.to_csv(path, index=False)
    return path


def _clinic(path, out, *extra):
    return [
        "acquire",
        "--table",
        str(path),
        "--modality",
        "clinical=age,sex,lab_a,lab_b",
        "--modality",
        "mri=re:^mri_",
        "--modality",
        "pet=pet",
        "--target",
        "dx",
        "--budget",
        "12",
        "--cost",
        "pet=3",
        "--draws",
        "5",
        "--out",
        str(out),
        *extra,
    ]


def test_acquire_names_rows_by_id_or_by_their_row_in_the_table(
    clinic_csv, tmp_path, capsys
):
    assert main(_clinic(clinic_csv, tmp_path / "a", "--index-col", "patient")) == 2
    err = capsys.readouterr().err
    assert "row 'P0005'" in err and "--partial-cells impute" in err
    assert main(_clinic(clinic_csv, tmp_path / "b")) == 2
    assert "row 5" in capsys.readouterr().err  # the fifth data row


def test_acquire_on_a_clinical_csv_with_partial_cells_and_ids(
    clinic_csv, tmp_path, capsys
):
    out = tmp_path / "c"
    args = _clinic(clinic_csv, out, "--index-col", "patient", "--partial-cells")
    assert main([*args, "impute"]) == 0
    printed = capsys.readouterr()
    assert "100 complete labelled rows train; 45 rows" in printed.err
    assert "left out: 5 rows missing every modality (patient P0146" in printed.err
    assert "rows are named by patient" in printed.err
    assert "expected to change" in printed.out and "P01" in printed.out
    ranking = pd.read_csv(out / "ranking.csv")
    chosen = pd.read_csv(out / "chosen.csv")
    assert ranking["patient"].str.match(r"P\d{4}$").all()
    # PET for patients 101-145, MRI for 121-145; never a row missing all.
    assert set(ranking["patient"]) == {f"P{i:04d}" for i in range(101, 146)}
    assert set(ranking["prediction"]) <= {"AD", "CN", "MCI"}
    assert chosen["cost"].sum() <= 12
    assert np.all(np.diff(ranking["gain_per_cost"]) <= 1e-12)


def test_acquire_max_per_row_and_small_tables(clinic_csv, tmp_path, capsys):
    out = tmp_path / "d"
    base = _clinic(clinic_csv, out, "--partial-cells", "impute")
    assert main([*base, "--budget", "100", "--max-per-row", "1"]) == 0
    chosen = pd.read_csv(out / "chosen.csv")
    assert not chosen["row"].duplicated().any()
    assert main([*base, "--max-per-row", "0"]) == 2
    assert "--max-per-row" in capsys.readouterr().err


def test_acquire_complete_rows_without_a_target(clinic_csv, tmp_path, capsys):
    frame = pd.read_csv(clinic_csv)
    frame.loc[[2, 7], "dx"] = None  # complete rows, empty target
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    base = _clinic(path, tmp_path / "e", "--index-col", "patient")
    base += ["--partial-cells", "impute"]
    assert main(base) == 0  # left out of training by default, and named
    err = capsys.readouterr().err
    assert "98 complete labelled rows train" in err
    assert "2 complete rows with an empty target (patient P0003, P0008" in err
    assert main([*base, "--missing-target", "error"]) == 2
    err = capsys.readouterr().err
    assert "patient P0003, P0008" in err and "--missing-target drop" in err


def test_acquire_says_which_modality_keeps_rows_incomplete(tmp_path, capsys):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "a": rng.randn(30),
            "b": rng.randn(30),
            "rare": np.r_[rng.randn(1), np.full(29, np.nan)],
            "y": rng.randint(0, 2, 30),
        }
    )
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    args = ["acquire", "--table", str(path), "--modality", "ab=a,b"]
    args += ["--modality", "rare=rare", "--target", "y", "--budget", "3"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "1 such rows" in err and "rare 29" in err


def test_acquire_numeric_classes_with_empty_cells_stay_whole(clinic_csv, tmp_path):
    frame = pd.read_csv(clinic_csv)
    frame["dx"] = frame["dx"].map({"CN": 0, "MCI": 1, "AD": 2})  # NaN stays NaN
    path = tmp_path / "codes.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "f"
    assert main(_clinic(path, out, "--partial-cells", "impute")) == 0
    chosen = pd.read_csv(out / "chosen.csv")
    assert chosen["prediction"].dtype.kind == "i"
    assert set(chosen["prediction"]) <= {0, 1, 2}


def test_acquire_says_why_budget_is_left(cohort_csv, tmp_path, capsys):
    out = tmp_path / "left"
    base = _args(cohort_csv, out, "--criterion", "uncertainty")
    assert main([*base, "--budget", "1000"]) == 0
    printed = capsys.readouterr().out
    n_pairs = len(pd.read_csv(out / "ranking.csv"))
    assert f"{1000 - n_pairs:g} cost units left: every candidate pair is chosen" in (
        printed
    )
    assert main([*base, "--budget", "3"]) == 0
    assert "cost units left" not in capsys.readouterr().out


def test_unspent_line_names_each_reason():
    ranking = pd.DataFrame(
        {
            "patient": ["a", "a", "b", "c", "d"],
            "modality": ["pet", "mri", "pet", "pet", "mri"],
            "gain": [0.3, 0.2, 0.1, -0.05, 0.2],
            "cost": [1.0, 1.0, 1.0, 1.0, 9.0],
        }
    )
    chosen = ranking.iloc[[0, 2]]
    line = _acquire._unspent_line(ranking, chosen, 5.0, "patient", "learned", 1)
    assert line.startswith("3 cost units left: of the 3 pairs not chosen, 1 are")
    assert "expected gain <= 0" in line
    assert "1 cost more than is left (the cheapest 9)" in line
    assert "1 belong to rows that already get 1" in line
    assert _acquire._unspent_line(ranking, chosen, 2.0, "patient", "learned", 1) is None
    line = _acquire._unspent_line(ranking, chosen, 5.0, "patient", "uncertainty", None)
    assert "gain <= 0" not in line and "none fits" not in line
