import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression

from sklearn_skll import FlowImputer, MultimodalNetClassifier
from sklearn_skll.acquisition import CHECK_ATTR, CRITERIA, AcquisitionRanker, _learned
from sklearn_skll.acquisition._ranker import _entropy
from sklearn_skll.exceptions import BudgetError, ModalityError
from sklearn_skll.impute import ClassConditionalGaussianImputer

MODS = {"base": [0, 1], "signal": [2, 3], "noise": [4, 5]}


def _data(n=160, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1], n // 2)
    t = 2.0 * y - 1.0
    X = np.column_stack(
        [
            0.4 * t + rng.normal(size=n),
            0.4 * t + rng.normal(size=n),
            1.5 * t + 0.5 * rng.normal(size=n),
            1.5 * t + 0.5 * rng.normal(size=n),
            rng.normal(size=n),
            rng.normal(size=n),
        ]
    )
    perm = rng.permutation(n)
    return X[perm], y[perm]


def _ranker(**params):
    params.setdefault("n_draws", 8)
    params.setdefault("random_state", 0)
    params.setdefault("modalities", MODS)
    params.setdefault("criterion", "expected_change")
    if params["criterion"] == "learned":  # fits cv + 1 imputers: a fast one
        imputer = ClassConditionalGaussianImputer(modalities=params["modalities"])
    else:
        imputer = IterativeImputer(sample_posterior=True, max_iter=3)
    return AcquisitionRanker(LogisticRegression(), imputer, **params)


@pytest.fixture(scope="module")
def split():
    X, y = _data()
    X_new = X[120:].copy()
    X_new[:20, 2:4] = np.nan  # signal missing
    X_new[20:, 4:6] = np.nan  # noise missing
    X_new[35:, 2:4] = np.nan  # both missing in the last 5 rows
    return X[:120], y[:120], X_new


@pytest.mark.parametrize("criterion", CRITERIA)
def test_rank_one_entry_per_missing_pair_best_first(split, criterion):
    X, y, X_new = split
    ranking = _ranker(criterion=criterion).fit(X, y).rank(X_new)
    assert list(ranking.columns) == [
        "row",
        "modality",
        "gain",
        "gain_std",
        "p_change",
        "cost",
        "gain_per_cost",
    ]
    pairs = set(zip(ranking["row"], ranking["modality"]))
    expected = {(r, "signal") for r in range(20)}
    expected |= {(r, "noise") for r in range(20, 40)}
    expected |= {(r, "signal") for r in range(35, 40)}
    assert pairs == expected and len(ranking) == len(expected)
    assert np.all(np.diff(ranking["gain_per_cost"].to_numpy()) <= 0)
    assert np.isfinite(ranking["gain"]).all()
    assert ranking["p_change"].between(0, 1).all()


def test_never_alters_callers_data(split):
    X, y, X_new = split
    frame = pd.DataFrame(X_new, columns=[f"c{k}" for k in range(6)])
    train = pd.DataFrame(X, columns=frame.columns)
    copies = X.copy(), X_new.copy(), frame.copy()
    ranker = _ranker().fit(X, y)
    ranker.rank(X_new)
    ranker.select(X_new, budget=5)
    by_name = _ranker(
        modalities={"a": ["c0", "c1"], "b": ["c2", "c3"], "c": ["c4", "c5"]}
    )
    by_name.fit(train, y).select(frame, budget=5)
    assert np.array_equal(X, copies[0])
    assert np.array_equal(X_new, copies[1], equal_nan=True)
    assert frame.equals(copies[2])


@pytest.mark.parametrize("criterion", CRITERIA)
def test_same_seed_same_ranking(split, criterion):
    X, y, X_new = split
    a = _ranker(criterion=criterion, random_state=3).fit(X, y)
    b = _ranker(criterion=criterion, random_state=3).fit(X, y)
    pd.testing.assert_frame_equal(a.rank(X_new), b.rank(X_new))
    pd.testing.assert_frame_equal(a.rank(X_new), a.rank(X_new))


