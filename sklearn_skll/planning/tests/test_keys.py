"""The key rules read the subsets a utility table holds."""

import numpy as np
import pandas as pd

from sklearn_skll.planning import rank_keys


def _sparse_table(m, n_random, seed=0):
    """Singles, the full set, the M - 1 subsets and random others, as a
    sampled search at many modalities leaves them."""
    rng = np.random.RandomState(seed)
    names = [f"m{i:02d}" for i in range(m)]
    subsets = [(n,) for n in names] + [tuple(names)]
    subsets += [tuple(n for n in names if n != left) for left in names]
    seen = set(map(frozenset, subsets))
    while len(subsets) < 2 * m + 1 + n_random:
        size = rng.randint(2, m - 1)
        pick = tuple(sorted(rng.choice(names, size, replace=False)))
        if frozenset(pick) not in seen:
            seen.add(frozenset(pick))
            subsets.append(pick)
    order = rng.permutation(len(subsets))
    subsets = [subsets[k] for k in order]
    utility = [0.02 * len(s) + 0.01 * rng.rand() for s in subsets]
    table = pd.DataFrame(
        {
            "subset": ["+".join(s) for s in subsets],
            "modalities": subsets,
            "size": [len(s) for s in subsets],
            "utility": utility,
        }
    )
    return table, names


def test_rank_keys_reads_the_scored_subsets_at_40_modalities():
    # 2**40 subsets: the rule must read the 300 the table holds
    table, names = _sparse_table(40, 300)
    costs = {n: 1.0 + (k % 3) for k, n in enumerate(names)}
    ranked = rank_keys("gain_per_cost", table, names, costs=costs)
    proper = table[(table["size"] >= 2) & (table["size"] < 40)]
    assert set(ranked["subset"]) == set(proper["subset"])
    eligible = ranked[ranked["eligible"]]
    assert eligible["value"].is_monotonic_decreasing
    best = eligible.iloc[0]
    cost = sum(costs[n] for n in best["modalities"])
    assert np.isclose(best["value"], best["utility"] / cost)
    paper = rank_keys("paper", table, names)
    assert set(paper["subset"]) == set(table.loc[table["size"] == 39, "subset"])


def test_candidates_come_in_the_order_of_the_modalities():
    table, names = _sparse_table(6, 20, seed=1)
    table["utility"] = 0.1  # every value ties: the order decides
    ranked = rank_keys("gain_per_cost", table, names)
    first = ranked[ranked["size"] == ranked["size"].min()]["modalities"].tolist()
    assert first == sorted(first, key=lambda s: [names.index(n) for n in s])
