"""The fine-tuning utility engine (``utility="finetune"``)."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_skll.datasets import make_multimodal_classification
from sklearn_skll.exceptions import CooperationWarning
from sklearn_skll.neural import MultimodalNetClassifier
from sklearn_skll.selection import ModalitySelector
from sklearn_skll.selection._selector import SMALL_NET

pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CooperationWarning)
        yield


@pytest.fixture(scope="module")
def xor_data():
    # informative, an XOR pair (synergy_a, synergy_b), redundant, noise
    data = make_multimodal_classification(500, random_state=0, as_frame=False)
    return data.data, data.target, data.modalities


def net(seed=0):
    # The selector's own small net (its default above LINEAR_MAX_ROWS rows).
    return MultimodalNetClassifier(**SMALL_NET, random_state=seed)


def fit(X, y, mods, utility, **params):
    params.setdefault("cv", 3)
    params.setdefault("n_bootstrap", 0)
    return ModalitySelector(
        net(), modalities=mods, utility=utility, random_state=0, **params
    ).fit(X, y)


def xor_gap(sel):
    u = sel.utilities_.set_index("subset")["utility"]
    return u["synergy_a+synergy_b"] - max(u["synergy_a"], u["synergy_b"])


def test_finetune_sees_the_xor_pair_the_masked_engine_misses(xor_data):
    X, y, mods = xor_data
    masked = fit(X, y, mods, "masked")
    finetune = fit(X, y, mods, "finetune")
    # the shared model leans on `informative`; the pair alone is worth much
    # more than either member once a head is tuned to it
    assert xor_gap(finetune) > 0.15
    assert xor_gap(finetune) > xor_gap(masked) + 0.1
    assert finetune.n_fits_ == 3  # one trained model per fold, as masked


def test_finetune_learns_the_xor_pair_about_as_well_as_retraining(xor_data):
    # The pair's utility after fine-tuning is close to that of nets trained
    # on the pair alone: 0.02 below here. With the net's own learning rate
    # for the heads (FINETUNE_LR_SCALE = 1) it was 0.08 below.
    X, y, mods = xor_data
    pair = {k: mods[k] for k in ("synergy_a", "synergy_b")}
    retrain = fit(X, y, pair, "retrain")
    finetune = fit(X, y, mods, "finetune")
    name = "synergy_a+synergy_b"
    u_retrain = retrain.utilities_.set_index("subset")["utility"][name]
    u_finetune = finetune.utilities_.set_index("subset")["utility"][name]
    assert u_retrain > 0.25  # the pair is learnable
    assert u_finetune > u_retrain - 0.05


def test_finetune_same_seed_same_result(xor_data):
    X, y, mods = xor_data
    mods = {k: mods[k] for k in ("informative", "synergy_a", "synergy_b")}
    a = fit(X, y, mods, "finetune", n_bootstrap=20, cv=2)
    b = fit(X, y, mods, "finetune", n_bootstrap=20, cv=2)
    np.testing.assert_array_equal(a.utilities_["utility"], b.utilities_["utility"])
    np.testing.assert_array_equal(a.utility_replicates_, b.utility_replicates_)
    c = ModalitySelector(
        net(1),
        modalities=mods,
        utility="finetune",
        cv=2,
        n_bootstrap=0,
        random_state=0,
    ).fit(X, y)
    assert not np.array_equal(c.utilities_["utility"], a.utilities_["utility"])


def test_finetune_leaves_the_fold_models_unchanged(xor_data):
    from sklearn.metrics import get_scorer

    from sklearn_skll.selection._utility import FineTuneEngine

    X, y, mods = xor_data
    names = ["informative", "synergy_a", "synergy_b"]
    mods = {n: mods[n] for n in names}
    X = X[:, np.concatenate([mods[n] for n in names])]
    start = np.cumsum([0] + [len(mods[n]) for n in names])
    mods = {n: np.arange(start[k], start[k + 1]) for k, n in enumerate(names)}
    modalities_ = {n: np.asarray(c) for n, c in mods.items()}
    observed = np.ones((X.shape[0], 3), dtype=bool)
    folds = [(np.arange(0, 500, 2), np.arange(1, 500, 2))]
    engine = FineTuneEngine(
        net().set_params(max_epochs=5),
        X,
        y,
        modalities_,
        observed,
        folds,
        get_scorer("accuracy"),
        [np.empty((0, 250))],
        random_state=0,
    )
    engine._fit()
    before = engine.models_[0].predict_proba(X)
    pair = frozenset(names[1:])
    first = engine.evaluate([frozenset(names[:1]), pair, frozenset(names)])
    np.testing.assert_array_equal(engine.models_[0].predict_proba(X), before)
    # asked alone (as greedy search does), a subset gets the same score
    again = engine.evaluate([pair])
    assert again[pair].score == pytest.approx(first[pair].score, abs=1e-12)


def test_finetune_needs_the_net(xor_data):
    X, y, mods = xor_data
    with pytest.raises(ValueError, match="`utility='finetune'`.*Got estimator="):
        ModalitySelector(
            LogisticRegression(), modalities=mods, utility="finetune", cv=2
        ).fit(X, y)


@pytest.mark.parametrize("scoring", ["roc_auc", "neg_log_loss"])
def test_finetune_with_other_scorers(xor_data, scoring):
    X, y, mods = xor_data
    mods = {k: mods[k] for k in ("informative", "synergy_a")}
    sel = ModalitySelector(
        net().set_params(max_epochs=5),
        modalities=mods,
        utility="finetune",
        scoring=scoring,
        cv=2,
        random_state=0,
    ).fit(X, y)
    u = sel.utilities_.set_index("subset")["utility"]
    assert np.isfinite(u).all()
    assert u["informative"] > u["synergy_a"]  # the XOR member is useless alone


@pytest.mark.parametrize(
    "scoring, fusion",
    [("neg_log_loss", "concat"), ("accuracy", "concat"), ("accuracy", "attention")],
)
def test_masked_engine_scores_the_net_from_its_embeddings(xor_data, scoring, fusion):
    """The masked engine's net scoring equals predicting with blocks hidden.

    The concatenation head is scored from its per-modality parts, other heads
    on the subsets' embeddings.
    """
    from sklearn.metrics import get_scorer

    from sklearn_skll.selection._utility import MaskedEngine, _score_masked_fold

    X, y, mods = xor_data
    X = X[:200].copy()
    y = y[:200]
    X[:30, mods["noise"]] = np.nan  # a modality missing in some rows
    modalities_ = {n: np.asarray(c) for n, c in mods.items()}
    observed = np.column_stack(
        [~np.isnan(X[:, c]).all(axis=1) for c in modalities_.values()]
    )
    folds = [(np.arange(0, 200, 2), np.arange(1, 200, 2))]
    scorer = get_scorer(scoring)
    engine = MaskedEngine(
        net().set_params(max_epochs=5, fusion=fusion),
        X,
        y,
        modalities_,
        observed,
        folds,
        scorer,
        [np.empty((0, 100))],
        random_state=0,
    )
    names = list(mods)
    subsets = [frozenset(names[:k]) for k in range(1, 6)] + [frozenset(names[2:4])]
    fast = engine.evaluate(subsets)
    train, test = folds[0]
    slow = _score_masked_fold(
        engine.models_[0],
        engine._X_model,
        y,
        engine._model_modalities,
        observed,
        test,
        subsets,
        scorer,
        np.empty((0, 100)),
        names,
        y[train],
    )
    for s, (score, base, *_, n_rows) in zip(subsets, slow):
        assert fast[s].n_samples == n_rows
        assert fast[s].score == pytest.approx(score, abs=1e-6)
        assert fast[s].baseline == pytest.approx(base, abs=1e-12)


def test_finetune_heads_train_as_with_torch_fused_adamw(xor_data, monkeypatch):
    # The heads' optimizer avoids torch.optim (whose first use imports
    # torch._dynamo) and runs the same fused kernel: identical utilities.
    import functools

    import torch

    from sklearn_skll.neural import _optim

    X, y, mods = xor_data
    mods = {k: mods[k] for k in ("informative", "synergy_a", "synergy_b")}
    ours = fit(X, y, mods, "finetune", cv=2)
    monkeypatch.setattr(
        _optim, "FusedAdamW", functools.partial(torch.optim.AdamW, fused=True)
    )
    theirs = fit(X, y, mods, "finetune", cv=2)
    np.testing.assert_array_equal(
        ours.utilities_["utility"], theirs.utilities_["utility"]
    )


def test_concat_heads_gradients_are_autograds():
    # The concatenation heads' written-out gradients equal autograd's on the
    # same loss: each head's weighted cross-entropy, summed over heads.
    import torch
    from torch.nn import functional as F

    from sklearn_skll.neural._modules import ConcatFusion
    from sklearn_skll.selection._utility import _stacked_heads

    torch.manual_seed(0)
    n_heads, rows, m, embed = 5, 12, 3, 4
    fusion = ConcatFusion(m, embed, hidden=8, n_classes=3, dropout=0.5)
    params, heads, grads = _stacked_heads(fusion, n_heads)
    for p in params:  # distinct heads
        p.add_(torch.randn_like(p) * 0.1)
    shown = torch.randn(n_heads, rows, m, embed)
    y = torch.randint(3, (rows,))
    weight = (torch.rand(n_heads, rows) > 0.3).float()
    weight /= weight.sum(1, keepdim=True).clamp(min=1)
    grads(shown, y, weight)
    ours = [p.grad.clone() for p in params]
    leaves = [p.detach().clone().requires_grad_() for p in params]
    w1, b1, w2, b2 = leaves
    logits = torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, shown.flatten(2), w1)), w2)
    nll = F.cross_entropy(
        logits.transpose(1, 2), y.expand(n_heads, -1), reduction="none"
    )
    (nll * weight).sum().backward()
    assert torch.equal(heads(shown, None), logits.detach())
    for a, b in zip(ours, leaves):
        assert b.grad.abs().max() > 0
        torch.testing.assert_close(a, b.grad, rtol=1e-5, atol=1e-6)
