import io
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from sklearn_skll._base import seed_streams
from sklearn_skll._modalities import hide_modalities, restrict_modalities
from sklearn_skll.exceptions import ModalityError
from sklearn_skll.neural import MultimodalNetClassifier
from sklearn_skll.neural._modules import (
    AttentionFusion,
    ModalityEncoders,
    MultimodalNet,
    TransformerLayer,
    _dropout_masks,
    _EncodeModalities,
    _keep_mask,
    drawing_from,
    drop_modalities,
    dropout,
)

MODALITIES = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}
FAST = dict(max_epochs=15, lr=1e-2, batch_size=32, random_state=0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_data(n=240, seed=0, n_classes=3):
    rng = np.random.RandomState(seed)
    y = rng.randint(n_classes, size=n)
    X = rng.normal(size=(n, 9))
    X[:, 0] += 3 * y  # modality "a" is informative
    X[:, 5] += 3 * y  # and so is "c"
    return X, y


# --------------------------------------------------------- estimator checks


# ------------------------------------------------------------------ fusions
@pytest.mark.parametrize("fusion", ["concat", "attention", "moe"])
def test_fusions_learn_and_predict_with_missing_modalities(fusion):
    X, y = make_data()
    X[:60, 5:] = np.nan  # "c" missing in a quarter of the rows
    X[60:100, :3] = np.nan  # "a" missing in others
    clf = MultimodalNetClassifier(modalities=MODALITIES, fusion=fusion, **FAST)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, y) > 0.8
    assert list(clf.modalities_) == ["a", "b", "c"]


def test_modalities_none_is_one_modality():
    X, y = make_data()
    clf = MultimodalNetClassifier(**FAST).fit(X, y)
    assert list(clf.modalities_) == ["all"]
    np.testing.assert_array_equal(clf.modalities_["all"], np.arange(9))
    assert clf.score(X, y) > 0.8


def test_standardization_uses_observed_values_only():
    X, y = make_data()
    X[:100, 5:] = np.nan
    clf = MultimodalNetClassifier(modalities=MODALITIES, max_epochs=1).fit(X, y)
    used = np.concatenate(list(clf.modalities_.values()))
    np.testing.assert_allclose(clf.mean_, np.nanmean(X[:, used], axis=0))
    np.testing.assert_allclose(clf.scale_, np.nanstd(X[:, used], axis=0))


def test_inputs_by_blocks_of_rows_equal_one_pass(monkeypatch):
    """The standardized inputs are built by blocks of rows (no float64 copy
    of X): any block size gives the same numbers, for all rows or some."""
    X, y = make_data(90)
    X[:30, 5:] = np.nan
    clf = MultimodalNetClassifier(modalities=MODALITIES, max_epochs=2, random_state=0)
    clf.fit(X, y)
    present = ~np.isnan(X[:, [0, 3, 5]])
    whole = clf._net_inputs(X, present)
    used = np.concatenate(list(clf.modalities_.values()))
    by_hand = (np.nan_to_num(X[:, used]) - clf.mean_) / clf.scale_
    by_hand[np.isnan(X[:, used])] = 0.0
    np.testing.assert_array_equal(whole["x"].numpy(), by_hand.astype(np.float32))
    rows = np.array([5, 70, 2, 44])
    monkeypatch.setattr(MultimodalNetClassifier, "_BLOCK_VALUES", 7)  # 1 row each
    some = clf._net_inputs(X, present, rows)
    np.testing.assert_array_equal(some["x"].numpy(), whole["x"].numpy()[rows])
    np.testing.assert_array_equal(some["mask"].numpy(), present[rows])
    blocked = clone(clf).fit(X, y)  # training by blocks: the same net
    np.testing.assert_array_equal(blocked.predict_proba(X), clf.predict_proba(X))


