"""``sklearn-skll recommend`` and ``benchmark --table`` on the CSV fixture."""

import json
from pathlib import Path

import pandas as pd
import pytest

from sklearn_skll.cli import main

#: A 180-row, 3-class cohort: an id, three modalities, a diagnosis; 24 rows
#: lack the lab panel and 12 the genetics.
COHORT = Path(__file__).parent / "data" / "pilot_cohort.csv"

TABLE = [
    "--table",
    str(COHORT),
    "--index-col",
    "patient",
    "--target",
    "diagnosis",
    "--modality",
    "mri=mri_hippo,mri_cortex,mri_ventricle,mri_wmh",
    "--modality",
    "labs=re:^lab_",
    "--modality",
    "genetics=re:^gen_",
]


def test_recommend_on_a_csv_prints_the_answer_first(tmp_path, capsys):
    out = tmp_path / "rec"
    args = ["recommend", *TABLE, "--budget", "0.3", "--n-train", "1000"]
    args += ["--cost", "mri=5", "--cost", "labs=2", "--repeats", "4"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    # In order: the recommendation, the estimates, the learning curve.
    answer = text.index("Buy ")
    estimates = text.index("Estimates (accuracy")
    curve = text.index("Is more data worth it here?")
    assert answer < estimates < curve
    # The complete rows form the pilot; the others are counted.
    assert "144 complete rows of 180 form the pilot" in text
    assert "36 rows lacking a modality are left out" in text
    assert "labs 24, genetics 12" in text
    assert "Cost of one observation per modality: mri 5, labs 2, genetics 1" in text
    assert "class AD" in text  # the user's own labels
    for name in ("results.md", "results.csv", "results.json"):
        assert (out / name).exists()
    meta = json.loads((out / "results.json").read_text())
    assert meta["n_pilot"] == 144 and meta["n_train"] == 1000
    assert meta["strategy"] in {e["strategy"] for e in meta["estimates"]}
    assert (out / "results.md").read_text().startswith("# Recommendation\n\n**Buy ")


def test_recommend_on_a_table_needs_the_population_size(capsys):
    assert main(["recommend", *TABLE, "--budget", "0.3", "--quiet"]) == 2
    assert "--n-train" in capsys.readouterr().err


def test_recommend_on_a_bundled_dataset_takes_the_benchmarks_pilot(tmp_path, capsys):
    args = ["recommend", "--dataset", "breast_cancer", "--budget", "0.3"]
    args += ["--repeats", "3", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "the pilot is 39 rows of the training part (398 rows" in text
    meta = json.loads((tmp_path / "results.json").read_text())
    assert meta["n_pilot"] == 39 and meta["n_train"] == 398


@pytest.mark.parametrize("command", ["select", "plan", "recommend", "benchmark"])
def test_every_command_that_reads_a_table_takes_the_same_options(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    for option in (
        "--table",
        "--modality",
        "--target",
        "--index-col",
        "--categorical",
        "--missing-target",
        "--partial-cells",
    ):
        assert option in text, (command, option)


def test_benchmark_reads_a_table_and_counts_the_incomplete_rows(tmp_path, capsys):
    args = ["benchmark", *TABLE, "--available", "0.2", "--budget", "0.3"]
    args += ["--seeds", "2", "--strategies", "uniform,skll", "--classifier", "logreg"]
    assert (
        main([*args, "--imputer", "gaussian", "--out", str(tmp_path), "--quiet"]) == 0
    )
    text = capsys.readouterr().out
    assert "144 complete rows of 180 form the benchmark's data" in text
    runs = pd.read_csv(tmp_path / "results.csv")
    assert set(runs["strategy"]) == {"uniform", "skll"}
    assert "pilot_cohort" in (tmp_path / "results.md").read_text()
