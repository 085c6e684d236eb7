import itertools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_skll._compat import InvalidParameterError
from sklearn_skll.exceptions import CooperationWarning, ModalityError
from sklearn_skll.selection import ModalitySelector

MODS = {"strong": [0, 1], "weak": [2, 3], "copy": [4, 5], "noise": [6, 7]}


def make_data(n=150, seed=0, frame=False):
    """strong and weak signals, a noisy copy of strong, pure noise."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    sign = 2 * y - 1
    strong = sign[:, None] * 1.2 + rng.normal(size=(n, 2))
    weak = sign[:, None] * 0.4 + rng.normal(size=(n, 2))
    copy = strong + 0.5 * rng.normal(size=(n, 2))
    noise = rng.normal(size=(n, 2))
    X = np.hstack([strong, weak, copy, noise])
    if frame:
        cols = [f"{m}_{k}" for m in MODS for k in range(2)]
        X = pd.DataFrame(X, columns=cols)
    return X, y


def selector(**params):
    params.setdefault("modalities", MODS)
    params.setdefault("cv", 3)
    params.setdefault("n_repeats", 1)
    params.setdefault("random_state", 0)
    return ModalitySelector(LogisticRegression(), **params)


@pytest.fixture(autouse=True)
def _quiet_cooperation():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CooperationWarning)
        yield


@pytest.fixture(scope="module")
def fitted():
    X, y = make_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CooperationWarning)
        return selector(n_bootstrap=30).fit(X, y), X, y


def test_utility_table_and_game_quantities(fitted):
    sel, X, y = fitted
    df = sel.utilities_
    assert len(df) == 15 and df["size"].tolist() == sorted(df["size"])
    assert {
        "subset",
        "modalities",
        "size",
        "score",
        "utility",
        "cooperation",
        "rank",
        "utility_std",
        "utility_ci_low",
        "utility_ci_high",
    } <= set(df)
    np.testing.assert_allclose(df["utility"], df["score"] - df["baseline"])
    assert sel.baseline_score_ == pytest.approx(0.5, abs=0.02)  # balanced classes
    full = df.loc[df["size"] == 4, "utility"].item()
    assert sel.shapley_values_.sum() == pytest.approx(full)
    assert sel.scaled_shapley_values_.sum() == pytest.approx(1.0)
    phi = sel.shapley_values_
    assert phi["strong"] > phi["weak"] > abs(phi["noise"])
    assert abs(phi["noise"]) < 0.03
    inter = sel.interactions_
    assert inter.loc["strong", "copy"] < 0  # redundant copy
    np.testing.assert_allclose(inter.to_numpy(), inter.to_numpy().T)
    # C(S) of a pair, by Eq. 4
    solo = df.set_index("subset")["utility"]
    pair = df.set_index("subset").loc["strong+weak"]
    expected = (pair["utility"] - solo["strong"] - solo["weak"]) / pair["utility"]
    assert pair["cooperation"] == pytest.approx(expected)
    assert sel.n_samples_fit_ == 150 and sel.n_features_in_ == 8
    assert sel.n_fits_ == 15 * 3


def test_selection_by_cooperation_rank(fitted):
    sel, _, _ = fitted
    df = sel.utilities_
    triples = df[df["size"] == 3]
    best = triples.loc[triples["rank"] == 1, "modalities"].item()
    assert sel.selected_modalities_ == list(best)
    assert triples.loc[triples["rank"] == 1, "cooperation"].item() == pytest.approx(
        triples["cooperation"].max()
    )
    assert sorted(triples["rank"]) == [1, 2, 3, 4]
    # `copy` is `strong` plus noise: their utilities differ by about 0.01,
    # well inside one bootstrap standard deviation (0.03), so either may lead.
    assert list(sel.greedy_path_["modality"])[0] in ("strong", "copy")


def test_selection_utility_and_greedy():
    X, y = make_data()
    sel = selector(selection="utility", subset_size=2).fit(X, y)
    pairs = sel.utilities_[sel.utilities_["size"] == 2]
    top = pairs.sort_values("utility", ascending=False)["modalities"].iloc[0]
    assert sel.selected_modalities_ == list(top)
    sel = selector(selection="greedy", max_modalities=2).fit(X, y)
    assert sel.selected_modalities_ == list(sel.greedy_path_["modality"])
    assert len(sel.selected_modalities_) <= 2


def test_bootstrap_uncertainty_is_reproducible(fitted):
    sel, X, y = fitted
    assert (sel.utilities_["utility_std"] > 0).all()
    assert sel.shapley_std_.index.tolist() == list(MODS)
    ci = sel.shapley_ci_
    assert (ci["low"] <= ci["high"]).all()
    inside = (ci["low"] - 1e-9 <= sel.shapley_values_) & (
        sel.shapley_values_ <= ci["high"] + 1e-9
    )
    assert inside.sum() >= 3
    again = selector(n_bootstrap=30).fit(X, y)
    pd.testing.assert_frame_equal(again.utilities_, sel.utilities_)


def test_masked_engine_one_model_per_fold():
    X, y = make_data()
    sel = selector(utility="masked").fit(X, y)
    assert sel.n_fits_ == 3
    phi = sel.shapley_values_
    assert phi["strong"] > phi["weak"] and abs(phi["noise"]) < 0.03
    assert sel.shapley_values_.sum() == pytest.approx(
        sel.utilities_["utility"].iloc[-1]
    )


def test_greedy_search_fits_only_the_path():
    X, y = make_data()
    sel = selector(
        search="greedy", selection="greedy", max_modalities=2, n_permutations=0
    ).fit(X, y)
    # 4 singletons, then 3 pairs containing the first pick, 3 folds each
    assert sel.n_fits_ == (4 + 3) * 3
    assert len(sel.utilities_) == 7
    assert sel.shapley_values_.isna().all() and sel.shapley_se_.isna().all()
    # `strong` and its noisy `copy` are a close call (see above)
    assert sel.selected_modalities_[0] in ("strong", "copy")


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Checks it gets a ``modalities`` dict matching the columns it sees."""

    def __init__(self, modalities=None):
        self.modalities = modalities

    def fit(self, X, y):
        cols = sorted(c for v in self.modalities.values() for c in v)
        assert cols == list(range(X.shape[1])), (cols, X.shape)
        self.inner_ = LogisticRegression().fit(np.nan_to_num(X), y)
        self.classes_ = self.inner_.classes_
        return self

    def predict(self, X):
        return self.inner_.predict(np.nan_to_num(X))