def test_missing_embedding_is_used_for_absent_modality():
    """A missing modality's values never reach the net: changing them is moot."""
    X, y = make_data(60)
    clf = MultimodalNetClassifier(modalities=MODALITIES, max_epochs=2).fit(X, y)
    X_hidden = hide_modalities(X, clf.modalities_, [False, True, False])
    inputs = clf._net_inputs(X_hidden, ~np.isnan(X_hidden[:, [0, 3, 5]]))
    assert not torch.isnan(inputs["x"]).any()
    assert inputs["mask"][:, 1].sum() == 0
    module = clf.net_.module_.eval()
    garbage = inputs["x"].clone()
    garbage[:, 3:5] = 1e3  # columns of "b" in the net's input layout
    with torch.no_grad():
        out = module(inputs["x"], inputs["mask"])
        out_garbage = module(garbage, inputs["mask"])
    torch.testing.assert_close(out, out_garbage)


@pytest.mark.parametrize("all_present", [False, True])
def test_encoders_match_plain_autograd_values_and_gradients(all_present):
    """The encoders' hand-written backward is autograd's, for every parameter
    (also when every modality is present: no missing embedding is used)."""
    torch.manual_seed(0)
    sizes = [3, 5, 1, 4]
    encoders = ModalityEncoders(sizes, 6, 4).double()
    with torch.no_grad():
        encoders.missing.normal_()
    x = torch.randn(7, 13, dtype=torch.double)
    present = torch.rand(7, 4) > 0.4
    if all_present:
        present[:] = True
    params = [encoders.weight1, encoders.bias1, encoders.weight2, encoders.bias2]
    params.append(encoders.missing)

    def plain(w1, b1, w2, b2, missing):
        blocks = zip(x.split(sizes, dim=1), w1.split(sizes, dim=1), b1)
        h = torch.stack([torch.relu(block @ w.T + b) for block, w, b in blocks])
        embedded = torch.baddbmm(b2, h, w2).transpose(0, 1)
        return torch.where(present.unsqueeze(-1), embedded, missing)

    out = encoders(x, present)
    torch.testing.assert_close(out, plain(*params))
    weights = torch.randn_like(out)
    grads = torch.autograd.grad((out * weights).sum(), params)
    expected = torch.autograd.grad((plain(*params) * weights).sum(), params)
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want)

    def encode(*p):
        return _EncodeModalities.apply(x, present, *p, sizes, True)

    assert torch.autograd.gradcheck(encode, params)


def test_transformer_layer_matches_torch_layer():
    torch.manual_seed(0)
    ref = torch.nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=True
    )
    layer = TransformerLayer(8, 2, 16, 0.0)
    with torch.no_grad():
        layer.qkv.weight.copy_(ref.self_attn.in_proj_weight)
        layer.qkv.bias.copy_(ref.self_attn.in_proj_bias)
        layer.out.load_state_dict(ref.self_attn.out_proj.state_dict())
    for name in ("linear1", "linear2", "norm1", "norm2"):
        getattr(layer, name).load_state_dict(getattr(ref, name).state_dict())
    tokens = torch.randn(5, 3, 8, requires_grad=True)  # (batch, M, embed)

    def mine(tokens):  # the layer runs token-major: (M, batch, embed)
        return layer(tokens.transpose(0, 1)).transpose(0, 1)

    torch.testing.assert_close(mine(tokens), ref(tokens))
    grad = torch.autograd.grad(mine(tokens).square().sum(), tokens)
    torch.testing.assert_close(
        grad, torch.autograd.grad(ref(tokens).square().sum(), tokens)
    )


def _attention_head(dropout_rate, n_layers, dtype=torch.float64):
    torch.manual_seed(0)
    fusion = AttentionFusion(3, 8, 16, 4, dropout_rate, 2, n_layers).to(dtype)
    for layer in fusion.layers:  # the layers' own dropout (none by default) too
        layer.dropout = dropout_rate
    with torch.no_grad():  # every parameter away from its initial value
        for param in fusion.parameters():
            param.add_(0.3 * torch.randn_like(param))
    return fusion


