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
        ({"img": ["nope"]}, r"`img`.*\['nope'\] that are not in X"),
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


# --------------------------------------------------------------------------- #
# Property-based tests of the data model: random layouts, missing patterns,
# arrays or DataFrames, shuffled column orders.
# --------------------------------------------------------------------------- #
@st.composite
def modal_data(draw, min_rows=1, max_rows=8):
    """Random modalities over shuffled columns, values, missing blocks.

    Returns ``(frame, spec, expected, missing)``: ``frame`` a DataFrame whose
    columns come in a shuffled order, ``spec`` the ``modalities`` by column
    name, ``expected`` the positions each modality must resolve to, and
    ``missing`` the rows x modalities mask of hidden blocks (at least one
    modality observed per row).
    """
    n_mods = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 3), min_size=n_mods, max_size=n_mods))
    n_extra = draw(st.integers(0, 2))
    names = [f"m{k}" for k in range(n_mods)]
    columns = [f"{m}_{j}" for m, s in zip(names, sizes) for j in range(s)]
    columns += [f"extra_{j}" for j in range(n_extra)]
    order = draw(st.permutations(range(len(columns))))
    columns = [columns[j] for j in order]
    spec = {
        m: draw(st.permutations([c for c in columns if c.startswith(m + "_")]))
        for m in names
    }
    expected = {m: sorted(columns.index(c) for c in spec[m]) for m in names}
    n_rows = draw(st.integers(min_rows, max_rows))
    missing = np.array(
        draw(
            st.lists(
                st.lists(st.booleans(), min_size=n_mods, max_size=n_mods),
                min_size=n_rows,
                max_size=n_rows,
            )
        ),
        dtype=bool,
    ).reshape(n_rows, n_mods)
    missing[missing.all(axis=1), draw(st.integers(0, n_mods - 1))] = False
    values = draw(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False, width=32),
            min_size=n_rows * len(columns),
            max_size=n_rows * len(columns),
        )
    )
    frame = pd.DataFrame(
        np.array(values, dtype=float).reshape(n_rows, len(columns)), columns=columns
    )
    return frame, spec, expected, missing


FAST = settings(max_examples=40, deadline=None, derandomize=True)


@FAST
@given(modal_data(), st.booleans())
def test_names_resolve_to_their_columns_in_any_order(data, as_positions):
    frame, spec, expected, missing = data
    if as_positions:  # the same layout by position, on the array
        spec = {m: [frame.columns.get_loc(c) for c in cols] for m, cols in spec.items()}
        resolved = resolve_modalities(spec, frame.to_numpy())
    else:
        resolved = resolve_modalities(spec, frame)
    assert list(resolved) == list(expected)  # the dict's order is kept
    assert {m: v.tolist() for m, v in resolved.items()} == expected


@FAST
@given(modal_data(), st.booleans())
def test_masks_round_trip_and_observed_cells_never_change(data, as_frame):
    frame, spec, expected, missing = data
    X = frame if as_frame else frame.to_numpy()
    resolved = resolve_modalities(spec if as_frame else expected, X)
    before = frame.to_numpy().copy()
    hidden = hide_modalities(np.asarray(X), resolved, missing)
    assert np.array_equal(frame.to_numpy(), before)  # the input is untouched
    assert np.array_equal(observed_modalities(hidden, resolved), ~missing)
    kept = ~np.isnan(hidden)
    assert np.array_equal(hidden[kept], before[kept])
    # Hiding every observed block again changes nothing more.
    again = hide_modalities(hidden, resolved, missing)
    np.testing.assert_array_equal(again, hidden)


