import itertools

import numpy as np
import pytest

from sklearn_skll.exceptions import CooperationWarning
from sklearn_skll.game import (
    cooperation_scores,
    greedy_selection,
    interaction_index,
    scaled_shapley_values,
    shapley_values,
)


def fs(text):
    return frozenset(text)


# A 3-player game worked out by hand below.
GAME3 = {
    fs("a"): 0.1,
    fs("b"): 0.2,
    fs("c"): 0.3,
    fs("ab"): 0.4,
    fs("ac"): 0.5,
    fs("bc"): 0.5,
    fs("abc"): 0.9,
}


def table(players, func):
    """Utility table of every subset of ``players`` from a set function."""
    out = {}
    for r in range(1, len(players) + 1):
        for s in itertools.combinations(players, r):
            out[frozenset(s)] = func(frozenset(s))
    return out


def random_game(n, seed):
    rng = np.random.RandomState(seed)
    players = [f"p{k}" for k in range(n)]
    return players, table(players, lambda s: rng.uniform(-0.2, 1.0))


def test_shapley_three_player_game_by_hand():
    # phi_a = 1/3 * 0.1 + 1/6 * (0.2 + 0.2) + 1/3 * (0.9 - 0.5) = 7/30, etc.
    values = shapley_values(GAME3, ["a", "b", "c"])
    np.testing.assert_allclose(values, [7 / 30, 17 / 60, 23 / 60])


@pytest.mark.parametrize("seed", range(3))
def test_shapley_efficiency(seed):
    players, game = random_game(5, seed)
    values = shapley_values(game, players)
    assert values.sum() == pytest.approx(game[frozenset(players)])


def test_shapley_symmetry_and_dummy():
    # a and b are interchangeable, d never changes anything
    def f(s):
        core = s - {"d"}
        return {0: 0.0, 1: 0.3, 2: 0.5, 3: 0.6}[len(core & {"a", "b"}) + 0] + (
            0.1 if "c" in core else 0.0
        )

    players = ["a", "b", "c", "d"]
    values = shapley_values(table(players, f), players)
    assert values[0] == pytest.approx(values[1])
    assert values[3] == pytest.approx(0.0, abs=1e-12)
    assert values[2] == pytest.approx(0.1)
    index = interaction_index(table(players, f), players)
    np.testing.assert_allclose(index[3], 0.0, atol=1e-12)
    np.testing.assert_allclose(index[:, 3], 0.0, atol=1e-12)


def test_players_inferred_sorted_and_callable_needs_players():
    values = shapley_values(GAME3)
    np.testing.assert_allclose(values, shapley_values(GAME3, ["a", "b", "c"]))
    with pytest.raises(ValueError, match="`players` is required"):
        shapley_values(lambda subsets: [0.0] * len(subsets))


def test_missing_subset_is_a_clear_error():
    game = dict(GAME3)
    del game[fs("bc")]
    with pytest.raises(KeyError, match="no entry for subset"):
        shapley_values(game)


def test_permutation_estimator_converges_to_exact():
    players, game = random_game(6, 0)
    exact = shapley_values(game, players)
    approx, std = shapley_values(
        game,
        players,
        method="permutation",
        n_permutations=3000,
        random_state=0,
        return_std=True,
    )
    assert np.all(std > 0)
    np.testing.assert_allclose(approx, exact, atol=4 * std.max() + 1e-3)
    # every permutation's contributions sum to f_u(all): efficiency is exact
    assert approx.sum() == pytest.approx(game[frozenset(players)])
    again = shapley_values(
        game, players, method="permutation", n_permutations=3000, random_state=0
    )
    np.testing.assert_array_equal(approx, again)


def test_many_players_use_permutations_with_a_lazy_callable():
    players = [f"m{k}" for k in range(14)]
    weights = dict(zip(players, np.linspace(0.0, 0.13, 14)))
    asked = []

    def utility(subsets):
        asked.extend(subsets)
        return [sum(weights[p] for p in s) for s in subsets]

    values = shapley_values(utility, players, n_permutations=5, random_state=0)
    # additive game: every marginal contribution is the player's weight
    np.testing.assert_allclose(values, list(weights.values()), atol=1e-12)
    assert len(set(asked)) < 2 ** len(players) // 10


def test_scaled_shapley_sums_to_one_and_nan_without_gain():
    scaled = scaled_shapley_values(GAME3)
    assert scaled.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(scaled, shapley_values(GAME3) / 0.9)
    bad = {fs("a"): 0.1, fs("b"): -0.2, fs("ab"): -0.1}
    with pytest.warns(CooperationWarning, match="scaled Shapley"):
        out = scaled_shapley_values(bad)
    assert np.isnan(out).all()