@pytest.mark.parametrize("training", [True, False])
def test_attention_head_node_matches_the_modules(training):
    """With a gradient, AttentionFusion runs as one autograd node with a
    written-out backward: the same logits and gradients as the modules' own
    forward, the same dropout draws."""
    fusion = _attention_head(0.3, 2).train(training)
    tokens = torch.randn(3, 11, 8, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(11, 4, dtype=torch.float64)
    inputs = [tokens, *fusion.parameters()]
    results = []
    for run in (fusion, fusion.forward_modules):
        with torch.random.fork_rng():
            torch.manual_seed(1)
            out = run(tokens, None, batch_first=False) if run is fusion else run(tokens)
            after = torch.rand(())  # the same number of draws
        results.append((out, after, torch.autograd.grad((out * weights).sum(), inputs)))
    (out, after, grads), (ref, ref_after, ref_grads) = results
    assert out.grad_fn.name() == "_AttentionHeadBackward"
    assert ref.grad_fn.name() != out.grad_fn.name()
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    assert after == ref_after
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got, want)
    if training:  # dropout did act: the eval-mode logits differ
        with torch.no_grad():
            assert not torch.allclose(fusion.eval()(tokens, None, False), out)


def test_attention_head_node_gradcheck():
    fusion = _attention_head(0.0, 2)
    tokens = torch.randn(3, 4, 8, dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in fusion.named_parameters()]

    def head(tokens, *params):
        return torch.func.functional_call(
            fusion, dict(zip(names, params)), (tokens, None, False)
        )

    assert torch.autograd.gradcheck(head, (tokens, *fusion.parameters()))
    # its backward is not differentiable: a second derivative raises
    out = head(tokens, *fusion.parameters())
    (grad,) = torch.autograd.grad(out.sum(), tokens, create_graph=True)
    with pytest.raises(RuntimeError):
        grad.sum().backward()


def test_attention_head_under_vmap_uses_the_modules():
    """Inside ``torch.func.vmap`` (the selector's fine-tuning engine) the
    modules' path runs; the result is the loop over copies."""
    fusion = _attention_head(0.0, 1, torch.float32).eval()
    names = [name for name, _ in fusion.named_parameters()]
    params = {n: torch.stack([p, 1.1 * p]) for n, p in fusion.named_parameters()}
    tokens = torch.randn(2, 5, 3, 8)  # (copies, batch, M, embed)

    def head(p, tokens):
        return torch.func.functional_call(fusion, p, (tokens, None))

    out = torch.func.vmap(head)(params, tokens)
    for i in range(2):
        copy_params = {n: params[n][i] for n in names}
        torch.testing.assert_close(out[i], head(copy_params, tokens[i]))


def test_dropout_masks_in_one_draw_are_successive_dropout_masks():
    shapes = [(3, 5), (7,), (2, 2, 3)]
    like = torch.ones(())
    with torch.random.fork_rng():
        torch.manual_seed(0)
        masks = _dropout_masks(shapes, 0.4, like)
        torch.manual_seed(0)
        expected = [dropout(torch.ones(shape), 0.4) for shape in shapes]
    for mask, want in zip(masks, expected):
        torch.testing.assert_close(mask, want, rtol=0, atol=0)
    assert _dropout_masks(shapes, 0.0, like) == [None] * 3


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 1 / 3, 1e-4, 1 - 1e-4])
def test_keep_mask_is_where_below_the_threshold_for_every_16_bit_draw(rate):
    """Bit for bit (no -0.0) the mask ``where`` would give, on all 2**16 values."""
    draws = torch.arange(-(2**15), 2**15, dtype=torch.int32).to(torch.int16)
    keep = round((1 - rate) * 65536)
    expected = torch.where(draws < keep - 32768, 65536 / keep, 0.0)
    got = _keep_mask(draws, keep)
    assert got.dtype == expected.dtype
    assert torch.equal(got.view(torch.int32), expected.view(torch.int32))


def test_attention_fusion_takes_batch_first_or_token_major_embeddings():
    fusion = AttentionFusion(3, 8, 16, 4, 0.0, 2, 1).eval()
    embedded = torch.randn(5, 3, 8)
    present = torch.ones(5, 3, dtype=torch.bool)
    token_major = fusion(embedded.transpose(0, 1), present, batch_first=False)
    torch.testing.assert_close(fusion(embedded, present), token_major)


