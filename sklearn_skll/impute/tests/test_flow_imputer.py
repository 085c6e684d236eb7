import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import r2_score

from sklearn_skll.exceptions import ModalityError
from sklearn_skll.impute import FlowImputer
from sklearn_skll.impute._flows import AffineCoupling, CouplingFlow

FAST = dict(latent_dim=4, n_flows=2, hidden_dim=8, max_epochs=2, random_state=0)
MODS = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}


def _data(n=200, seed=0):
    """Three modalities driven by one shared factor, labels from its sign."""
    rng = np.random.RandomState(seed)
    t = rng.normal(size=(n, 2))
    X = np.hstack(
        [
            t @ rng.normal(size=(2, 3)),
            np.tanh(t @ rng.normal(size=(2, 2))),
            t @ rng.normal(size=(2, 4)),
        ]
    )
    X += 0.05 * rng.normal(size=X.shape)
    return X, (t[:, 0] > 0).astype(int)


def _hide(X, cols, rows):
    X = X.copy()
    X[np.ix_(rows, cols)] = np.nan
    return X


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def fitted(one_torch_thread):
    X, y = _data()
    imp = FlowImputer(modalities=MODS, max_epochs=60, random_state=0)
    return imp.fit(X[:150], y[:150]), X[150:]


# ------------------------------------------------------------------ flows
@pytest.mark.parametrize("dim", [2, 5, 6])
def test_coupling_flow_inverts_and_logdet_matches_jacobian(dim):
    torch.manual_seed(0)
    flow = CouplingFlow(dim, n_flows=4, hidden_dim=8).double()
    for p in flow.parameters():  # leave the zero initialisation
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(3, dim, dtype=torch.float64)
    z, logdet = flow(x)
    torch.testing.assert_close(flow.inverse(z), x)
    for row in range(3):
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[row])
        torch.testing.assert_close(logdet[row], torch.linalg.slogdet(jac)[1])


@pytest.mark.parametrize("dim", [2, 5, 6])
def test_every_dimension_is_transformed(dim):
    flow = CouplingFlow(dim, n_flows=2, hidden_dim=8).double()
    covered = set()
    for layer in flow.layers:
        covered.update(layer.transformed_dims())
    assert covered == set(range(dim))
    # Numerically: with random weights every output moves with another input.
    for p in flow.parameters():
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(dim, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x)
    off_diagonal = (jac.abs() > 1e-12) & ~torch.eye(dim, dtype=torch.bool)
    assert off_diagonal.any(dim=1).all()


def test_fresh_coupling_is_fixed_contraction():
    layer = AffineCoupling(4, 8, transform_first=True)
    x = torch.randn(5, 4)
    z, logdet = layer(x)
    scale = torch.sigmoid(torch.tensor(2.0))
    torch.testing.assert_close(z[:, :2], x[:, :2] * scale)
    torch.testing.assert_close(z[:, 2:], x[:, 2:])
    torch.testing.assert_close(logdet, torch.full((5,), 2 * float(torch.log(scale))))


# ----------------------------------------------------------- behaviour
def test_generates_hidden_modality_accurately(fitted):
    imp, X = fitted
    for name, cols in MODS.items():
        out = imp.transform(_hide(X, cols, np.arange(len(X))))
        assert r2_score(X[:, cols], out[:, cols]) > 0.6, name


def test_observed_values_unchanged_and_complete_rows_pass_through(fitted):
    imp, X = fitted
    rng = np.random.RandomState(1)
    hidden = rng.rand(len(X), 3) < 0.4
    hidden[np.arange(len(X)), rng.randint(3, size=len(X))] = False
    hidden[:5] = False  # complete rows
    X_in = X.copy()
    for k, cols in enumerate(MODS.values()):
        X_in[np.ix_(hidden[:, k], cols)] = np.nan
    X_before = X_in.copy()
    out = imp.transform(X_in)
    assert np.array_equal(X_in, X_before, equal_nan=True)  # input untouched
    observed = ~np.isnan(X_in)
    assert np.array_equal(out[observed], X_in[observed])
    assert np.isfinite(out).all()
    assert np.array_equal(out[:5], X[:5])