def test_draws_depend_on_seed(split):
    X, y, X_new = split
    a = _ranker(random_state=1).fit(X, y).rank(X_new)
    b = _ranker(random_state=2).fit(X, y).rank(X_new)
    assert not np.allclose(
        a.sort_values(["row", "modality"])["gain"].to_numpy(),
        b.sort_values(["row", "modality"])["gain"].to_numpy(),
    )


def test_informative_block_has_larger_expected_change(split):
    X, y, X_new = split
    for criterion in ("expected_change", "expected_loss_reduction"):
        ranking = _ranker(criterion=criterion).fit(X, y).rank(X_new)
        by = ranking.groupby("modality")["gain"].mean()
        assert by["signal"] > 3 * by["noise"], criterion
        assert (ranking["gain"] >= -1e-12).all()
    change = _ranker().fit(X, y).rank(X_new)
    assert (change["gain"] <= 1).all() and (change["gain_std"] >= 0).all()


def test_uncertainty_is_entropy_of_the_current_prediction(split):
    X, y, X_new = split
    ranker = _ranker(criterion="uncertainty").fit(X, y)
    ranking = ranker.rank(X_new)
    filled = ranker._mean_imputer().transform(X_new)
    entropy = _entropy(ranker.estimator_.predict_proba(filled))
    np.testing.assert_allclose(ranking["gain"], entropy[ranking["row"]])
    assert (ranking["gain_std"] == 0).all()


def test_costs_divide_the_gain_and_every_modality_needs_one(split):
    X, y, X_new = split
    ranking = (
        _ranker(costs={"base": 1.0, "signal": 4.0, "noise": 1.0}).fit(X, y).rank(X_new)
    )
    cost = dict(zip(ranking["modality"], ranking["cost"]))
    assert cost == {"signal": 4.0, "noise": 1.0}
    # The package's one rule: a modality left out of `costs` is an error.
    with pytest.raises(BudgetError, match="`base`, `noise` have none"):
        _ranker(costs={"signal": 4.0}).fit(X, y)
    np.testing.assert_allclose(
        ranking["gain_per_cost"], ranking["gain"] / ranking["cost"]
    )


def test_select_is_greedy_within_budget(split):
    X, y, X_new = split
    ranker = _ranker(costs={"base": 1.0, "signal": 3.0, "noise": 1.0}).fit(X, y)
    ranking = ranker.rank(X_new)
    chosen = ranker.select(X_new, budget=10)
    assert chosen["cost"].sum() <= 10
    assert chosen["spent"].iloc[-1] == chosen["cost"].sum()
    # Greedy: the first entries of the ranking that fit are taken.
    assert chosen.iloc[0][["row", "modality"]].tolist() == (
        ranking.iloc[0][["row", "modality"]].tolist()
    )
    # Nothing left out would still fit in the remaining budget.
    left = 10 - chosen["cost"].sum()
    taken = set(zip(chosen["row"], chosen["modality"]))
    rest = ranking[[p not in taken for p in zip(ranking["row"], ranking["modality"])]]
    assert (rest["cost"] > left).all()
    assert len(ranker.select(X_new, budget=0)) == 0
    assert len(ranker.select(X_new, budget=1e9)) == len(ranking)


def test_subsets_are_ranked_and_never_chosen_twice(split):
    X, y, X_new = split
    ranker = _ranker(max_subset_size=None).fit(X, y)
    ranking = ranker.rank(X_new)
    both = ranking[ranking["modality"] == "signal+noise"]
    assert sorted(both["row"]) == list(range(35, 40))
    assert (both["cost"] == 2).all()
    chosen = ranker.select(X_new, budget=1e9)
    for row, group in chosen.groupby("row"):
        parts = [p for m in group["modality"] for p in m.split("+")]
        assert len(parts) == len(set(parts)), row


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"costs": {"base": 1, "signal": 1, "noise": 1, "pet": 2}},
            "unknown modalities",
        ),
        ({"costs": {"base": 1, "signal": 0, "noise": 1}}, "`signal`"),
        ({"costs": {"base": 1, "signal": -1.0, "noise": 1}}, "`signal`"),
    ],
)
def test_bad_costs(split, params, match):
    X, y, _ = split
    with pytest.raises(BudgetError, match=match):
        _ranker(**params).fit(X, y)