def test_dropout_rate_scale_and_gradient():
    x = torch.ones(400, 250, requires_grad=True)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        y = dropout(x, 0.3)
    assert abs((y == 0).float().mean().item() - 0.3) < 0.01
    assert abs(y.mean().item() - 1.0) < 0.02
    (grad,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(grad, y.detach())
    assert dropout(x, 0.3, training=False) is x and dropout(x, 0.0) is x


def test_drop_modalities_never_hides_every_observed_modality():
    present = torch.rand((2000, 3), generator=torch.Generator().manual_seed(0)) < 0.7
    present[:, 0] |= ~present.any(dim=1)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        kept = drop_modalities(present, 0.9)
    assert kept.any(dim=1).all()
    assert not (kept & ~present).any()  # only observed modalities are kept
    assert kept.sum() < 0.5 * present.sum()  # and many were hidden


def test_modality_dropout_only_in_training_mode():
    clf = MultimodalNetClassifier(
        modalities={"a": [0, 1], "b": [2, 3]}, modality_dropout=0.99
    )
    clf.modalities_ = {"a": np.array([0, 1]), "b": np.array([2, 3])}
    module = clf._module(2)  # the estimator holds the net's defaults
    x = torch.randn(50, 4)
    mask = torch.ones(50, 2, dtype=torch.bool)
    module.eval()
    with torch.no_grad():
        torch.testing.assert_close(module(x, mask), module(x, mask))


def test_modality_dropout_makes_masked_subsets_usable():
    X, y = make_data(300)
    clf = MultimodalNetClassifier(modalities=MODALITIES, modality_dropout=0.5, **FAST)
    clf.fit(X, y)
    only_c = hide_modalities(X, clf.modalities_, [True, True, False])
    assert clf.score(only_c, y) > 0.6


# -------------------------------------------------------------- randomness
@pytest.mark.parametrize("fusion", ["concat", "attention", "moe"])
def test_same_seed_same_probabilities_bit_for_bit(fusion):
    X, y = make_data(120)
    X[:30, 3:5] = np.nan
    params = dict(
        modalities=MODALITIES,
        fusion=fusion,
        modality_dropout=0.3,
        dropout=0.2,
        max_epochs=4,
        random_state=3,
    )
    p1 = MultimodalNetClassifier(**params).fit(X, y).predict_proba(X)
    p2 = MultimodalNetClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    p3 = MultimodalNetClassifier(**{**params, "random_state": 4}).fit(X, y)
    assert not np.array_equal(p1, p3.predict_proba(X))


@pytest.mark.parametrize("fusion", ["concat", "attention", "moe"])
def test_drawing_from_a_generator_draws_what_the_seeded_default_one_would(fusion):
    """Inside ``drawing_from`` the forward's dropout and modality dropout
    draw from the given generator, the masks torch's default generator
    seeded alike would give; after it, from torch's default generator."""
    net = MultimodalNet(
        [3, 2, 4], 3, fusion=fusion, encoder_hidden=8, embed_dim=8,
        fusion_hidden=8, dropout=0.4, modality_dropout=0.4, n_heads=2,
        n_layers=1, n_experts=3, top_k=2,
    ).train()  # fmt: skip
    x, mask = torch.randn(64, 9), torch.rand(64, 3) < 0.8
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        expected = net(x, mask)
        torch.manual_seed(9)
        state = torch.get_rng_state()
        gen = torch.Generator().manual_seed(2)
        with drawing_from(net, gen):
            got = net(x, mask)
        assert torch.equal(torch.get_rng_state(), state)  # never drawn from
        torch.manual_seed(2)
        again = net(x, mask)  # torch's default generator again
        other = net(x, mask)  # further draws: other masks
    assert torch.equal(got, expected) and torch.equal(again, expected)
    assert not torch.equal(other, expected)


def test_fit_leaves_global_random_states_alone():
    X, y = make_data(80)
    torch_state = torch.random.get_rng_state()
    np_state = np.random.get_state()
    clf = MultimodalNetClassifier(modality_dropout=0.3, max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]


# ---------------------------------------------------- training and history
def test_early_stopping_restores_best_epoch():
    X, y = make_data(200)
    clf = MultimodalNetClassifier(max_epochs=200, patience=3, lr=0.05, random_state=0)
    clf.fit(X, y)
    assert clf.n_iter_ < 200
    losses = [row["valid_loss"] for row in clf.history_]
    assert clf.best_epoch_ == int(np.argmin(losses)) + 1
    assert clf.n_iter_ == clf.best_epoch_ + 3
    # the weights kept are the best epoch's: its validation loss, recomputed
    seed = seed_streams(0, "split", "torch")["split"]
    _, valid = clf._split(np.unique(y, return_inverse=True)[1], seed)
    proba = clf.predict_proba(X[valid])[np.arange(valid.size), y[valid]]
    assert -np.log(proba).mean() == pytest.approx(min(losses), rel=1e-5)


def test_validation_split_is_stratified():
    X, y = make_data(200)
    clf = MultimodalNetClassifier(max_epochs=1, validation_fraction=0.2, random_state=0)
    clf.fit(X, y)
    train, valid = clf._split(np.unique(y, return_inverse=True)[1], 0)
    assert valid.size == 40 and np.intersect1d(train, valid).size == 0
    np.testing.assert_allclose(
        np.bincount(y[valid]) / valid.size, np.bincount(y) / y.size, atol=0.02
    )


def test_no_validation_runs_every_epoch():
    X, y = make_data(60)
    clf = MultimodalNetClassifier(max_epochs=3, validation_fraction=0.0).fit(X, y)
    assert clf.n_iter_ == 3 and "valid_loss" not in clf.history_[-1]


def test_predict_runs_in_eval_mode_after_training_steps():
    # The last batch of a fit without validation is a training step: predict
    # must still switch dropout off (the train/eval mode is set on change).
    X, y = make_data()
    clf = MultimodalNetClassifier(
        modalities=MODALITIES, dropout=0.9, validation_fraction=0, **FAST
    ).fit(X, y)
    assert clf.net_.module_.training
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    assert not clf.net_.module_.training
    assert not any(m.training for m in clf.net_.module_.modules())


def test_fast_configuration_learns_on_300_rows():
    """The cheap setting other components use (max_epochs=20) is not useless."""
    X, y = make_data(300)
    clf = MultimodalNetClassifier(modalities=MODALITIES, max_epochs=20, random_state=0)
    clf.fit(X, y)
    assert len(clf.history_) == clf.n_iter_ <= 20
    assert clf.score(X, y) > 0.8


# ----------------------------------------------------------------- inputs
def test_string_labels_and_pandas_with_named_modalities():
    X, y = make_data()
    labels = np.array(["low", "mid", "high"])[y]
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(9)])
    mods = {"a": ["f0", "f1", "f2"], "rest": ["f5", "f6", "f7", "f8"]}
    clf = MultimodalNetClassifier(modalities=mods, **FAST).fit(df, labels)
    assert set(clf.classes_) == {"low", "mid", "high"}
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    assert clf.score(df, labels) > 0.8
    assert set(clf.predict(df)) <= set(clf.classes_)