class DropoutClassifier(RecordingClassifier):
    """Has a ``modality_dropout`` parameter; records what it was fit with."""

    seen = []

    def __init__(self, modalities=None, modality_dropout=0.0):
        self.modalities = modalities
        self.modality_dropout = modality_dropout

    def fit(self, X, y):
        DropoutClassifier.seen.append((self.modality_dropout, np.isnan(X).any()))
        return super().fit(X, y)


def test_masked_engine_uses_modality_dropout_or_hides_blocks():
    X, y = make_data(60)
    DropoutClassifier.seen.clear()
    ModalitySelector(
        DropoutClassifier(),
        modalities=MODS,
        cv=2,
        n_repeats=1,
        utility="masked",
        random_state=0,
    ).fit(X, y)
    # the parameter is switched on and the rows are left whole
    assert DropoutClassifier.seen == [(0.5, False), (0.5, False)]
    DropoutClassifier.seen.clear()
    ModalitySelector(
        RecordingClassifier(),
        modalities=MODS,
        cv=2,
        n_repeats=1,
        utility="masked",
        random_state=0,
    ).fit(X, y)


def test_augmentation_hides_whole_blocks_in_about_half_the_rows():
    from sklearn_skll.selection._utility import _augment_hidden

    X, _ = make_data(400)
    mods = {k: np.asarray(v) for k, v in MODS.items()}
    observed = np.ones((400, 4), dtype=bool)
    out = _augment_hidden(X, mods, observed, np.random.RandomState(0))
    hidden = np.column_stack([np.isnan(out[:, v]).all(axis=1) for v in mods.values()])
    partly = np.column_stack([np.isnan(out[:, v]).any(axis=1) for v in mods.values()])
    np.testing.assert_array_equal(hidden, partly)  # whole blocks only
    assert not hidden.all(axis=1).any()  # some modality always kept
    assert 0.4 < hidden.any(axis=1).mean() < 0.6
    kept = ~np.isnan(out)
    np.testing.assert_array_equal(out[kept], X[kept])  # observed values untouched


