import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import make_column_selector

from sklearn_skll._modalities import (
    ALL_COLUMNS,
    check_modalities_fit,
    hide_modalities,
    modality_columns,
    observed_modalities,
    resolve_modalities,
    restrict_modalities,
)
from sklearn_skll.exceptions import ModalityError


@pytest.fixture
def frame():
    rng = np.random.RandomState(0)
    return pd.DataFrame(
        rng.rand(6, 7),
        columns=["img_0", "img_1", "gen_0", "gen_1", "gen_2", "age", "male"],
    )


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("age", [5]),
        (["gen_2", "gen_0"], [2, 4]),
        ([0, 1], [0, 1]),
        (slice(2, 5), [2, 3, 4]),
        (slice("gen_0", "gen_2"), [2, 3, 4]),  # label slices include the end
        (np.array([True, True] + [False] * 5), [0, 1]),
        ([False] * 5 + [True, True], [5, 6]),
        (make_column_selector(pattern="^gen_"), [2, 3, 4]),
        (lambda X: ["age"], [5]),
        (np.array([6, 5]), [5, 6]),
        (3, [3]),
    ],
)
def test_each_selector_kind_on_a_frame(frame, selector, expected):
    resolved = resolve_modalities({"m": selector}, frame)
    assert resolved["m"].tolist() == expected
    assert resolved["m"].dtype == np.intp


def test_integer_selectors_on_an_ndarray(frame):
    X = frame.to_numpy()
    resolved = resolve_modalities(
        {"a": [1, 0], "b": slice(2, 5), "c": np.arange(7) >= 5}, X
    )
    assert list(resolved) == ["a", "b", "c"]  # order of the dict is kept
    assert resolved["a"].tolist() == [0, 1]
    assert resolved["c"].tolist() == [5, 6]


def test_none_is_one_modality_of_all_columns(frame):
    resolved = resolve_modalities(None, frame)
    assert list(resolved) == [ALL_COLUMNS]
    assert resolved[ALL_COLUMNS].tolist() == list(range(7))


def test_none_fails_where_two_modalities_are_needed(frame):
    with pytest.raises(ModalityError, match="at least 2 modalities"):
        resolve_modalities(None, frame, min_modalities=2)


@pytest.mark.parametrize(
    "modalities, match",
    [
        ({"img": []}, "`img`.*selects no column"),
        ({"img": ["img_0"], "dup": ["img_0", "age"]}, "`img` and `dup`.*overlap"),
        ({"img": ["nope"]}, "`img`.*does not fit X"),
        ({1: ["age"]}, "must be non-empty strings"),
        ({"": ["age"]}, "must be non-empty strings"),
        ({"img": [0, 99]}, "`img`"),
        ({"img": np.array([True, False])}, "`img`: boolean mask.*one entry per column"),
        ({"img": make_column_selector(pattern="^zzz")}, "`img`.*selects no column"),
        (["img_0"], "must be a dict"),
    ],
)
def test_errors_name_the_modality(frame, modalities, match):
    with pytest.raises(ModalityError, match=match):
        resolve_modalities(modalities, frame)


def test_string_selectors_need_a_frame(frame):
    with pytest.raises(ModalityError, match="`img`.*Got"):
        resolve_modalities({"img": ["img_0"]}, frame.to_numpy())


def test_too_few_modalities_is_named(frame):
    with pytest.raises(ModalityError, match="at least 2 modalities.*Got 1"):
        resolve_modalities({"img": ["img_0"]}, frame, min_modalities=2)


def test_modality_error_is_a_value_error():
    assert issubclass(ModalityError, ValueError)


def test_observed_modalities_all_nan_block_is_missing(frame):
    mods = resolve_modalities({"img": ["img_0", "img_1"], "rest": slice(2, 7)}, frame)
    X = frame.to_numpy().copy()
    X[1, :2] = np.nan
    X[3, 2:] = np.nan
    obs = observed_modalities(X, mods)
    assert obs.shape == (6, 2)
    assert obs.dtype == bool
    assert obs[:, 0].tolist() == [True, False, True, True, True, True]
    assert obs[:, 1].tolist() == [True, True, True, False, True, True]


def test_partly_missing_modality_raises_with_rows(frame):
    mods = resolve_modalities({"img": ["img_0", "img_1"], "rest": slice(2, 7)}, frame)
    X = frame.to_numpy().copy()
    X[4, 0] = np.nan
    with pytest.raises(ModalityError, match=r"`img` is partly missing in rows \[4\]"):
        observed_modalities(X, mods)
    # The explicit policy counts it as observed and leaves the NaN alone.
    obs = observed_modalities(X, mods, partial="observed")
    assert obs[4].tolist() == [True, True]
    assert np.isnan(X[4, 0])


def test_infinite_values_are_an_error(frame):
    mods = resolve_modalities({"img": ["img_0", "img_1"], "rest": slice(2, 7)}, frame)
    X = frame.to_numpy().copy()
    X[2, 5] = np.inf
    with pytest.raises(
        ValueError, match="`rest` holds infinite values in rows \\[2\\]"
    ):
        observed_modalities(X, mods)