def test_cooperation_by_hand_and_nan_not_inf():
    scores = cooperation_scores(GAME3)
    assert scores[fs("ab")] == pytest.approx((0.4 - 0.3) / 0.4)
    assert scores[fs("abc")] == pytest.approx((0.9 - 0.6) / 0.9)
    assert scores[fs("a")] == 0.0
    game = {fs("a"): 0.1, fs("b"): -0.1, fs("ab"): 0.0}
    with pytest.warns(CooperationWarning, match=r"\{a, b\}"):
        scores = cooperation_scores(game)
    assert np.isnan(scores[fs("ab")]) and np.isnan(scores[fs("b")])
    assert not any(np.isinf(v) for v in scores.values())


def test_cooperation_of_chosen_subsets_only():
    asked = []

    def utility(subsets):
        asked.extend(subsets)
        return [GAME3[s] for s in subsets]

    scores = cooperation_scores(utility, [fs("ab")])
    assert set(scores) == {fs("ab")}
    assert fs("c") not in asked and fs("abc") not in asked


def test_interaction_sign_synergy_and_redundancy():
    xor = {fs("a"): 0.0, fs("b"): 0.0, fs("ab"): 0.5}
    copy = {fs("a"): 0.4, fs("b"): 0.4, fs("ab"): 0.4}
    assert interaction_index(xor)[0, 1] == pytest.approx(0.5)
    assert interaction_index(copy)[0, 1] == pytest.approx(-0.4)
    index = interaction_index(GAME3, ["a", "b", "c"])
    # I_ab = 1/2 (0.4 - 0.1 - 0.2) + 1/2 (0.9 - 0.5 - 0.5 + 0.3)
    assert index[0, 1] == pytest.approx(0.15)
    np.testing.assert_allclose(index, index.T)
    np.testing.assert_array_equal(np.diag(index), 0.0)


GREEDY = {
    fs("a"): 0.3,
    fs("b"): 0.1,
    fs("c"): 0.25,
    fs("ab"): 0.45,  # gain 0.15, C = 0.05 / 0.45
    fs("ac"): 0.5,  # gain 0.20, C = -0.05 / 0.5
    fs("bc"): 0.3,
    fs("abc"): 0.45,
}


def test_greedy_cooperation_versus_marginal():
    selected, path = greedy_selection(GREEDY)
    assert selected == ["a", "b"]  # stops: adding c gains nothing
    assert [p["subset"] for p in path] == [("a",), ("a", "b")]
    assert path[1]["cooperation"] == pytest.approx(0.05 / 0.45)
    assert path[1]["gain"] == pytest.approx(0.15)
    selected, path = greedy_selection(GREEDY, criterion="marginal")
    assert selected == ["a", "c"]  # abc - ac < 0: stop
    assert path[-1]["criterion"] == pytest.approx(0.2)


def test_greedy_max_modalities_and_lazy_callable():
    players = ["w", "x", "y", "z"]
    asked = []

    def utility(subsets):
        asked.append(list(subsets))
        return [len(s) + 0.1 * ("x" in s) for s in subsets]

    selected, _ = greedy_selection(utility, players, max_modalities=2)
    assert selected == ["x", "w"]  # then ties by player order
    flat = [s for batch in asked for s in batch]
    assert len(flat) == len(set(flat)) == 4 + 3  # singletons, then x + one
    assert len(asked) == 2  # one batch per step


def test_greedy_ties_are_deterministic_and_first_always_taken():
    sym = table(["b", "a", "c"], lambda s: 0.1 * len(s))
    assert greedy_selection(sym, ["b", "a", "c"])[0] == ["b", "a", "c"]
    useless = table(["a", "b"], lambda s: -0.1)
    selected, path = greedy_selection(useless)
    assert selected == ["a"] and np.isnan(path[0]["cooperation"])
    with pytest.raises(ValueError, match="criterion"):
        greedy_selection(GREEDY, criterion="best")
    with pytest.raises(ValueError, match="max_modalities"):
        greedy_selection(GREEDY, max_modalities=0)


def test_permutation_sample_pairs_orders_and_estimates_many_games_at_once():
    from sklearn_skll.game import PermutationSample

    players, game = random_game(6, 1)
    sample = PermutationSample(6, 7, random_state=0)  # rounded up to 4 pairs
    assert sample.n_pairs == 4 and sample.masks[0] == 0
    v = np.array([game.get(s, 0.0) for s in sample.subsets(players)])
    est, std = sample.estimate(v)
    assert est.sum() == pytest.approx(game[frozenset(players)])
    # a second axis holds other games on the same coalitions (replicates)
    both, both_std = sample.estimate(np.column_stack([v, 2 * v]))
    np.testing.assert_allclose(both[:, 0], est)
    np.testing.assert_allclose(both[:, 1], 2 * est)
    np.testing.assert_allclose(both_std[:, 1], 2 * std)
