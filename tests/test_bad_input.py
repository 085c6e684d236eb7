"""Bad inputs and faults a new user meets: each gives a clear error or the right
result, never a traceback, a silent wrong answer, or a change to the caller's
data. One test (or parametrized family) per kind of mistake."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_skll import (
    FlowImputer,
    ModalityError,
    ModalitySelector,
    MultimodalNetClassifier,
)
from sklearn_skll._scaling import mean_and_scale
from sklearn_skll.budget import make_plan
from sklearn_skll.cli import main
from sklearn_skll.datasets import read_clinical_table, read_mmsa_pickle
from sklearn_skll.exceptions import BudgetError
from sklearn_skll.explain import modality_shap_values

FAST_NET = dict(
    encoder_hidden=8,
    embed_dim=8,
    fusion_hidden=8,
    max_epochs=15,
    batch_size=32,
    lr=1e-2,
    random_state=0,
)


def _one_line_exit_2(capsys, argv, *needles):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err
    return err


# ------------------------------------------------------------------ CLI


@pytest.mark.parametrize(
    "options, needle",
    [
        (["--scoring", "no_such_scorer"], "--scoring"),
        (["--cv", "400", "--bootstrap", "0"], "cv"),
        (["--max-samples", "10", "--cv", "8", "--bootstrap", "0"], "cv"),
    ],
)
@pytest.mark.parametrize("command", ["select", "plan"])
def test_cli_option_errors_with_dataset_exit_2(capsys, command, options, needle):
    extra = ["--budget", "0.1"] if command == "plan" else []
    _one_line_exit_2(
        capsys,
        [command, "--dataset", "breast_cancer", "--quiet", *options, *extra],
        needle,
    )


def test_cli_negative_bootstrap_is_a_parser_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["select", "--dataset", "breast_cancer", "--bootstrap", "-3"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--bootstrap" in err and "0 or more" in err
    assert "Traceback" not in err


def test_cli_table_that_is_a_directory(tmp_path, capsys):
    folder = tmp_path / "cohort.csv"
    folder.mkdir()
    _one_line_exit_2(
        capsys,
        [
            "select",
            "--table",
            str(folder),
            "--modality",
            "a=x",
            "--modality",
            "b=z",
            "--target",
            "y",
            "--quiet",
        ],
        "directory",
    )


def test_cli_header_only_csv_says_it_has_no_rows(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("mri,pet,diagnosis\n")
    _one_line_exit_2(
        capsys,
        [
            "select",
            "--table",
            str(path),
            "--modality",
            "mri=mri",
            "--modality",
            "pet=pet",
            "--target",
            "diagnosis",
            "--quiet",
        ],
        "no rows",
    )


def test_reader_rejects_directory_and_empty_table(tmp_path):
    folder = tmp_path / "cohort.csv"
    folder.mkdir()
    with pytest.raises(ValueError, match="directory"):
        read_clinical_table(folder, {"a": ["x"]}, "y")
    frame = pd.DataFrame(
        {"x": pd.Series([], dtype=float), "y": pd.Series([], dtype=float)}
    )
    with pytest.raises(ValueError, match="no rows.*Got 0 rows instead"):
        read_clinical_table(frame, {"a": ["x"]}, "y")


# ------------------------------------------------------------ magnitudes


def test_mean_and_scale_is_finite_for_huge_values():
    X = np.array([[1e300, -1e160, 5.0], [3e300, 1e160, np.nan], [2e300, 0, np.nan]])
    mean, scale = mean_and_scale(X)
    assert np.isfinite(mean).all() and np.isfinite(scale).all()
    np.testing.assert_allclose(mean, [2e300, 0.0, 5.0])
    np.testing.assert_allclose(scale[:2], np.nanstd(X[:, :2] / 1e150, axis=0) * 1e150)
    assert scale[2] == 1.0  # one observed value: no spread


@pytest.fixture(scope="module")
def small_data():
    """Two informative modalities and one of noise, 160 rows."""
    rng = np.random.RandomState(0)
    y = np.arange(160) % 2
    X = rng.randn(160, 11)
    X[:, :8] += 1.5 * (2 * y[:, None] - 1)
    mods = {"a": [0, 1, 2, 3], "b": [4, 5, 6, 7], "noise": [8, 9, 10]}
    return X, y, mods


def test_cli_logistic_regression_scales_huge_magnitudes(small_data):
    from sklearn_skll.cli._common import make_estimator

    X, y, _ = small_data
    base = make_estimator("logreg", "cpu", 0).fit(X, y).predict(X)
    huge = make_estimator("logreg", "cpu", 0).fit(X * 1e160, y).predict(X * 1e160)
    np.testing.assert_array_equal(huge, base)


@pytest.mark.parametrize("factor", [1e155, 1e200, 1e-200])
def test_net_learns_on_huge_and_tiny_magnitudes(small_data, factor):
    X, y, mods = small_data
    base = MultimodalNetClassifier(modalities=mods, **FAST_NET).fit(X, y)
    big = MultimodalNetClassifier(modalities=mods, **FAST_NET).fit(X * factor, y)
    assert np.isfinite(big.scale_).all() and np.isfinite(big.mean_).all()
    # Standardising makes the rescaled data the same to the net.
    acc_base = (base.predict(X) == y).mean()
    acc_big = (big.predict(X * factor) == y).mean()
    assert acc_big > 0.8
    assert abs(acc_big - acc_base) < 0.05


def test_flow_imputer_fits_huge_magnitudes(small_data):
    X, y, mods = small_data
    X = X * 1e160
    X_missing = X.copy()
    X_missing[:20, mods["noise"]] = np.nan
    imputer = FlowImputer(modalities=mods, max_epochs=3, random_state=0)
    out = imputer.fit(X, y).transform(X_missing)
    assert np.isfinite(imputer.scale_).all()
    assert np.isfinite(out).all()


# ---------------------------------------------------------------- readers


def _mmsa_split(labels):
    rng = np.random.default_rng(0)
    n = len(labels)
    return {
        "text": rng.normal(size=(n, 3, 2)),
        "audio": rng.normal(size=(n, 3, 2)),
        "vision": rng.normal(size=(n, 3, 2)),
        "regression_labels": np.asarray(labels, dtype=float),
    }


@pytest.mark.parametrize("target", ["binary", "seven", "binary_nonzero", "regression"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_mmsa_nan_or_inf_label_is_an_error_never_a_class(target, bad):
    split = _mmsa_split([-1.0, bad, 2.0, 0.5])
    with pytest.raises(ValueError, match=r"label.*rows \[1\].*Got (nan|inf) instead"):
        read_mmsa_pickle({"train": split}, target=target)


# ------------------------------------------------------------------ names


def test_modality_names_with_the_subset_separator_are_rejected():
    X = np.random.RandomState(0).randn(40, 3)
    y = np.arange(40) % 2
    mods = {"a": [0], "b": [1], "a+b": [2]}
    with pytest.raises(ModalityError, match=r"must not contain '\+'.*Got 'a\+b'"):
        ModalitySelector(LogisticRegression(), modalities=mods, cv=2).fit(X, y)
    with pytest.raises(ModalityError, match=r"'\+'"):
        MultimodalNetClassifier(modalities=mods, max_epochs=1).fit(X, y)
    with pytest.raises(BudgetError, match=r"'\+'"):
        make_plan(["a", "b", "a+b"], 0.1)
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"]).assign(t=y)
    with pytest.raises(ModalityError, match=r"'\+'"):
        read_clinical_table(frame, {"a": ["x0"], "a+b": ["x1"]}, "t")
    with pytest.raises(ModalityError, match=r"'\+'"):
        read_mmsa_pickle(
            {"train": _mmsa_split([1.0, -1.0])}, modalities=("text", "audio+vision")
        )


def test_subset_names_are_unique(small_data):
    X, y, mods = small_data
    sel = ModalitySelector(
        LogisticRegression(), modalities=mods, cv=3, random_state=0
    ).fit(X, y)
    assert sel.utilities_["subset"].is_unique


# --------------------------------------------------------------- aliasing


def test_selector_transform_returns_a_copy(small_data):
    X, y, mods = small_data
    sel = ModalitySelector(
        LogisticRegression(), modalities=mods, cv=3, random_state=0
    ).fit(X, y)
    before = X.copy()
    out = sel.transform(X)
    assert not np.shares_memory(out, X)
    out[:] = 0.0  # a later in-place step
    np.testing.assert_array_equal(X, before)


def test_no_estimator_aliases_or_changes_the_callers_data(small_data):
    X, y, mods = small_data
    X = X.copy()
    X[:10, mods["noise"]] = np.nan
    before = X.copy()
    imputer = FlowImputer(modalities=mods, max_epochs=2, random_state=0).fit(X, y)
    out = imputer.transform(X)
    assert not np.shares_memory(out, X)
    net = MultimodalNetClassifier(modalities=mods, **FAST_NET).fit(X, y)
    net.predict_proba(X)
    sel = ModalitySelector(
        LogisticRegression(), modalities=mods, cv=3, random_state=0, utility="masked"
    ).fit(np.nan_to_num(X), y)
    sel.fit_transform(np.nan_to_num(X), y)
    np.testing.assert_array_equal(X, before)


# ---------------------------------------------------------------- explain


def test_shap_on_reordered_dataframe_names_the_columns(small_data):
    X, y, mods = small_data
    names = [f"c{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=names)
    mods_by_name = {m: [names[j] for j in idx] for m, idx in mods.items()}
    clf = LogisticRegression().fit(frame, y)
    reordered = frame[names[::-1]]
    with pytest.raises(ValueError, match=r"same order.*another order.*c10"):
        modality_shap_values(
            clf, reordered.iloc[:3], mods_by_name, background=frame.iloc[:10]
        )
    with pytest.raises(ValueError, match=r"missing \['c0'\]"):
        modality_shap_values(
            clf, frame.drop(columns="c0").assign(z=0.0).iloc[:3], None, background=None
        )


def test_shap_with_a_default_net_and_nan_masking(small_data):
    X, y, mods = small_data
    net = MultimodalNetClassifier(modalities=mods, **FAST_NET).fit(X, y)
    assert net.all_missing == "raise"
    exp = modality_shap_values(net, X[:2], mods, missing="nan")
    assert net.all_missing == "raise"  # the caller's estimator is unchanged
    np.testing.assert_allclose(exp.base_values, np.tile(net.class_prior_, (2, 1)))
    np.testing.assert_allclose(
        exp.values.sum(axis=1) + exp.base_values, net.predict_proba(X[:2]), atol=1e-6
    )


# ------------------------------------------- costs: one validation everywhere

COST_MODS = {"m0": [0, 1], "m1": [2, 3], "m2": [4, 5]}
BAD_COSTS = {
    "a string": ({"m0": "3", "m1": 1, "m2": 1}, r"`m0`.*must be a number.*'3'"),
    "empty": ({}, "is empty"),
    "partial": ({"m0": 2, "m1": 1}, "modality `m2` has none"),
    "negative": ({"m0": -1, "m1": 1, "m2": 1}, "`m0`.*positive finite.*-1"),
    "zero": ({"m0": 0, "m1": 1, "m2": 1}, "`m0`.*positive finite.*0"),
    "NaN": ({"m0": np.nan, "m1": 1, "m2": 1}, "`m0`.*positive finite.*nan"),
    "inf": ({"m0": np.inf, "m1": 1, "m2": 1}, "`m0`.*positive finite.*inf"),
    "unknown": ({"m0": 1, "m1": 1, "m2": 1, "m9": 2}, r"unknown modalities \['m9'\]"),
    "a bool": ({"m0": True, "m1": 1, "m2": 1}, "`m0`.*must be a number"),
}


@pytest.fixture(scope="module")
def cost_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] + X[:, 2] > 0).astype(int)
    selector = ModalitySelector(
        LogisticRegression(), modalities=COST_MODS, cv=2, random_state=0
    ).fit(X, y)
    return X, y, selector


def _cost_entry_points(X, y, selector):
    from sklearn_skll.acquisition import AcquisitionRanker
    from sklearn_skll.budget import BudgetedMultimodalClassifier, run_protocol
    from sklearn_skll.impute import ClassConditionalGaussianImputer
    from sklearn_skll.planning import rank_keys, simulate_keys

    names = list(COST_MODS)
    resolved = {k: np.array(v) for k, v in COST_MODS.items()}
    return {
        "plan": lambda c: selector.plan(0.1, costs=c),
        "make_plan": lambda c: make_plan(names, 0.1, costs=c, n_reference=60),
        "rank_keys": lambda c: rank_keys(
            "gain_per_cost", selector.utilities_, names, costs=c
        ),
        "simulate_keys": lambda c: simulate_keys(
            LogisticRegression(), X, y, resolved, [("m0", "m1")], budget=0.2, costs=c
        ),
        "selector": lambda c: ModalitySelector(
            LogisticRegression(), modalities=COST_MODS, cv=2, costs=c
        ).fit(X, y),
        "budgeted": lambda c: BudgetedMultimodalClassifier(
            modalities=COST_MODS, classifier=LogisticRegression(), costs=c
        ).fit(X, y),
        "ranker": lambda c: AcquisitionRanker(
            LogisticRegression(),
            ClassConditionalGaussianImputer(),
            modalities=COST_MODS,
            costs=c,
        ).fit(X, y),
        "run_protocol": lambda c: run_protocol(
            X,
            y,
            COST_MODS,
            strategies=["uniform"],
            seeds=1,
            estimator_params={"costs": c},
        ),
    }


ENTRY_POINTS = [
    "plan", "make_plan", "rank_keys", "simulate_keys", "selector", "budgeted",
    "ranker", "run_protocol",
]  # fmt: skip


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("case", list(BAD_COSTS))
def test_bad_costs_are_one_clear_budget_error_at_every_entry_point(
    cost_data, entry, case
):
    costs, match = BAD_COSTS[case]
    with pytest.raises(BudgetError, match=match) as info:
        _cost_entry_points(*cost_data)[entry](costs)
    assert str(info.value).endswith("instead.")


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "inf"])
def test_cli_bad_cost_is_one_line(capsys, value):
    _one_line_exit_2(
        capsys,
        ["plan", "--dataset", "breast_cancer", "--quiet", "--budget", "0.1",
         "--cost", f"mean={value}"],
        "mean",
    )  # fmt: skip


def test_cli_partial_costs_default_to_one_and_reach_the_plan(capsys):
    code = main(
        ["plan", "--dataset", "breast_cancer", "--quiet", "--budget", "0.1",
         "--cost", "worst=4", "--bootstrap", "0", "--cv", "2"]
    )  # fmt: skip
    assert code == 0
    assert "costs: mean=1, se=1, worst=4" in capsys.readouterr().out


# ------------------------------------------------ modalities: typos and kinds


@pytest.mark.parametrize(
    "selector, match",
    [
        (None, "must select columns with.*Got None"),
        ([0.0, 1.0], r"must select columns with.*Got \[0.0, 1.0\]"),
        ({"x": 1}, "must select columns with"),
        ([4, 9], r"`a`.*position\(s\) \[9\], but X has 6 columns"),
        (["c0", "c1"], "`a`.*array without column names"),
        ([], "`a`.*selects no column"),
    ],
)
def test_modality_selectors_that_cannot_work_are_named(selector, match):
    X = np.zeros((4, 6))
    with pytest.raises(ModalityError, match=match):
        ModalitySelector(modalities={"a": selector, "b": [2, 3]}).fit(X, [0, 1] * 2)


def test_a_text_column_names_its_modality():
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(10, 4)), columns=list("abcd"))
    X["d"] = X["d"].astype(object)
    X.loc[3, "d"] = "high"
    imp = ClassConditionalGaussianImputer(modalities={"m": ["a", "b"], "n": ["c", "d"]})
    with pytest.raises(ModalityError, match=r"`d` of modality `n`.*'high' in row 3"):
        imp.fit(X, np.arange(10) % 2)


# ---------------------------------------------------------- acquisition inputs


@pytest.fixture(scope="module")
def ranker_data():
    from sklearn_skll.acquisition import AcquisitionRanker
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] + X[:, 2] > 0).astype(int)
    # The imputer has no modalities of its own: it gets the ranker's.
    ranker = AcquisitionRanker(
        LogisticRegression(),
        ClassConditionalGaussianImputer(),
        modalities=COST_MODS,
        random_state=0,
    ).fit(X, y)
    X_new = X[:8].copy()
    X_new[:, 4:] = np.nan
    return ranker, X, y, X_new


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda r, X: r.rank(X[:, :5]), ValueError, "5 features"),
        (lambda r, X: r.rank(np.where(np.arange(6) == 5, 0.0, X)), ModalityError,
         "`m2` is partly missing"),
        (lambda r, X: r.rank(np.full((2, 6), np.nan)), ModalityError,
         "every modality missing"),
        (lambda r, X: r.rank(np.where(np.arange(6) == 0, np.inf, X)), ValueError,
         "`m0` holds infinite values"),
        (lambda r, X: r.select(X, budget=-1), BudgetError, "`budget`"),
        (lambda r, X: r.select(X, budget=np.nan), BudgetError, "`budget`"),
        (lambda r, X: r.select(X, budget="10"), BudgetError, "`budget`"),
    ],
)  # fmt: skip
def test_acquisition_inputs_give_clear_errors(ranker_data, call, error, match):
    ranker, _, _, X_new = ranker_data
    with pytest.raises(error, match=match):
        call(ranker, X_new)


def test_ranker_ranks_with_an_imputer_given_without_modalities(ranker_data):
    ranker, _, _, X_new = ranker_data
    ranking = ranker.rank(X_new)
    assert set(ranking["modality"]) == {"m2"}
    assert len(ranking) == len(X_new)


def test_ranker_single_class_and_typo_are_named(ranker_data):
    from sklearn_skll.acquisition import AcquisitionRanker
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    _, X, y, _ = ranker_data
    make = lambda mods: AcquisitionRanker(  # noqa: E731
        LogisticRegression(), ClassConditionalGaussianImputer(), modalities=mods
    )
    with pytest.raises(ValueError, match="at least 2 classes in `y`"):
        make(COST_MODS).fit(X, np.zeros(len(y)))
    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(6)])
    typo = {"m0": ["c0", "c1"], "m1": ["c2", "c3"], "m2": ["c4", "c5_"]}
    with pytest.raises(ModalityError, match=r"Modality `m2`.*\['c5_'\]"):
        make(typo).fit(frame, y)