def test_observed_modalities_odd_rows_and_layouts():
    # Scattered columns, inf beside NaN, a finite row whose sum overflows,
    # integers: the same answers as cell by cell.
    mods = {"a": np.array([0, 3]), "b": np.array([1, 2, 4])}
    X = np.arange(15, dtype=float).reshape(3, 5)
    X[0, [0, 3]] = np.nan
    X[1, [1, 2, 4]] = 1e308  # finite, but the row sum overflows
    obs = observed_modalities(X, mods)
    assert obs.tolist() == [[False, True], [True, True], [True, True]]
    assert observed_modalities(X.astype(int)[1:], mods).all()
    X[2, 1], X[2, 2] = np.nan, -np.inf
    with pytest.raises(ValueError, match=r"`b` holds infinite values in rows \[2\]"):
        observed_modalities(X, mods, partial="observed")
    X[2, 2] = 0.0
    with pytest.raises(ModalityError, match=r"`b` is partly missing in rows \[2\]"):
        observed_modalities(X, mods)
    assert observed_modalities(X, mods, partial="observed")[2].tolist() == [True, True]


def test_rows_with_nothing_observed(frame):
    mods = resolve_modalities({"img": ["img_0", "img_1"], "rest": slice(2, 7)}, frame)
    X = frame.to_numpy().copy()
    X[0] = np.nan
    assert not observed_modalities(X, mods)[0].any()
    with pytest.raises(ModalityError, match=r"Rows \[0\] have every modality missing"):
        observed_modalities(X, mods, allow_none=False)


def test_selectors_that_do_not_fit_x_at_transform_time():
    mods = {"a": np.array([0, 1]), "b": np.array([2, 3])}
    with pytest.raises(ModalityError, match="`b` uses column 3, but X has 3 columns"):
        check_modalities_fit(mods, 3)
    with pytest.raises(ModalityError, match="`b`"):
        observed_modalities(np.zeros((2, 3)), mods)


def test_hide_modalities_never_touches_the_input():
    X = np.arange(12, dtype=float).reshape(3, 4)
    before = X.copy()
    mods = {"a": np.array([0, 1]), "b": np.array([2, 3])}
    hidden = hide_modalities(X, mods, [False, True])
    assert np.array_equal(X, before)
    assert np.isnan(hidden[:, 2:]).all() and np.array_equal(hidden[:, :2], X[:, :2])
    per_row = hide_modalities(X, mods, [[True, False], [False, False], [False, True]])
    assert observed_modalities(per_row, mods).tolist() == [
        [False, True],
        [True, True],
        [True, False],
    ]


def test_restrict_modalities_positions_and_names():
    mods = {"a": np.array([0, 1]), "b": np.array([2]), "c": np.array([3, 4])}
    columns, sub = restrict_modalities(mods, ["c", "a"])
    assert columns.tolist() == [3, 4, 0, 1]
    assert sub == {"c": [0, 1], "a": [2, 3]}
    names = np.array(["a0", "a1", "b0", "c0", "c1"], dtype=object)
    columns, sub = restrict_modalities(mods, ["b", "c"], feature_names=names)
    assert sub == {"b": ["b0"], "c": ["c0", "c1"]}
    with pytest.raises(ModalityError, match="Unknown modalities \\['z'\\]"):
        restrict_modalities(mods, ["z"])


@st.composite
def layouts(draw):
    """A random partition of some columns into modalities, and missing blocks."""
    n_features = draw(st.integers(2, 12))
    owner = draw(st.lists(st.integers(-1, 3), min_size=n_features, max_size=n_features))
    names = sorted({o for o in owner if o >= 0})
    if not names:
        owner[0], names = 0, [0]
    n_rows = draw(st.integers(1, 8))
    missing = draw(
        st.lists(
            st.lists(st.booleans(), min_size=len(names), max_size=len(names)),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    kind = draw(st.sampled_from(["names", "positions", "mask", "callable"]))
    return n_features, owner, names, np.array(missing, dtype=bool), kind


@settings(max_examples=60, deadline=None)
@given(layouts())
def test_resolution_and_masks_agree_on_random_layouts(layout):
    n_features, owner, names, missing, kind = layout
    columns = [f"c{j}" for j in range(n_features)]
    rng = np.random.RandomState(len(owner))
    frame = pd.DataFrame(rng.rand(missing.shape[0], n_features), columns=columns)
    expected = {f"m{o}": [j for j in range(n_features) if owner[j] == o] for o in names}
    if kind == "names":
        spec = {m: [columns[j] for j in idx] for m, idx in expected.items()}
    elif kind == "positions":
        spec = {m: list(reversed(idx)) for m, idx in expected.items()}
    elif kind == "mask":
        spec = {m: np.isin(np.arange(n_features), idx) for m, idx in expected.items()}
    else:
        spec = {
            m: (lambda X, idx=idx: [X.columns[j] for j in idx])
            for m, idx in expected.items()
        }
    resolved = resolve_modalities(spec, frame)
    assert {m: v.tolist() for m, v in resolved.items()} == expected
    covered = modality_columns(resolved)
    assert covered.tolist() == sorted(j for j in range(n_features) if owner[j] >= 0)

    X = hide_modalities(frame.to_numpy(), resolved, missing)
    assert np.array_equal(observed_modalities(X, resolved), ~missing)
    # Columns outside every modality are never touched.
    outside = np.setdiff1d(np.arange(n_features), covered)
    assert np.array_equal(X[:, outside], frame.to_numpy()[:, outside])