@pytest.mark.parametrize("utility", ["retrain", "masked"])
def test_estimator_modalities_param_is_restricted(utility):
    X, y = make_data(60)
    sel = ModalitySelector(
        RecordingClassifier(), modalities=MODS, cv=2, utility=utility, random_state=0
    ).fit(X, y)
    assert len(sel.utilities_) == 15


def test_rows_with_missing_modalities():
    X, y = make_data()
    X[:40, 2:4] = np.nan  # weak missing in 40 rows
    for utility in ["retrain", "masked"]:
        sel = selector(utility=utility).fit(X, y)
        n = sel.utilities_.set_index("subset")["n_samples"]
        assert n["strong"] == 150 and n["weak"] == 110 and n["strong+weak"] == 110


def test_errors_are_clear():
    X, y = make_data(60)
    with pytest.raises(ModalityError, match="at least two"):
        selector(modalities={"only": [0, 1]}).fit(X, y)
    X_missing = X.copy()
    X_missing[:, 6:8] = np.nan
    with pytest.raises(ModalityError, match="`noise` is fully observed in no row"):
        selector().fit(X_missing, y)
    y_rare = y.copy()
    y_rare[:1] = 2
    with pytest.raises(ValueError, match="single row") as err:
        selector().fit(X, y_rare)
    assert "max_samples" not in str(err.value)
    with pytest.raises(InvalidParameterError, match="'estimator'"):
        ModalitySelector(object(), modalities=MODS).fit(X, y)
    with pytest.raises(ValueError, match="selection='greedy'"):
        selector(search="greedy").fit(X, y)
    with pytest.raises(ValueError, match="subset_size"):
        selector(subset_size=5).fit(X, y)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="inf"):
        selector().fit(X_inf, y)


def test_transform_and_feature_names():
    X, y = make_data(90, frame=True)
    sel = selector().fit(X, y)
    np.testing.assert_array_equal(sel.transform(X), X.to_numpy())
    assert list(sel.get_feature_names_out()) == list(X.columns)
    sel = selector(drop_unselected=True).set_output(transform="pandas").fit(X, y)
    out = sel.transform(X)
    # drop_unselected keeps the one key, key_subset_ (what new rows carry).
    expected = [c for c in X.columns if c.rsplit("_", 1)[0] in sel.key_subset_]
    assert list(out.columns) == expected == list(sel.get_feature_names_out())
    pd.testing.assert_frame_equal(out, X[expected])


def test_the_key_is_what_new_rows_carry_and_drop_unselected_keeps():
    # With costs the key rule and the paper's C(S) rule pick different
    # subsets: the dropping selector keeps the key, and the plan buys it.
    X, y = make_data(120, frame=True)
    costs = {"strong": 10.0, "weak": 1.0, "copy": 1.0, "noise": 1.0}
    sel = selector(drop_unselected=True, costs=costs).fit(X, y)
    kept = {c.rsplit("_", 1)[0] for c in sel.get_feature_names_out()}
    assert kept == set(sel.key_subset_)
    assert sel.plan(0.1).key_subset == sel.key_subset_