def test_fusion_weights_are_learned_and_transfer_measured(fitted):
    imp, _ = fitted
    m = len(MODS)
    off = ~np.eye(m, dtype=bool)
    assert np.isfinite(imp.transfer_mse_[off]).all()
    assert np.isnan(np.diag(imp.transfer_mse_)).all()
    learned = torch.exp(imp.module_.fusion_logits.detach()).double().numpy()
    np.testing.assert_allclose(imp.fusion_weights_[off], learned[off])
    assert not np.allclose(imp.fusion_weights_[off], 1.0)  # moved from the start
    assert (imp.latent_residual_std_[off] > 0).all()


def test_fusing_two_sources_beats_the_worse_one(fitted):
    imp, X = fitted
    target = MODS["a"]
    fused = imp.transform(_hide(X, target, np.arange(len(X))))
    singles = []
    for other in ("b", "c"):
        X_one = _hide(X, target + MODS[other], np.arange(len(X)))
        singles.append(r2_score(X[:, target], imp.transform(X_one)[:, target]))
    assert r2_score(X[:, target], fused[:, target]) > min(singles)


def test_transfer_term_is_what_aligns_the_modalities():
    X, y = _data()
    scores = {}
    for weight in (0.0, 1.0):
        imp = FlowImputer(
            modalities=MODS, transfer_weight=weight, max_epochs=40, random_state=0
        )
        imp.fit(X[:150], y[:150])
        out = imp.transform(_hide(X[150:], MODS["c"], np.arange(50)))
        scores[weight] = r2_score(X[150:, 5:], out[:, 5:])
    assert scores[1.0] > scores[0.0] + 0.3


def test_same_seed_same_output_and_no_global_rng_leak():
    X, y = _data(80)
    X_miss = _hide(X, MODS["b"], np.arange(0, 80, 3))
    torch.manual_seed(123)
    np.random.seed(123)
    before = torch.rand(1), np.random.rand()
    torch.manual_seed(123)
    np.random.seed(123)
    out1 = FlowImputer(modalities=MODS, **FAST).fit_transform(X_miss, y)
    after = torch.rand(1), np.random.rand()
    assert torch.equal(before[0], after[0]) and before[1] == after[1]
    out2 = FlowImputer(modalities=MODS, **FAST).fit_transform(X_miss, y)
    assert np.array_equal(out1, out2)
    out3 = FlowImputer(modalities=MODS, **{**FAST, "random_state": 1}).fit_transform(
        X_miss, y
    )
    assert not np.array_equal(out1, out3)


def test_sample_posterior_draws_are_seeded_and_spread(fitted):
    imp, X = fitted
    X_miss = _hide(X, MODS["a"], np.arange(len(X)))
    sampler = clone(imp).set_params(sample_posterior=True)
    sampler.__dict__.update({k: v for k, v in imp.__dict__.items() if k.endswith("_")})
    draw1, draw2 = sampler.transform(X_miss), sampler.transform(X_miss)
    assert np.array_equal(draw1, draw2)
    sampler.set_params(random_state=5)
    draw3 = sampler.transform(X_miss)
    deterministic = imp.transform(X_miss)
    assert not np.array_equal(draw1, draw3)
    assert not np.array_equal(draw1, deterministic)
    assert np.array_equal(draw1[:, 3:], X[:, 3:])


def test_unlabelled_and_single_gaussian():
    X, y = _data(80)
    imp = FlowImputer(modalities=MODS, **FAST).fit(X)
    assert imp.classes_ is None
    assert imp.module_.prior.mean.shape == (1, 4)
    imp = FlowImputer(modalities=MODS, class_conditional=False, **FAST).fit(X, y)
    assert imp.classes_ is None
    imp = FlowImputer(modalities=MODS, **FAST).fit(X, np.where(y, "yes", "no"))
    assert list(imp.classes_) == ["no", "yes"]
    assert imp.module_.prior.mean.shape == (2, 4)


def test_pandas_output_keeps_columns_and_index():
    X, y = _data(60)
    cols = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(_hide(X, [3, 4], [1, 2]), columns=cols, index=np.arange(100, 160))
    mods = {"a": cols[:3], "b": cols[3:5], "c": cols[5:]}
    imp = FlowImputer(modalities=mods, **FAST).set_output(transform="pandas")
    out = imp.fit_transform(df, y)
    assert list(out.columns) == cols
    assert out.index.equals(df.index)
    assert list(imp.get_feature_names_out()) == cols
    assert out.notna().all().all()
    assert out.loc[101, "f0"] == df.loc[101, "f0"]