@pytest.mark.parametrize("budget", [-1, np.nan, "10", True])
def test_bad_budget(split, budget):
    X, y, X_new = split
    ranker = _ranker(criterion="random").fit(X, y)
    with pytest.raises(BudgetError, match="`budget`.*Got"):
        ranker.select(X_new, budget)


def test_bad_input(split):
    X, y, X_new = split
    with pytest.raises(ValueError, match="criterion"):
        _ranker(criterion="bald").fit(X, y)
    with pytest.raises(ModalityError, match="at least 2"):
        _ranker(modalities={"all": [0, 1, 2, 3, 4, 5]}).fit(X, y)
    ranker = _ranker().fit(X, y)
    partly = X_new.copy()
    partly[0, 0] = np.nan
    with pytest.raises(ModalityError, match="base"):
        ranker.rank(partly)
    with pytest.raises(ValueError, match="features"):
        ranker.rank(X_new[:, :5])
    with pytest.raises(NotFittedError):
        _ranker().rank(X_new)


def test_prefit_uses_the_estimator_as_is(split):
    X, y, _ = split
    clf = LogisticRegression().fit(X, y)
    ranker = AcquisitionRanker(
        clf,
        IterativeImputer(max_iter=3),
        modalities=MODS,
        prefit=True,
        criterion="uncertainty",
    ).fit(X, y)
    assert ranker.estimator_ is clf
    with pytest.raises(NotFittedError):
        AcquisitionRanker(
            LogisticRegression(), SimpleImputer(), modalities=MODS, prefit=True
        ).fit(X, y)


def test_imputer_without_posterior_warns(split):
    X, y, X_new = split
    ranker = AcquisitionRanker(
        LogisticRegression(),
        SimpleImputer(),
        modalities=MODS,
        criterion="expected_change",
        n_draws=3,
    ).fit(X, y)
    with pytest.warns(UserWarning, match="sample_posterior"):
        ranking = ranker.rank(X_new)
    assert (ranking["gain_std"] == 0).all()


def test_complete_rows_give_an_empty_ranking(split):
    X, y, _ = split
    ranker = _ranker().fit(X, y)
    assert len(ranker.rank(X[:5])) == 0
    assert len(ranker.select(X[:5], budget=3)) == 0


def test_package_net_and_flow_on_a_dataframe(split):
    X, y, X_new = split
    cols = [f"c{k}" for k in range(6)]
    mods = {"base": ["c0", "c1"], "signal": ["c2", "c3"], "noise": ["c4", "c5"]}
    ranker = AcquisitionRanker(
        MultimodalNetClassifier(modalities=mods, max_epochs=5, random_state=0),
        FlowImputer(
            modalities=mods, latent_dim=4, n_flows=2, hidden_dim=8, max_epochs=3
        ),
        modalities=mods,
        criterion="expected_change",
        n_draws=4,
        random_state=0,
    ).fit(pd.DataFrame(X, columns=cols), y)
    frame = pd.DataFrame(X_new, columns=cols)
    ranking = ranker.rank(frame)
    assert len(ranking) == 45 and (ranking["gain_std"] > 0).any()
    again = ranker.rank(frame)
    pd.testing.assert_frame_equal(ranking, again)


def test_draws_sample_the_posterior_even_if_the_fitted_imputer_was_reset(split):
    X, y, X_new = split
    ranker = _ranker().fit(X, y)
    ranker.imputer_.set_params(sample_posterior=False)
    assert (ranker.rank(X_new)["gain_std"] > 0).any()