def test_restricted_modalities_work_on_selected_columns():
    """What ModalitySelector does: clone with a subset, fit on X[:, columns]."""
    X, y = make_data()
    base = MultimodalNetClassifier(modalities=MODALITIES, **FAST).fit(X, y)
    columns, sub = restrict_modalities(base.modalities_, ["c", "a"])
    clf = clone(base).set_params(modalities=sub).fit(X[:, columns], y)
    assert list(clf.modalities_) == ["c", "a"]
    assert clf.score(X[:, columns], y) > 0.8
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(9)])
    columns, sub = restrict_modalities(base.modalities_, ["a"], df.columns)
    clf = clone(base).set_params(modalities=sub).fit(df.iloc[:, columns], y)
    assert clf.n_features_in_ == 3


def test_columns_outside_modalities_are_ignored():
    X, y = make_data(100)
    clf = MultimodalNetClassifier(modalities={"a": [0, 1]}, max_epochs=2).fit(X, y)
    X2 = X.copy()
    X2[:, 5:] = 123.0
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X2))


# ------------------------------------------------------------- bad inputs
def test_wrong_number_of_columns_at_predict():
    X, y = make_data(60)
    clf = MultimodalNetClassifier(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 8 features"):
        clf.predict(X[:, :8])


def test_row_with_every_modality_missing():
    X, y = make_data(120)
    X_bad = X.copy()
    X_bad[[4, 7], :] = np.nan
    with pytest.raises(ModalityError, match=r"Rows \[4, 7\] have every modality"):
        MultimodalNetClassifier(modalities=MODALITIES, max_epochs=1).fit(X_bad, y)
    clf = MultimodalNetClassifier(modalities=MODALITIES, max_epochs=1).fit(X, y)
    with pytest.raises(ModalityError, match="all_missing='prior'"):
        clf.predict(X_bad)
    clf = MultimodalNetClassifier(
        modalities=MODALITIES, max_epochs=1, all_missing="prior"
    ).fit(X_bad, y)
    proba = clf.predict_proba(X_bad)
    np.testing.assert_allclose(proba[4], np.bincount(y) / y.size)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_single_class():
    X, _ = make_data(30)
    with pytest.raises(ValueError, match="at least 2 classes"):
        MultimodalNetClassifier().fit(X, np.zeros(30))


def test_partly_missing_modality_and_inf():
    X, y = make_data(60)
    X_partial = X.copy()
    X_partial[3, 0] = np.nan
    with pytest.raises(ModalityError, match="Modality `a` is partly missing"):
        MultimodalNetClassifier(modalities=MODALITIES, max_epochs=1).fit(X_partial, y)
    X_inf = X.copy()
    X_inf[3, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        MultimodalNetClassifier(modalities=MODALITIES, max_epochs=1).fit(X_inf, y)


def test_never_observed_modality_warns():
    X, y = make_data(60)
    X[:, 3:5] = np.nan
    with pytest.warns(UserWarning, match=r"Modalities \['b'\] are never observed"):
        MultimodalNetClassifier(modalities=MODALITIES, max_epochs=1).fit(X, y)


def test_attention_heads_must_divide_embedding():
    X, y = make_data(40)
    clf = MultimodalNetClassifier(fusion="attention", embed_dim=10, n_heads=4)
    with pytest.raises(ValueError, match="divisible by `n_heads`"):
        clf.fit(X, y)


def test_cuda_requested_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = make_data(40)
    with pytest.raises(ValueError, match="no CUDA device"):
        MultimodalNetClassifier(device="cuda", max_epochs=1).fit(X, y)
    clf = MultimodalNetClassifier(device="auto", max_epochs=1).fit(X, y)
    assert clf.device_ == "cpu"


# -------------------------------------------------------- persistence
def test_pickle_and_joblib_round_trip(tmp_path):
    X, y = make_data(100)
    clf = MultimodalNetClassifier(
        modalities=MODALITIES, fusion="moe", max_epochs=3, random_state=0
    ).fit(X, y)
    expected = clf.predict_proba(X)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "clf.joblib").predict_proba(X), expected
    )
    clone(clf)  # unfitted copy with the same parameters