@FAST
@given(modal_data(min_rows=6, max_rows=12), st.booleans())
def test_imputation_fills_only_missing_blocks(data, as_frame):
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    frame, spec, expected, missing = data
    missing[:2] = False  # two complete rows, as the imputer needs
    resolved = resolve_modalities(spec, frame)
    values = hide_modalities(frame.to_numpy(), resolved, missing)
    X = pd.DataFrame(values, columns=frame.columns) if as_frame else values
    imp = ClassConditionalGaussianImputer(
        modalities=spec if as_frame else expected
    ).fit(X)
    out = imp.transform(X)
    assert isinstance(out, pd.DataFrame) == as_frame
    out = np.asarray(out)
    observed = ~np.isnan(values)
    assert np.array_equal(out[observed], values[observed])
    covered = modality_columns(resolved)
    assert np.isfinite(out[:, covered]).all()


@FAST
@given(modal_data(), st.data())
def test_errors_name_the_modality_and_its_columns(data, draw):
    frame, spec, expected, missing = data
    name = draw.draw(st.sampled_from(list(spec)))
    kind = draw.draw(st.sampled_from(["typo", "overlap", "position", "partial"]))
    if kind == "typo":
        n_typos = draw.draw(st.integers(1, len(spec[name])))
        bad = {**spec, name: [c + "_x" for c in spec[name][:n_typos]]}
        bad[name] += spec[name][n_typos:]
        with pytest.raises(ModalityError, match=f"Modality `{name}`") as info:
            resolve_modalities(bad, frame)
        assert repr(spec[name][0] + "_x") in str(info.value)
    elif kind == "overlap":
        others = [m for m in spec if m != name]
        if not others:
            return
        other = draw.draw(st.sampled_from(others))
        bad = {**spec, name: spec[name] + spec[other][:1]}
        with pytest.raises(ModalityError, match="overlap") as info:
            resolve_modalities(bad, frame)
        assert f"`{name}`" in str(info.value) and f"`{other}`" in str(info.value)
    elif kind == "position":
        bad = {**expected, name: expected[name] + [frame.shape[1]]}
        with pytest.raises(ModalityError, match=f"Modality `{name}`"):
            resolve_modalities(bad, frame.to_numpy())
    else:
        resolved = resolve_modalities(spec, frame)
        if resolved[name].size < 2:
            return
        X = frame.to_numpy().copy()
        row = draw.draw(st.integers(0, X.shape[0] - 1))
        X[row, resolved[name][0]] = np.nan
        with pytest.raises(ModalityError, match=f"`{name}` is partly missing") as info:
            observed_modalities(X, resolved)
        assert f"[{row}]" in str(info.value)


@FAST
@given(modal_data(), st.data())
def test_only_recorded_drops_leave_a_modality_out(data, draw):
    from sklearn_skll._modalities import record_dropped

    frame, spec, expected, missing = data
    if len(spec) < 2:
        return
    dropped = draw.draw(
        st.lists(st.sampled_from(list(spec)), min_size=1, max_size=len(spec) - 1)
    )
    kept = [c for c in frame.columns if not any(c in spec[m] for m in dropped)]
    out = record_dropped(frame[kept].copy(), frame, {m: spec[m] for m in dropped})
    resolved = resolve_modalities(spec, out)
    assert list(resolved) == [m for m in spec if m not in dropped]
    assert modality_columns(resolved).size == sum(len(spec[m]) for m in resolved)
    # Without the record, the same frame is an error naming a dropped one.
    first = next(m for m in spec if m in dropped)
    with pytest.raises(ModalityError, match=f"Modality `{first}`"):
        resolve_modalities(spec, frame[kept].copy())


def test_hide_modalities_copies_unless_told_not_to():
    X = np.arange(12, dtype=np.float64).reshape(3, 4)
    mods = {"a": np.array([0, 1]), "b": np.array([2, 3])}
    hidden = np.array([[False, True], [False, False], [True, False]])
    out = hide_modalities(X, mods, hidden)
    assert out is not X and not np.isnan(X).any()
    same = hide_modalities(X, mods, hidden, copy=False)
    assert same is X
    np.testing.assert_array_equal(np.isnan(X), np.isnan(out))
    assert np.isnan(X[0, 2:]).all() and np.isnan(X[2, :2]).all()
    ints = np.arange(12).reshape(3, 4)  # not float64: a float copy either way
    assert hide_modalities(ints, mods, hidden, copy=False) is not ints