def test_imputer_with_a_sample_method_draws_in_one_call(split):
    X, y, X_new = split
    ranker = AcquisitionRanker(
        LogisticRegression(),
        ClassConditionalGaussianImputer(modalities=MODS),
        modalities=MODS,
        criterion="expected_change",
        n_draws=6,
        random_state=0,
    ).fit(X, y)
    ranking = ranker.rank(X_new)
    assert (ranking["gain_std"] > 0).all()
    pd.testing.assert_frame_equal(ranking, ranker.rank(X_new))
    by = ranking.groupby("modality")["gain"].mean()
    assert by["signal"] > 3 * by["noise"]


def test_batches_of_candidates_give_the_same_ranking(split, monkeypatch):
    from sklearn_skll.acquisition import _parts as module

    X, y, X_new = split
    ranker = _ranker(max_subset_size=None).fit(X, y)
    whole = ranker.rank(X_new)
    monkeypatch.setattr(module, "_CHUNK", 20)  # 2 candidates x 8 draws a batch
    pd.testing.assert_frame_equal(whole, ranker.rank(X_new))


def _subgroup(n=400, seed=0):
    """The ``scan`` block carries the class only in rows whose flag is 1."""
    rng = np.random.RandomState(seed)
    y = rng.randint(2, size=n)
    t = 2.0 * y - 1.0
    flag = (rng.uniform(size=n) < 0.4).astype(float)
    X = np.column_stack(
        [
            flag,
            0.5 * t + rng.normal(size=n),
            2.0 * flag * t + rng.normal(size=n),
            2.0 * flag * t + rng.normal(size=n),
        ]
    )
    return X, y, {"cheap": [0, 1], "scan": [2, 3]}


def test_learned_finds_the_subgroup_where_the_block_pays():
    X, y, mods = _subgroup()
    X_new = X[300:].copy()
    X_new[:, 2:] = np.nan
    ranking = (
        _ranker(criterion="learned", modalities=mods, n_draws=5)
        .fit(X[:300], y[:300])
        .rank(X_new)
    )
    flagged = X_new[ranking["row"], 0] == 1
    gain = ranking["gain"].to_numpy()
    # Acquiring the scan helps flagged rows; uncertainty cannot see that.
    assert gain[flagged].mean() > gain[~flagged].mean() + 0.05
    assert flagged[: flagged.sum()].mean() > 0.8
    assert ranking["gain_std"].isna().all()
    # The out-of-fold check on the complete rows says so, with its interval.
    check = ranking.attrs[CHECK_ATTR]
    assert check["used"] == "learned"
    assert check["shares"]["learned"] > check["shares"]["uncertainty"]
    assert 0 < check["diff_low"] <= check["diff"] <= check["diff_high"]
    assert check["shares"]["random"] < check["shares"]["learned"] <= 1


