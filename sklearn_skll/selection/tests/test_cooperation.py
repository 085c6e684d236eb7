"""``selection="cooperation"`` ranks by C(S) only subsets that beat the
constant predictor: Eq. 4 divides by f_u(S), so a subset of noise whose
utility is about 0 can get any C(S)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sklearn_skll import ModalitySelector
from sklearn_skll.exceptions import CooperationWarning
from sklearn_skll.planning import choose_key, rank_keys

MODS = {"a": [0, 1], "b": [2, 3], "noise": [4, 5]}


def _xor(n=120, seed=1):
    """All the signal is in the pair (a, b): y = sign(a0) XOR sign(b0)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    return X, ((X[:, 0] > 0) ^ (X[:, 2] > 0)).astype(int)


@pytest.fixture(scope="module", params=["auto", 0], ids=["bootstrap", "none"])
def xor_selector(request):
    X, y = _xor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", CooperationWarning)
        return ModalitySelector(
            MLPClassifier((16,), max_iter=300, random_state=0),
            modalities=MODS,
            cv=3,
            n_bootstrap=request.param,
            random_state=1,
        ).fit(X, y)


def test_cooperation_selects_the_pair_that_holds_the_signal(xor_selector):
    df = xor_selector.utilities_.set_index("subset")
    pairs = df[df["size"] == 2]
    # On these rows a noise pair has the highest raw C(S) (its utility is
    # about 0 and its modalities' solo utilities are negative): ranking by
    # C(S) alone would select it.
    raw = pairs["cooperation"].fillna(-np.inf).idxmax()
    assert raw != "a+b"
    assert pairs.loc[raw, "cooperation"] > pairs.loc["a+b", "cooperation"]
    assert not pairs.loc[raw, "beats_baseline"]
    assert pairs.loc["a+b", "beats_baseline"]
    assert xor_selector.selected_modalities_ == ["a", "b"]
    assert pairs.loc["a+b", "rank"] == 1
    if xor_selector.n_bootstrap_:
        assert (
            pairs.loc[raw, "utility_ci_low"] <= 0 < pairs.loc["a+b", "utility_ci_low"]
        )
        assert xor_selector.selection_confidence_ > 0.9
        assert pairs.loc[raw, "p_best"] == 0


def test_a_size_where_nothing_beats_the_constant_predictor_ranks_by_utility(
    xor_selector,
):
    singles = xor_selector.utilities_.query("size == 1")
    assert not singles["beats_baseline"].any()
    best = singles.loc[singles["rank"] == 1, "utility"].iloc[0]
    assert best == singles["utility"].max()


def test_the_paper_key_rule_skips_subsets_that_do_not_beat_the_constant(
    xor_selector,
):
    table = xor_selector.utilities_
    names = list(MODS)
    replicates = xor_selector.utility_replicates_
    raw = table[table["size"] == 2].set_index("subset")["cooperation"]
    assert raw.fillna(-np.inf).idxmax() != "a+b"  # raw C(S) picks noise
    # from the selector's own beats_baseline, and worked out again from the
    # interval (or the share of the full utility) when the table lacks it
    for utilities in (table, table.drop(columns="beats_baseline")):
        choice = choose_key("paper", utilities, names, replicates=replicates)
        assert choice.subset == ("a", "b")
        ranked = choice.candidates.set_index("subset")
        assert not ranked.loc[raw.fillna(-np.inf).idxmax(), "eligible"]
        assert any(
            "does no better than the constant predictor" in n for n in choice.notes
        )
    no_ci = table.drop(columns=["beats_baseline", "utility_ci_low"], errors="ignore")
    assert rank_keys("paper", no_ci, names)["subset"].iloc[0] == "a+b"


def test_the_paper_key_ranks_by_utility_where_no_subset_beats_the_constant():
    table = pd.DataFrame(
        {
            "subset": ["a", "b", "c", "a+b", "a+c", "b+c", "a+b+c"],
            "modalities": [
                ("a",),
                ("b",),
                ("c",),
                ("a", "b"),
                ("a", "c"),
                ("b", "c"),
                ("a", "b", "c"),
            ],
            "utility": [-0.02, -0.01, -0.03, 0.001, 0.004, -0.001, 0.01],
        }
    )
    ranked = rank_keys("paper", table, ["a", "b", "c"])
    assert ranked["eligible"].all()
    assert list(ranked["subset"]) == ["a+c", "a+b", "b+c"]


def test_a_fitted_selector_with_the_paper_key_keeps_the_signal_pair():
    X, y = _xor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", CooperationWarning)
        selector = ModalitySelector(
            MLPClassifier((16,), max_iter=300, random_state=0),
            modalities=MODS,
            cv=3,
            key="paper",
            random_state=1,
        ).fit(X, y)
    assert tuple(selector.key_subset_) == ("a", "b")