def test_cuda_fitted_net_is_pickled_on_cpu():
    """__getstate__ moves a non-CPU net to the CPU without touching the original.

    A CPU fit stands in for a CUDA one: the net's device is relabelled, which is
    all the CPU conversion looks at.
    """
    X, y = make_data(100)
    clf = MultimodalNetClassifier(max_epochs=2, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"
    clf.device_ = "cuda"
    state = clf.__getstate__()
    # Weights as CPU arrays (no torch object in the state: see
    # tests/test_persistence.py for a mocked CUDA module).
    assert state["device_"] == "cpu"
    assert all(isinstance(v, np.ndarray) for v in state["net_"]["state_dict"].values())
    assert clf.net_.device == "cuda"  # the live estimator is left alone
    buffer = io.BytesIO()
    pickle.dump(clf, buffer)
    buffer.seek(0)
    restored = pickle.load(buffer)
    assert restored.net_.device == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


def test_verbose_progress_bar(capsys):
    X, y = make_data(60)
    clf = MultimodalNetClassifier(max_epochs=3, verbose=1).fit(X, y)
    assert "[MultimodalNetClassifier] epochs" in capsys.readouterr().err
    pickle.loads(pickle.dumps(clf)).predict(X)  # the bar's callback pickles
    MultimodalNetClassifier(max_epochs=2, verbose=2).fit(X, y)
    assert "valid_loss" in capsys.readouterr().out