def test_the_out_of_fold_check_scores_orders_against_the_best_possible():
    rng = np.random.RandomState(0)
    n = 400
    gain = rng.exponential(size=n) * (rng.uniform(size=n) < 0.3)
    cost = rng.choice([1.0, 2.0], size=n)
    groups = np.repeat(np.arange(n // 2), 2)
    orders = {
        "learned": gain.copy(),  # a score is read per unit cost: the best order
        "uncertainty": rng.uniform(size=n),  # unrelated to the gain
        "expected_change": gain + rng.normal(scale=2.0, size=n),
    }
    check = _learned.out_of_fold_check(orders, gain, cost, groups, "learned")
    assert check["shares"]["learned"] == pytest.approx(1.0)
    assert check["shares"]["uncertainty"] < 0.5
    assert check["shares"]["random"] < 0.5
    assert check["diff_low"] > 0 and check["n_rows"] == n // 2
    again = _learned.out_of_fold_check(orders, gain, cost, groups, "learned")
    assert again == check  # its own seed: the same check every time
    orders["learned"], orders["uncertainty"] = orders["uncertainty"], orders["learned"]
    swapped = _learned.out_of_fold_check(orders, gain, cost, groups, "uncertainty")
    assert swapped["diff_high"] < 0


def test_only_learned_rankings_carry_the_check(split):
    X, y, X_new = split
    ranking = _ranker(criterion="uncertainty").fit(X, y).rank(X_new)
    assert CHECK_ATTR not in ranking.attrs


def test_learned_learns_in_fit_and_needs_complete_rows(split):
    X, y, X_new = split
    fitted = _ranker(criterion="uncertainty").fit(X, y)
    with pytest.raises(ValueError, match="learned.*fit"):
        fitted.set_params(criterion="learned").rank(X_new)
    few = X[:12].copy()
    few[4:, 4:] = np.nan
    with pytest.warns(UserWarning, match="at least 10 of them.*Got 4 complete"):
        small = _ranker(criterion="learned").fit(few, y[:12])
    assert small.crossfit_ == []
    uncertain = small.set_params(criterion="uncertainty").rank(X_new)
    small.set_params(criterion="learned")
    pd.testing.assert_frame_equal(
        small.rank(X_new).drop(columns="p_change"),
        uncertain.drop(columns="p_change"),
    )


def test_learned_cross_fits_one_pair_of_parts_per_fold(split):
    X, y, X_new = split
    ranker = _ranker(criterion="learned", cv=3).fit(X, y)
    assert len(ranker.crossfit_) == 3
    held = np.sort(np.concatenate([rows for rows, _, _ in ranker.crossfit_]))
    assert np.array_equal(held, np.arange(len(X)))
    for _, estimator, imputer in ranker.crossfit_:
        assert estimator is not ranker.estimator_
        assert imputer is not ranker.imputer_
    # A rare class (fewer rows than folds) still cross-fits.
    y_rare = y.copy()
    y_rare[:2] = 2
    ranking = _ranker(criterion="learned").fit(X, y_rare).rank(X_new)
    assert np.isfinite(ranking["gain"]).all()


def test_parts_without_modalities_or_seed_get_the_rankers():
    X, y = _data()
    X_new = X[120:].copy()
    X_new[:, 2:4] = np.nan
    ranker = AcquisitionRanker(
        LogisticRegression(),
        ClassConditionalGaussianImputer(),
        modalities=MODS,
        n_draws=4,
        random_state=0,
    ).fit(X[:120], y[:120])
    assert ranker.imputer_.modalities == MODS
    assert isinstance(ranker.estimator_.random_state, int)
    assert len(ranker.rank(X_new)) == 40
    mine = AcquisitionRanker(
        LogisticRegression(random_state=7),
        ClassConditionalGaussianImputer(modalities={"a": [0, 1, 2], "b": [3, 4, 5]}),
        modalities=MODS,
    ).fit(X[:120], y[:120])
    assert mine.estimator_.random_state == 7
    assert list(mine.imputer_.modalities) == ["a", "b"]


def test_select_at_most_one_entry_per_row(split):
    X, y, X_new = split
    ranker = _ranker(max_subset_size=None).fit(X, y)
    everything = ranker.select(X_new, budget=1e9)
    assert everything["row"].duplicated().any()
    once = ranker.select(X_new, budget=1e9, max_per_row=1)
    assert not once["row"].duplicated().any()
    assert set(once["row"]) == set(everything["row"])
    with pytest.raises(ValueError, match="max_per_row"):
        ranker.select(X_new, budget=3, max_per_row=0)


def test_learned_never_buys_an_acquisition_expected_to_hurt():
    X, y, mods = _subgroup(seed=1)
    X_new = X[300:].copy()
    X_new[:, 2:] = np.nan
    ranker = _ranker(criterion="learned", modalities=mods, n_draws=5)
    ranker.fit(X[:300], y[:300])
    ranking = ranker.rank(X_new)
    chosen = ranker.select(X_new, budget=1e9)
    assert (chosen["gain"] > 0).all()
    assert len(chosen) == (ranking["gain"] > 0).sum()
