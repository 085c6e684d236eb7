"""Sampled search: Shapley values and the key beyond exhaustive enumeration."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer

from sklearn_skll.exceptions import CooperationWarning
from sklearn_skll.selection import ModalitySelector
from sklearn_skll.selection._utility import _baseline, _FoldScores, _score_rows


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CooperationWarning)
        yield


def make_data(n, m, seed=0, informative=3):
    """``m`` modalities of two columns; the first ``informative`` carry y."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    blocks = []
    for j in range(m):
        signal = (2 * y - 1)[:, None] * (0.8 if j < informative else 0.0)
        blocks.append(signal + rng.normal(size=(n, 2)))
    mods = {f"m{j}": [2 * j, 2 * j + 1] for j in range(m)}
    return np.hstack(blocks), y, mods


def fit(X, y, mods, **params):
    params.setdefault("cv", 3)
    params.setdefault("random_state", 0)
    return ModalitySelector(LogisticRegression(), modalities=mods, **params).fit(X, y)


def test_sampled_shapley_agrees_with_the_exact_values():
    X, y, mods = make_data(200, 7)
    exact = fit(X, y, mods)
    sampled = fit(X, y, mods, search="sampled", n_permutations=40)
    assert len(sampled.utilities_) < 2**7 - 1
    # the subsets sampled were scored as in the exhaustive table
    table = exact.utility_table()
    for subset, u in sampled.utility_table().items():
        assert u == pytest.approx(table[subset], abs=1e-12)
    phi, se = sampled.shapley_values_, sampled.shapley_se_
    assert (se > 0).all() and (exact.shapley_se_ == 0).all()
    np.testing.assert_array_less(np.abs(phi - exact.shapley_values_), 4 * se + 1e-3)
    # every order's contributions add up to f_u(all)
    assert phi.sum() == pytest.approx(table[frozenset(mods)])
    assert sampled.interactions_.isna().all().all()
    assert sampled.shapley_std_.notna().all()
    assert frozenset(sampled.key_subset_) in table
    # every order visited: the values are exact
    again = fit(X, y, mods, search="sampled", n_permutations=2000)
    assert len(again.utilities_) == 2**7 - 1 and (again.shapley_se_ == 0).all()
    np.testing.assert_allclose(again.shapley_values_, exact.shapley_values_)


def test_beyond_twelve_modalities_auto_search_samples():
    X, y, mods = make_data(300, 14, seed=1)
    sel = ModalitySelector(
        modalities=mods, cv=2, n_permutations=20, random_state=0
    ).fit(X, y)
    n_scored = len(sel.utilities_)
    assert 14 < n_scored < 2**14 // 10
    phi = sel.shapley_values_
    assert phi.notna().all() and (sel.shapley_se_ > 0).all()
    informative = phi[["m0", "m1", "m2"]]
    assert informative.min() > phi.drop(informative.index).abs().max()
    # the key is one of the subsets scored
    assert frozenset(sel.key_subset_) in sel.utility_table()
    with pytest.raises(ValueError, match="search='sampled'"):
        ModalitySelector(modalities=mods, search="exhaustive").fit(X, y)


def test_greedy_search_keeps_shapley_values():
    X, y, mods = make_data(200, 7)
    exact = fit(X, y, mods, selection="greedy")
    greedy = fit(X, y, mods, selection="greedy", search="greedy", n_permutations=40)
    assert len(greedy.utilities_) < 2**7 - 1
    assert greedy.shapley_values_.notna().all()
    err = np.abs(greedy.shapley_values_ - exact.shapley_values_)
    np.testing.assert_array_less(err, 4 * greedy.shapley_se_ + 1e-3)
    assert greedy.selected_modalities_ == exact.selected_modalities_


@pytest.mark.parametrize("scoring", ["accuracy", "balanced_accuracy"])
@pytest.mark.parametrize("all_observed", [True, False])
def test_fold_scores_equal_the_per_subset_scores(scoring, all_observed):
    # the chunked products give the numbers of one scorer call per subset
    rng = np.random.RandomState(0)
    n, n_sub = 60, 7
    y_train, y_test = rng.randint(3, size=90), rng.randint(3, size=n)
    predicted = rng.randint(3, size=(n_sub, n))
    ok = rng.rand(n_sub, n) < (1.0 if all_observed else 0.8)
    counts = rng.multinomial(n, np.full(n, 1 / n), size=25).astype(np.uint8)
    scorer = get_scorer(scoring)
    fold = _FoldScores(scorer, y_train, y_test, counts)
    if fold.accuracy:
        fold.add_hits(predicted == y_test, None if all_observed else ok)
    else:
        for i in range(n_sub):
            model = _Fixed(predicted[i][ok[i]])
            fold.add_model(model, np.zeros((ok[i].sum(), 1)), ok[i])
    for i, (score, base, boot, base_boot, n_rows) in enumerate(fold.results):
        w = counts[:, ok[i]].astype(float)
        model = _Fixed(predicted[i][ok[i]])
        want, want_boot = _score_rows(scorer, model, None, y_test[ok[i]], w)
        want_base, want_base_boot = _baseline(scorer, y_train, y_test[ok[i]], w)
        assert n_rows == ok[i].sum()
        assert score == want and base == want_base
        np.testing.assert_array_equal(boot, want_boot)
        np.testing.assert_array_equal(base_boot, want_base_boot)


class _Fixed(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose predictions are given."""

    def __init__(self, predicted=None):
        self.predicted = predicted
        self.classes_ = np.arange(3)

    def predict(self, X):
        return self.predicted