def test_clone_and_pickle_roundtrip(fitted):
    imp, X = fitted
    X_miss = _hide(X, MODS["c"], np.arange(10))
    restored = pickle.loads(pickle.dumps(imp))
    assert np.array_equal(restored.transform(X_miss), imp.transform(X_miss))
    assert clone(imp).get_params() == imp.get_params()


def test_history_and_early_stopping():
    X, y = _data(120)
    imp = FlowImputer(
        modalities=MODS, lr=0.05, patience=2, max_epochs=200, random_state=0
    )
    imp.fit(X, y)
    assert imp.n_iter_ < 200
    assert imp.n_iter_ == len(imp.history_)
    valid = [h["valid_transfer"] for h in imp.history_]
    assert valid[imp.best_epoch_ - 1] == min(valid)
    assert {"nll_bpd", "recon", "transfer", "train_loss"} <= set(imp.history_[0])


def test_verbose_prints_epochs(capsys):
    X, y = _data(40)
    FlowImputer(modalities=MODS, verbose=2, **FAST).fit(X, y)
    assert "[FlowImputer] epoch 2" in capsys.readouterr().out


# ------------------------------------------------------------ bad input
def test_device_cuda_without_cuda_errors():
    if torch.cuda.is_available():
        pytest.skip("CUDA is available")
    X, y = _data(40)
    with pytest.raises(ValueError, match="device='cuda'"):
        FlowImputer(modalities=MODS, device="cuda", **FAST).fit(X, y)
    assert (
        FlowImputer(modalities=MODS, device="auto", **FAST).fit(X, y).device_ == "cpu"
    )


def test_row_with_everything_missing_errors(fitted):
    imp, X = fitted
    X_bad = X.copy()
    X_bad[3] = np.nan
    with pytest.raises(ModalityError, match=r"Rows \[3\] have every modality missing"):
        imp.transform(X_bad)
    with pytest.raises(ModalityError, match="every modality missing"):
        clone(imp).fit(X_bad)


def test_partly_missing_modality_errors(fitted):
    imp, X = fitted
    X_bad = X.copy()
    X_bad[2, 3] = np.nan
    with pytest.raises(ModalityError, match="Modality `b` is partly missing"):
        imp.transform(X_bad)


def test_infinite_values_error_in_modalities_and_passed_through_columns():
    X, _ = _data(60)
    X = np.hstack([X, np.ones((60, 1))])  # column 9: in no modality
    imp = FlowImputer(modalities=MODS, **FAST).fit(X)
    X_bad = X.copy()
    X_bad[4, 3] = -np.inf
    with pytest.raises(ValueError, match=r"`b` holds infinite values in rows \[4\]"):
        imp.transform(X_bad)
    X_bad = X.copy()
    X_bad[4, 9] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        imp.transform(X_bad)
    X_nan = _hide(X, MODS["a"], [1])
    out = imp.transform(X_nan)
    assert np.isfinite(out).all() and np.array_equal(out[:, 9], X[:, 9])


def test_modality_never_observed_in_fit_errors():
    X, y = _data(40)
    with pytest.raises(ModalityError, match=r"\['c'\] are never observed"):
        FlowImputer(modalities=MODS, **FAST).fit(_hide(X, MODS["c"], np.arange(40)), y)


def test_no_rows_pairing_a_modality_errors():
    X, y = _data(40)
    X_bad = _hide(X, MODS["c"], np.arange(20))
    X_bad = _hide(X_bad, MODS["a"] + MODS["b"], np.arange(20, 40))
    with pytest.raises(
        ModalityError, match="Modality `c` is never observed in the same row"
    ):
        FlowImputer(modalities=MODS, **FAST).fit(X_bad, y)


def test_unpaired_source_cannot_generate_target():
    X, y = _data(60)
    # `a` and `c` never share a row in fit (each pairs with `b` only).
    X_fit = _hide(X, MODS["c"], np.arange(30))
    X_fit = _hide(X_fit, MODS["a"], np.arange(30, 60))
    imp = FlowImputer(modalities=MODS, **FAST).fit(X_fit, y)
    assert np.isnan(imp.transfer_mse_[0, 2])
    X_new = _hide(X[:2], MODS["b"] + MODS["c"], [0, 1])
    with pytest.raises(ModalityError, match=r"Modality `b` cannot|Modality `c` cannot"):
        imp.transform(X_new)
    # `b` can still be generated from `a` and from `c`.
    out = imp.transform(_hide(X[:2], MODS["b"], [0, 1]))
    assert np.isfinite(out).all()