def test_named_columns_selectors_and_log_loss():
    X, y = make_data(90, frame=True)
    mods = {m: [f"{m}_0", f"{m}_1"] for m in MODS}
    sel = ModalitySelector(
        LogisticRegression(),
        modalities=mods,
        scoring="neg_log_loss",
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert sel.baseline_score_ == pytest.approx(-np.log(2), abs=0.01)
    solo = sel.utilities_.set_index("subset")["utility"]
    assert solo["strong"] > 0.1


def test_max_samples_subsamples_rows():
    X, y = make_data(300)
    sel = selector(max_samples=60).fit(X, y)
    assert sel.n_samples_fit_ == 60
    assert selector(max_samples=0.5).fit(X, y).n_samples_fit_ == 150


def test_pipeline_grid_search_clone_pickle():
    X, y = make_data(90)
    pipe = make_pipeline(selector(drop_unselected=True, cv=2), LogisticRegression())
    search = GridSearchCV(pipe, {"modalityselector__subset_size": [1, 2]}, cv=2)
    search.fit(X, y)
    assert search.best_score_ > 0.7
    sel = clone(selector()).fit(X, y)
    restored = pickle.loads(pickle.dumps(sel))
    pd.testing.assert_frame_equal(restored.utilities_, sel.utilities_)
    np.testing.assert_array_equal(restored.transform(X), sel.transform(X))


def test_dask_backend_runs_subset_jobs():
    distributed = pytest.importorskip("dask.distributed")
    from joblib import parallel_config

    X, y = make_data(60)
    local = selector(cv=2).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with parallel_config(backend="dask"):
            remote = selector(cv=2).fit(X, y)
    pd.testing.assert_frame_equal(remote.utilities_, local.utilities_)


def test_n_jobs_gives_the_same_result():
    X, y = make_data(60)
    one = selector(cv=2, n_jobs=1).fit(X, y)
    two = selector(cv=2, n_jobs=2).fit(X, y)
    pd.testing.assert_frame_equal(one.utilities_, two.utilities_)


def test_verbose_progress_bar(capsys):
    X, y = make_data(60)
    selector(cv=2, verbose=2).fit(X, y)
    captured = capsys.readouterr()
    assert "[ModalitySelector]" in captured.err  # tqdm bar
    assert "[ModalitySelector] 15 subsets" in captured.out


def test_plots_return_axes(fitted):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sel, _, _ = fitted
    for kind in ["shapley", "subsets", "interactions", "greedy"]:
        ax = sel.plot(kind)
        assert isinstance(ax, matplotlib.axes.Axes)
    # error bars from the bootstrap
    ax = sel.plot("shapley")
    assert len(ax.patches) == 4
    assert any(type(c).__name__ == "ErrorbarContainer" for c in ax.containers)
    with pytest.raises(ValueError, match="kind"):
        sel.plot("pie")
    from sklearn_skll.plotting import plot_shapley, plot_subsets

    ax = plot_shapley({"a": 0.2, "b": -0.1})
    assert len(ax.patches) == 2
    ax = plot_subsets(sel, by="cooperation", top=5)
    assert len(ax.patches) == 5
    plt.close("all")


def test_plan_delegates_to_budget(fitted):
    from sklearn_skll.planning import rank_keys

    sel, X, y = fitted
    plan = sel.plan(0.1)
    assert plan.key_subset == sel.key_subset_
    assert plan.n_reference == sel.n_samples_fit_
    paper = clone(sel).set_params(key="paper").fit(X, y)
    assert paper.plan(0.1).key_subset == tuple(paper.selected_modalities_)
    costs = {"strong": 10.0, "weak": 1.0, "copy": 1.0, "noise": 1.0}
    cheap = sel.plan(0.1, costs=costs)
    ranked = rank_keys("gain_per_cost", sel.utilities_, list(MODS), costs=costs)
    assert cheap.key_subset == ranked["modalities"].iloc[0]
    assert cheap.key_rule == "gain_per_cost" and cheap.notes


def test_one_modality_is_simply_selected():
    X, y = make_data(60)
    sel = ModalitySelector(LogisticRegression(), cv=2, random_state=0).fit(X, y)
    assert sel.selected_modalities_ == ["all"]
    assert sel.shapley_values_["all"] == pytest.approx(sel.utilities_["utility"].item())


def test_default_estimator_is_linear_at_pilot_sizes():
    X, y = make_data(80)
    mods = {"strong": [0, 1], "weak": [2, 3]}
    sel = ModalitySelector(modalities=mods, cv=2, random_state=0).fit(X[:, :4], y)
    assert type(sel.estimator_).__name__ == "Pipeline"
    assert sel.selected_modalities_ == ["strong"]
    # one repeat of 2 folds by default, 3 subsets
    assert sel.n_fits_ == 3 * 2
    auto = ModalitySelector(modalities=mods, cv=2, n_repeats="auto", random_state=0)
    # 80 rows: ceil(300 / 80) capped at 2 repeats
    assert auto.fit(X[:, :4], y).n_fits_ == 3 * 2 * 2


def test_default_linear_fits_its_preprocessing_once_per_fold_same_scores():
    """The default pipeline's per-column steps are fitted once per fold and
    row set; every score equals retraining the whole pipeline per subset."""
    from sklearn_skll.selection._selector import _linear_estimator

    X, y = make_data(90)
    X[:30, 2:4] = np.nan  # `weak` missing in 30 rows: two row sets per fold
    params = dict(modalities=MODS, cv=3, n_repeats=2, n_bootstrap=40, random_state=0)
    fast = ModalitySelector(**params).fit(X, y)
    slow = ModalitySelector(_linear_estimator(), **params).fit(X, y)
    assert fast.n_fits_ == slow.n_fits_ == 15 * 3 * 2
    cols = ["n_samples", "score", "baseline", "utility", "p_best"]
    np.testing.assert_allclose(
        fast.utilities_[cols].to_numpy(float),
        slow.utilities_[cols].to_numpy(float),
        rtol=0,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        fast.utility_replicates_, slow.utility_replicates_, rtol=0, atol=1e-12
    )
    assert fast.key_subset_ == slow.key_subset_
    assert fast.selected_modalities_ == slow.selected_modalities_
    # one job per fold, the same result with two workers
    with parallel_config(backend="threading"):
        two = ModalitySelector(**params, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(two.utility_replicates_, fast.utility_replicates_)


def test_default_net_retrained_per_subset(monkeypatch):
    """Above LINEAR_MAX_ROWS, utility='retrain' refits the default net per
    subset and fold (the per-fold preprocessing is for the linear default)."""
    from sklearn_skll.selection import _selector

    monkeypatch.setattr(_selector, "LINEAR_MAX_ROWS", 50)
    X, y = make_data(80)
    mods = {"strong": [0, 1], "weak": [2, 3]}
    sel = ModalitySelector(
        modalities=mods, utility="retrain", cv=2, n_bootstrap=0, random_state=0
    ).fit(X[:, :4], y)
    assert type(sel.estimator_).__name__ == "MultimodalNetClassifier"
    assert sel.n_fits_ == 3 * 2


@pytest.mark.slow
def test_default_estimator_is_the_multimodal_net(monkeypatch):
    from sklearn_skll.selection import _selector

    monkeypatch.setattr(_selector, "LINEAR_MAX_ROWS", 50)
    X, y = make_data(80)
    mods = {"strong": [0, 1], "weak": [2, 3]}
    sel = ModalitySelector(modalities=mods, cv=2, random_state=0).fit(X[:, :4], y)
    assert type(sel.estimator_).__name__ == "MultimodalNetClassifier"
    assert sel.n_fits_ == 2  # utility="auto" is masked: 1 fit per fold
    assert sel.selected_modalities_ == ["strong"]


def test_folds_adapt_to_a_rare_class():
    X, y = make_data(90)
    y = y.copy()
    y[:2] = 2  # two rows of a third class, fewer than the 3 folds
    with pytest.warns(UserWarning, match="using 2 stratified folds"):
        sel = selector(n_repeats=2).fit(X, y)
    assert sel.n_fits_ == 15 * 2 * 2
    assert np.isfinite(sel.utilities_["utility"]).all()
    with pytest.raises(ValueError, match="more folds than any class has rows"):
        selector(cv=60).fit(X, y)  # no class has 60 rows: not a rare class


def test_selection_confidence_from_the_bootstrap():
    X, y = make_data(150)
    sel = selector(n_bootstrap=50).fit(X, y)
    df = sel.utilities_
    assert sel.utility_replicates_.shape == (15, 50)
    # p_best is a probability within each size and sums to one there
    np.testing.assert_allclose(df.groupby("size")["p_best"].sum(), 1.0)
    chosen = df[df["modalities"].map(frozenset) == frozenset(sel.selected_modalities_)]
    assert sel.selection_confidence_ == pytest.approx(chosen["p_best"].item())
    assert 0 < sel.selection_confidence_ <= 1
    # a clear winner among singletons: strong
    singles = df[df["size"] == 1].set_index("subset")["p_best"]
    assert singles["strong"] > singles["weak"] and singles["noise"] == 0
    assert np.isnan(selector(n_bootstrap=0).fit(X, y).selection_confidence_)
    greedy = selector(selection="greedy", n_bootstrap=20).fit(X, y)
    assert 0 <= greedy.selection_confidence_ <= 1


@pytest.mark.parametrize("key", ["paper", "gain_per_cost", "simulate"])
def test_key_rules(key):
    X, y = make_data(150)
    sel = selector(key=key, n_bootstrap=30).fit(X, y)
    cand = sel.key_candidates_
    assert sel.key_subset_ == tuple(cand["modalities"].iloc[0])
    assert 0 <= sel.key_confidence_ <= 1
    assert {"subset", "utility", "share_of_full", "p_best"} <= set(cand)
    if key == "paper":
        assert sel.key_subset_ == tuple(sel.selected_modalities_)
        assert (cand["size"] == 3).all()
    if key == "gain_per_cost":
        assert (cand.loc[cand["eligible"], "share_of_full"] >= 0.5).all()
    if key == "simulate":
        assert {"score", "score_ci_low", "diff_uniform", "diff_ci_low"} <= set(cand)
        assert "uniform" in set(cand["subset"])
        assert (cand["score_ci_low"] <= cand["score"]).all()
    plan = sel.plan()
    frame = plan.to_frame()
    assert frame.loc["skll", "key_rule"] == key
    assert frame.loc["skll", "p_best"] == pytest.approx(sel.key_confidence_)
    assert frame.attrs["notes"] == list(plan.notes) and plan.notes
    assert "note:" in repr(plan) and f"rule {key!r}" in repr(plan)


def test_key_guard_against_a_cheap_weak_subset():
    """The README case: a cheap pair of weak modalities is not the key."""
    from sklearn_skll.planning import key_notes, rank_keys

    names = ["proteins", "csf", "apoe", "demographics"]
    solo = {"proteins": 0.06, "csf": 0.07, "apoe": 0.002, "demographics": 0.002}
    rows = []
    for size in range(1, 5):
        for subset in itertools.combinations(names, size):
            u = sum(solo[n] for n in subset) * (1.1 if size == 2 else 0.9)
            if set(subset) == {"apoe", "demographics"}:
                u = 0.03
            rows.append(
                {
                    "subset": "+".join(subset),
                    "modalities": subset,
                    "size": size,
                    "utility": u,
                }
            )
    table = pd.DataFrame(rows)
    costs = {"proteins": 3.0, "csf": 5.0, "apoe": 1.0, "demographics": 0.1}
    ranked = rank_keys("gain_per_cost", table, names, costs=costs).set_index("subset")
    assert ranked.index[0] != "apoe+demographics"
    assert not ranked.loc["apoe+demographics", "eligible"]
    assert ranked["share_of_full"].iloc[0] >= 0.5
    shapley = pd.Series(solo)
    notes = " ".join(key_notes("gain_per_cost", ranked.reset_index(), shapley))
    assert "% of the full utility" in notes and "generated" in notes
