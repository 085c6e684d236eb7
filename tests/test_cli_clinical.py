"""A clinical user's CSV through the command line: string columns, empty
targets, a stray empty lab value, a modality missing for 28 % of patients."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_skll.cli import main
from sklearn_skll.exceptions import CooperationWarning


def make_cohort_csv(path, seed=0):
    """200 patients: mri (5 columns), pet (3), clinical (4, `sex` as "M"/"F");
    56 patients (28 %) without pet, a string target AD/CN/MCI with two empty
    cells, and one empty `mmse` in an otherwise observed clinical block."""
    rng = np.random.default_rng(seed)
    n = 200
    dx = rng.choice(["AD", "CN", "MCI"], size=n, p=[0.3, 0.4, 0.3])
    level = pd.Series(dx).map({"CN": 0.0, "MCI": 1.0, "AD": 2.0}).to_numpy()
    frame = pd.DataFrame({"patient": [f"P{i:04d}" for i in range(n)]})
    for k in range(5):
        frame[f"mri_{k}"] = -0.6 * level + rng.normal(size=n)
    for k in range(3):
        frame[f"pet_{k}"] = 0.9 * level + rng.normal(size=n)
    frame["age"] = np.round(68 + 3 * level + rng.normal(0, 6, n))
    frame["sex"] = rng.choice(["M", "F"], size=n)
    frame["mmse"] = np.round(29 - 2.5 * level + rng.normal(0, 1.5, n))
    frame["education"] = rng.integers(8, 21, n).astype(float)
    frame["diagnosis"] = dx.astype(object)
    without_pet = rng.choice(n, size=56, replace=False)
    frame.loc[without_pet, ["pet_0", "pet_1", "pet_2"]] = np.nan
    frame.loc[[17, 123], "diagnosis"] = np.nan
    frame.loc[42, "mmse"] = np.nan
    frame.to_csv(path, index=False)
    return path


COHORT_ARGS = [
    "--modality",
    "mri=re:^mri_",
    "--modality",
    "pet=re:^pet_",
    "--modality",
    "clinical=age,sex,mmse,education",
    "--target",
    "diagnosis",
]
FAST = ["--cv", "3", "--bootstrap", "20", "--quiet"]
FLAGS = ["--missing-target", "drop", "--partial-cells", "impute"]


@pytest.fixture(scope="module")
def cohort_csv(tmp_path_factory):
    return make_cohort_csv(tmp_path_factory.mktemp("cohort") / "cohort.csv")


def test_the_cohort_is_the_one_described(cohort_csv):
    frame = pd.read_csv(cohort_csv)
    assert frame.shape == (200, 14)
    assert frame[["pet_0", "pet_1", "pet_2"]].isna().all(axis=1).sum() == 56
    assert frame["diagnosis"].isna().sum() == 2
    assert set(frame["sex"]) == {"M", "F"}
    assert frame[["age", "sex", "mmse", "education"]].isna().sum().sum() == 1


def _head(out):
    return out.split("Modality subsets")[0].split("Acquisition plan")[0]


def test_select_reads_the_cohort_with_the_new_flags(cohort_csv, capsys):
    code = main(["select", "--table", str(cohort_csv), *COHORT_ARGS, *FLAGS, *FAST])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    head = _head(captured.out)
    assert "198 rows, 3 modalities" in head
    assert "dropped 2 row(s) with an empty target" in head
    assert "one-hot encoded `sex` (clinical) into 2 columns: F, M" in head
    assert (
        "imputed 1 cell(s) of clinical in 1 column(s): mmse: 1 with its median" in head
    )
    rows = {
        line.split()[0]: line.split()
        for line in head.splitlines()
        if line.split() and line.split()[0] in ("mri", "pet", "clinical")
    }
    # modality, columns, rows_observed, rows_missing, missing_pct, rows_partial
    assert rows["mri"][1:5] == ["5", "198", "0", "0.0"]
    assert rows["clinical"][1:3] == ["5", "198"] and rows["clinical"][5] == "1"
    observed_pet = int(rows["pet"][2])
    assert observed_pet + int(rows["pet"][3]) == 198 and 140 <= observed_pet <= 144
    assert head.index("Rows per modality") < captured.out.index("Shapley")


def test_plan_reads_the_cohort_with_the_new_flags(cohort_csv, capsys):
    code = main(
        [
            "plan",
            "--table",
            str(cohort_csv),
            *COHORT_ARGS,
            *FLAGS,
            *FAST,
            "--budget",
            "0.1",
            "--cost",
            "pet=5",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    head = _head(captured.out)
    assert "Rows per modality" in head and "dropped 2 row(s)" in head
    assert "Acquisition plan for table" in captured.out


@pytest.mark.parametrize(
    "flags, match",
    [
        (["--partial-cells", "impute"], "pass --missing-target drop"),
        (["--missing-target", "drop"], "Modality `clinical` is only partly observed"),
        ([*FLAGS, "--categorical", "error"], "pass --categorical onehot"),
    ],
    ids=["empty-target", "partial-cells", "categorical"],
)
def test_the_strict_defaults_stop_with_one_line_naming_the_flag(
    cohort_csv, capsys, flags, match
):
    code = main(["select", "--table", str(cohort_csv), *COHORT_ARGS, *flags, *FAST])
    err = capsys.readouterr().err
    assert code == 2
    assert match in err and err.count("\n") == 1
    assert "np." not in err  # row labels print as the user wrote them


@pytest.mark.parametrize(
    "flag, message",
    [
        ("--categorical", "invalid choice: 'maybe'"),
        ("--missing-target", "invalid choice: 'maybe'"),
        ("--partial-cells", "invalid choice: 'maybe'"),
        ("--bootstrap", "expected 'auto' or a whole number, got 'maybe'"),
    ],
)
def test_bad_flag_values_exit_2_with_one_line(cohort_csv, flag, message):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sklearn_skll",
            "select",
            "--table",
            str(cohort_csv),
            *COHORT_ARGS,
            flag,
            "maybe",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert f"argument {flag}: {message}" in last
    assert "Traceback" not in result.stderr


def test_select_reports_the_bootstrap_and_its_interval_width(cohort_csv, capsys):
    code = main(
        [
            "select",
            "--table",
            str(cohort_csv),
            *COHORT_ARGS,
            *FLAGS,
            "--cv",
            "3",
            "--bootstrap",
            "30",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "95 % paired bootstrap over the held-out rows, 30 resamples" in captured.out
    assert "median utility interval width 0." in captured.out
    # the progress bar names the resamples it includes
    # --cv 3, one repeat (the selector's default n_repeats=1)
    assert "7 subsets x 3 folds, 30 bootstrap resamples each" in captured.err


def test_repeated_warnings_are_printed_once_with_their_count(capsys):
    from sklearn_skll.cli._common import summarize_warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(11):
            warnings.warn("lbfgs failed to converge", UserWarning, stacklevel=1)
        warnings.warn(
            "C(S) is undefined (NaN) for some modality subsets.",
            CooperationWarning,
            stacklevel=1,
        )
    utilities = pd.DataFrame({"cooperation": [0.0, np.nan, 0.5, np.nan]})
    summarize_warnings(caught, utilities)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "warning: UserWarning: lbfgs failed to converge (11 times; shown once)",
        (
            "note: C(S) is undefined (NaN) for 2 of 4 modality subsets: they do no "
            "better than the constant predictor (nan in the `cooperation` column)."
        ),
    ]


def test_index_col_names_the_rows_and_is_no_feature(cohort_csv, capsys):
    # the empty `mmse` of patient P0042 stops the strict default: the message
    # names the patient by the id column, not by the row position
    code = main(
        ["select", "--table", str(cohort_csv), *COHORT_ARGS, "--index-col", "patient"]
        + ["--missing-target", "drop", *FAST]
    )
    err = capsys.readouterr().err
    assert code == 2 and "P0042" in err
    code = main(
        ["select", "--table", str(cohort_csv), *COHORT_ARGS, "--index-col", "nope"]
        + FLAGS
        + FAST
    )
    err = capsys.readouterr().err
    assert code == 2 and "--index-col 'nope'" in err
    code = main(["select", "--dataset", "alzheimers", "--index-col", "patient"])
    assert code == 2 and "go with --table" in capsys.readouterr().err
