"""The command-line tool, run in-process through ``main(argv)``."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sklearn_skll.cli import main


@pytest.fixture
def clinical_csv(tmp_path):
    """A small clinical table written the way a user would: one row a patient."""
    rng = np.random.RandomState(0)
    n = 90
    y = rng.randint(0, 2, n)
    frame = pd.DataFrame(
        {
            "patient": [f"p{i:03d}" for i in range(n)],
            "mri_hippo": y * 1.5 + rng.randn(n),
            "mri_ventricle": -y + rng.randn(n),
            "pet_amyloid": y * 2.0 + rng.randn(n),
            "age": rng.randint(55, 90, n),
            "sex_male": rng.randint(0, 2, n),
            "diagnosis": np.where(y == 1, "AD", "CN"),
        }
    )
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    return path


def _table_args(path):
    return [
        "--table",
        str(path),
        "--modality",
        "mri=re:^mri_",
        "--modality",
        "pet=pet_amyloid",
        "--modality",
        "demo=age,sex_male",
        "--target",
        "diagnosis",
    ]


def test_datasets_lists_every_bundled_dataset(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("alzheimers", "multiple_features", "breast_cancer"):
        assert name in out
    assert "proteins (124)" in out


def test_datasets_json_is_parseable(capsys):
    assert main(["datasets", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in records}
    assert by_name["multiple_features"]["n_samples"] == 2000
    assert by_name["alzheimers"]["n_classes"] == 2


def test_select_on_a_user_table(clinical_csv, tmp_path, capsys):
    out_dir = tmp_path / "plots"
    code = main(
        [
            "select",
            *_table_args(clinical_csv),
            "--cv",
            "3",
            "--bootstrap",
            "20",
            "--quiet",
            "--out",
            str(out_dir),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "utility" in out and "cooperation" in out
    assert "mri+pet+demo" in out or "mri+pet" in out
    assert "Shapley" in out
    # one key, with its rule; the paper's C(S) subset only as a detail
    assert "Key (what new rows carry; key='gain_per_cost')" in out
    assert "Selected key subset" not in out
    assert "Detail: the subset of the highest C(S) (the paper's rule) is" in out
    assert "% of the full utility" in out
    for name in (
        "shapley.png",
        "subsets.png",
        "interactions.png",
        "greedy.png",
        "subsets.csv",
    ):
        assert (out_dir / name).stat().st_size > 0


def test_plan_with_costs_on_a_user_table(clinical_csv, capsys):
    code = main(
        [
            "plan",
            *_table_args(clinical_csv),
            "--cv",
            "3",
            "--bootstrap",
            "0",
            "--quiet",
            "--budget",
            "0.3",
            "--cost",
            "pet=4",
            "--cost",
            "mri=2",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "uniform" in out and "skll" in out
    # The bottom line leads; the plan's gain is labelled as arithmetic.
    lines = [line for line in out.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if line.startswith("Plan:"))
    assert first < next(i for i, line in enumerate(lines) if "Acquisition plan" in line)
    assert "it is not a measurement" in lines[first]
    assert "expected_gain" not in out and "plan_arithmetic" in out
    assert "Cost of one observation per modality: mri 2, pet 4, demo 1." in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            [
                "--modality",
                "mri=mri_nope",
                "--modality",
                "pet=pet_amyloid",
                "--target",
                "diagnosis",
            ],
            "mri_nope",
        ),
        (
            [
                "--modality",
                "mri=re:^mri_",
                "--modality",
                "pet=pet_amyloid",
                "--target",
                "outcome",
            ],
            "outcome",
        ),
        (
            [
                "--modality",
                "mri=re:^zzz",
                "--modality",
                "pet=pet_amyloid",
                "--target",
                "diagnosis",
            ],
            "mri",
        ),
        (["--modality", "mri", "--target", "diagnosis"], "NAME=VALUE"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(
    clinical_csv, capsys, extra, message
):
    code = main(["select", "--table", str(clinical_csv), *extra, "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_file_and_unknown_dataset(tmp_path, capsys):
    assert (
        main(
            [
                "select",
                "--table",
                str(tmp_path / "nope.csv"),
                "--modality",
                "a=x",
                "--target",
                "y",
            ]
        )
        == 2
    )
    assert "not found" in capsys.readouterr().err
    assert main(["select", "--dataset", "no_such_data"]) == 2
    assert "no_such_data" in capsys.readouterr().err


def test_unknown_cost_modality_is_a_user_error(clinical_csv, capsys):
    code = main(
        [
            "plan",
            *_table_args(clinical_csv),
            "--budget",
            "0.1",
            "--cost",
            "ct=3",
            "--quiet",
        ]
    )
    assert code == 2
    assert "ct" in capsys.readouterr().err


def test_bad_numbers_are_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--available", "0.1,abc"])
    assert exc.value.code == 2
    assert "comma-separated numbers" in capsys.readouterr().err


def test_console_script_help_reads_well():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_skll", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for command in ("datasets", "select", "plan", "benchmark"):
        assert command in out


@pytest.mark.parametrize(
    "command", ["datasets", "select", "plan", "benchmark", "acquire"]
)
def test_command_help_prints_no_format_escapes(command, capsys):
    # argparse %-formats help strings but not descriptions: "%%" in a
    # description would be printed as is.
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: sklearn-skll " + command in out
    assert "%%" not in out


def test_finetune_engine_needs_the_net(clinical_csv, capsys):
    code = main(
        ["select", *_table_args(clinical_csv), "--engine", "finetune", "--quiet"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--estimator net" in err
    assert "Got --estimator logreg instead" in err


@pytest.mark.parametrize(
    "engine, estimator", [("masked", []), ("finetune", ["--estimator", "net"])]
)
def test_select_with_a_fast_engine(engine, estimator, clinical_csv, capsys):
    code = main(
        [
            "select",
            *_table_args(clinical_csv),
            "--engine",
            engine,
            *estimator,
            "--cv",
            "3",
            "--bootstrap",
            "0",
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert f"engine={engine}" in out
    # One row per non-empty subset of the three modalities.
    assert (
        sum(line.startswith(("mri", "pet", "demo")) for line in out.splitlines()) >= 7
    )


def test_benchmark_writes_tables_and_plots(tmp_path, capsys):
    out_dir = tmp_path / "bench"
    code = main(
        [
            "benchmark",
            "--seeds",
            "2",
            "--available",
            "0.3",
            "--budget",
            "0.1",
            "--strategies",
            "available_only,uniform,skll",
            "--out",
            str(out_dir),
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "available_only" in out and "skll" in out and "±" in out
    runs = pd.read_csv(out_dir / "results.csv")
    # 2 seeds x 3 strategies, each scored on the same fixed test split.
    assert len(runs) == 6
    assert set(runs["strategy"]) == {"available_only", "uniform", "skll"}
    assert runs["accuracy"].between(0, 1).all()
    # SK-LL rows carry a key subset and buy more rows than uniform.
    skll = runs[runs["strategy"] == "skll"]["n_train"].to_numpy()
    uniform = runs[runs["strategy"] == "uniform"]["n_train"].to_numpy()
    assert (skll >= uniform).all()
    meta = json.loads((out_dir / "results.json").read_text())
    assert meta["seeds"] == 2 and len(meta["runs"]) == 6
    assert set(meta["shapley_values"]) == {"proteins", "csf", "apoe", "demographics"}
    for name in (
        "results.md",
        "paired_differences.png",
        "learning_curve.png",
        "shapley.png",
    ):
        assert (out_dir / name).stat().st_size > 0
    # One budget: no curve over budgets to draw.
    assert not (out_dir / "budget_curve.png").exists()
    report = (out_dir / "results.md").read_text()
    lines = report.splitlines()
    # The bottom line in words first, then the settings and costs, then the
    # paired differences.
    assert lines[2].startswith("**") and "SK-LL vs uniform" in lines[2]
    assert "Cost of one observation per modality: 1 each (the default)" in report
    assert lines.index("## Paired differences to uniform") < lines.index(
        "## Accuracy per strategy"
    )
    assert "key (seeds choosing it)" in report and "/2)" in report
    assert "SK-LL" in out and "Is more data worth it here?" in out


def test_benchmark_spends_the_budget_in_costs(tmp_path, capsys):
    args = [
        "benchmark",
        "--seeds",
        "1",
        "--available",
        "0.3",
        "--budget",
        "0.3",
        "--strategies",
        "uniform,skll",
        "--quiet",
    ]
    assert main([*args, "--out", str(tmp_path / "unit")]) == 0
    costly = ["--cost", "proteins=5", "--cost", "csf=3"]
    assert main([*args, *costly, "--out", str(tmp_path / "cost")]) == 0
    out = capsys.readouterr().out
    assert (
        "Cost of one observation per modality: proteins 5, csf 3, apoe 1, "
        "demographics 1." in out
    )
    unit = pd.read_csv(tmp_path / "unit" / "results.csv").set_index("strategy")
    cost = pd.read_csv(tmp_path / "cost" / "results.csv").set_index("strategy")
    # A fractional budget buys observations at the mean cost (make_plan):
    # uniform's complete rows are as many as with unit costs, and SK-LL's
    # key, chosen by utility per cost, buys more rows than uniform.
    assert cost.loc["uniform", "n_new"] == unit.loc["uniform", "n_new"]
    assert cost.loc["skll", "n_new"] > cost.loc["uniform", "n_new"]
    report = (tmp_path / "cost" / "results.md").read_text()
    assert "Cost of one observation per modality: proteins 5, csf 3" in report
    meta = json.loads((tmp_path / "cost" / "results.json").read_text())
    assert meta["costs"] == {
        "proteins": 5.0,
        "csf": 3.0,
        "apoe": 1.0,
        "demographics": 1.0,
    }


@pytest.mark.parametrize(
    "cost, message",
    [("mri=2", "unknown modalities ['mri']"), ("csf=-1", "costs must be positive")],
)
def test_benchmark_rejects_bad_costs(cost, message, tmp_path, capsys):
    code = main(["benchmark", "--cost", cost, "--out", str(tmp_path), "--quiet"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_benchmark_rejects_unknown_strategies(tmp_path, capsys):
    code = main(
        ["benchmark", "--strategies", "skll,greedy", "--out", str(tmp_path), "--quiet"]
    )
    assert code == 2
    assert "greedy" in capsys.readouterr().err


def test_benchmark_with_a_mean_imputing_logistic_regression(tmp_path, capsys):
    # skll_no_generation leaves the new rows incomplete: the logistic
    # regression must take their NaN blocks (mean imputation inside).
    code = main(
        [
            "benchmark",
            "--seeds",
            "1",
            "--available",
            "0.3",
            "--budget",
            "0.1",
            "--strategies",
            "skll_no_generation",
            "--classifier",
            "logreg",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    runs = pd.read_csv(tmp_path / "results.csv")
    assert len(runs) == 1 and runs["n_new"].iloc[0] > 0
    assert runs["accuracy"].iloc[0] > 0.7