def test_single_modality_cannot_generate():
    X, y = _data(40)
    imp = FlowImputer(modalities=None, **FAST).fit(X, y)
    assert np.array_equal(imp.transform(X), X)
    X_bad = X.copy()
    X_bad[0] = np.nan
    with pytest.raises(ModalityError, match="every modality missing"):
        imp.transform(X_bad)


def test_continuous_target_errors_for_class_prior():
    X, _ = _data(40)
    with pytest.raises(ValueError, match="continuous"):
        FlowImputer(modalities=MODS, **FAST).fit(X, np.linspace(0, 1, 40))
    FlowImputer(modalities=MODS, class_conditional=False, **FAST).fit(
        X, np.linspace(0, 1, 40)
    )


# ------------------------------------------- grouped flows, labels, draws
def test_grouped_flow_is_one_flow_per_group():
    torch.manual_seed(0)
    flow = CouplingFlow(5, n_flows=3, hidden_dim=8, n_groups=3).double()
    for p in flow.parameters():
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    z, logdet = flow(x)
    for k in range(3):
        z_k, logdet_k = flow(x[k], group=k)
        torch.testing.assert_close(z_k, z[k])
        torch.testing.assert_close(logdet_k, logdet[k])
        torch.testing.assert_close(flow.inverse(z_k, group=k), x[k])
    assert not torch.allclose(z[0], flow(x[0], group=1)[0])


@pytest.mark.parametrize("counts", [(4, 3, 4), (6, 0, 2), (1, 5, 0), (0, 0, 3)])
def test_map_groups_matches_each_groups_own_flow(counts):
    # Similar row counts share one padded call, others (or a subset of the
    # groups) run apart: every way gives each group's own flow and inverse.
    torch.manual_seed(0)
    flow = CouplingFlow(5, n_flows=3, hidden_dim=8, n_groups=3).double()
    for p in flow.parameters():
        torch.nn.init.normal_(p, std=0.5)
    xs = {k: torch.randn(n, 5, dtype=torch.float64) for k, n in enumerate(counts) if n}
    before = {k: x.clone() for k, x in xs.items()}
    z = flow.map_groups(xs)
    back = flow.map_groups(z, inverse=True)
    assert sorted(z) == sorted(xs) == sorted(back)
    for k, x in xs.items():
        torch.testing.assert_close(z[k], flow(x, group=k)[0])
        torch.testing.assert_close(back[k], x)
        torch.testing.assert_close(x, before[k], rtol=0, atol=0)  # inputs untouched


def test_label_aware_fit_transform_uses_each_rows_own_class():
    X, y = _data(200)
    X_miss = _hide(X, MODS["b"], np.arange(0, 200, 2))
    params = dict(latent_dim=4, n_flows=2, hidden_dim=16, max_epochs=30, random_state=0)
    imp = FlowImputer(modalities=MODS, **params)
    free = clone(imp).fit(X_miss, y).transform(X_miss)
    aware = imp.fit_transform(X_miss, y)
    # Centres of the class posteriors: means of many draws, right or wrong class.
    right = imp.sample(X_miss, y, n_draws=40).mean(axis=0)
    wrong = imp.sample(X_miss, 1 - y, n_draws=40).mean(axis=0)
    rows = np.arange(0, 200, 2)
    assert np.array_equal(aware[1::2], X[1::2])  # complete rows untouched
    assert np.array_equal(aware[:, MODS["a"]], X[:, MODS["a"]])
    assert not np.allclose(aware[rows], free[rows])
    # The own class helps, the other class hurts.
    r2 = {
        name: r2_score(X[np.ix_(rows, MODS["b"])], out[np.ix_(rows, MODS["b"])])
        for name, out in (("right", right), ("wrong", wrong))
    }
    assert r2["right"] > r2["wrong"]
    # Without labels it is fit(X).transform(X).
    unlabelled = FlowImputer(modalities=MODS, **params)
    assert np.array_equal(
        unlabelled.fit_transform(X_miss),
        clone(unlabelled).fit(X_miss).transform(X_miss),
    )


def test_transform_takes_no_labels_and_pipeline_predicts_label_free():
    import inspect

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    assert list(inspect.signature(FlowImputer.transform).parameters) == ["self", "X"]
    X, y = _data(200)
    X_miss = _hide(X, MODS["c"], np.arange(0, 200, 3))
    pipe = make_pipeline(FlowImputer(modalities=MODS, **FAST), LogisticRegression())
    pipe.fit(X_miss[:150], y[:150])
    imputer, clf = pipe[0], pipe[-1]
    expected = clf.predict(imputer.transform(X_miss[150:]))
    assert np.array_equal(pipe.predict(X_miss[150:]), expected)


def test_sample_draws_are_seeded_spread_and_keep_observed_values(fitted):
    imp, X = fitted
    X_miss = _hide(X, MODS["a"], np.arange(len(X)))
    draws = imp.sample(X_miss, n_draws=3)
    assert draws.shape == (3,) + X.shape
    assert np.array_equal(draws, imp.sample(X_miss, n_draws=3))
    for draw in draws:
        assert np.array_equal(draw[:, 3:], X[:, 3:])
    assert not np.allclose(draws[0, :, :3], draws[1, :, :3])
    # Label-aware draws are drawn closer to the class: smaller spread.
    y = np.zeros(len(X), dtype=int)
    aware = imp.sample(X_miss, y, n_draws=3)
    assert aware[:, :, :3].std(axis=0).mean() < draws[:, :, :3].std(axis=0).mean()
    with pytest.raises(ValueError, match="`n_draws`"):
        imp.sample(X_miss, n_draws=0)
    with pytest.raises(ValueError, match="unseen"):
        imp.sample(X_miss, np.full(len(X), 7), n_draws=1)


def test_flat_adam_steps_equal_per_tensor_adam():
    # The flat Adam must give torch's per-tensor Adam values exactly,
    # including a parameter that never gets a gradient (left unchanged).
    from sklearn_skll.impute._flow_imputer import _FlatAdam
    from sklearn_skll.impute._flows import FlowModule

    def losses(module, x):
        h = torch.stack(
            [c.encode(x[:, : c.encoder[0].in_features]) for c in module.coders]
        )
        z, logdet = module.flow(h)
        rec = module.coders[0].decode(z[0]) - x[:, :5]
        return (z**2).mean() - logdet.mean() + (rec**2).mean()

    torch.manual_seed(0)
    ref = FlowModule([5, 5, 3], latent_dim=4, n_flows=2, hidden_dim=8, n_classes=2)
    new = FlowModule([5, 5, 3], latent_dim=4, n_flows=2, hidden_dim=8, n_classes=2)
    new.load_state_dict(ref.state_dict())
    opt_ref = torch.optim.Adam(ref.parameters(), lr=1e-2, foreach=True)
    opt_new = _FlatAdam(new, lr=1e-2)
    x = torch.randn(16, 5)
    unused = new.fusion_logits.detach().clone()  # never in the loss
    for _ in range(5):
        opt_ref.zero_grad()
        losses(ref, x).backward()
        opt_ref.step()
        opt_new.zero_grad()
        losses(new, x).backward()
        opt_new.step()
    opt_new.release()
    for (name, a), b in zip(ref.state_dict().items(), new.state_dict().values()):
        assert torch.equal(a, b), name
    assert torch.equal(new.fusion_logits, unused)
    assert all(p.grad is None for p in new.parameters())
    assert new.coders[0].encoder[0].weight.untyped_storage().size() == (
        new.coders[0].encoder[0].weight.numel() * 4
    )


def test_flow_on_halves_equals_layer_by_layer():
    # CouplingFlow keeps the two halves apart between layers; the values and
    # gradients must be exactly those of the layers' own forward/inverse.
    torch.manual_seed(0)
    flow = CouplingFlow(5, n_flows=3, hidden_dim=8, n_groups=2)
    for layer in flow.layers:
        torch.nn.init.normal_(layer.net[-1].weight)
    x = torch.randn(2, 7, 5, requires_grad=True)
    z, logdet = flow(x)
    ref, ref_logdet = x, 0
    for layer in flow.layers:
        ref, ld = layer(ref)
        ref_logdet = ref_logdet + ld
    assert torch.equal(z, ref) and torch.equal(logdet, ref_logdet)
    (grad,) = torch.autograd.grad((z.sum() + logdet.sum()), x)
    (ref_grad,) = torch.autograd.grad((ref.sum() + ref_logdet.sum()), x)
    assert torch.equal(grad, ref_grad)
    back = z.detach()
    for layer in reversed(flow.layers):
        back = layer.inverse(back)
    assert torch.equal(flow.inverse(z.detach()), back)
    torch.testing.assert_close(back, x.detach(), atol=1e-5, rtol=1e-5)
