"""The private torch entry points: present, guarded, and with working fallbacks."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from sklearn_skll import _internals
from sklearn_skll._internals import ENTRY_POINTS, TORCH_RANGE

#: The module attributes holding the resolved entry points (None: fallback).
SLOTS = (
    "_FUSED_ADAMW",
    "_FOREACH_ADD",
    "_FUSED_DEVICES",
    "_TRANSFORMS_ACTIVE",
    "_THRESHOLD_BACKWARD",
    "_LAYER_NORM_BACKWARD",
    "_SOFTMAX_BACKWARD",
)


def test_every_entry_point_is_resolved_once():
    assert len(SLOTS) == len(ENTRY_POINTS)
    resolved = {getattr(_internals, name) for name in SLOTS}
    assert resolved == {_internals.resolve(path) for path in ENTRY_POINTS}


def test_installed_torch_is_in_the_checked_range():
    low, high = TORCH_RANGE
    assert _internals.torch_in_range(), (
        f"torch {torch.__version__} lies outside the versions whose private "
        f"entry points were checked ({low} to {high}): sklearn_skll now runs "
        f"the public fallbacks of {sorted(ENTRY_POINTS)}. Check each of them "
        "against this torch and widen TORCH_RANGE in sklearn_skll/_internals.py."
    )


@pytest.mark.parametrize("path", sorted(ENTRY_POINTS))
def test_private_entry_point_exists(path):
    caller, fallback = ENTRY_POINTS[path]
    assert _internals.resolve(path) is not None, (
        f"{path} is gone in torch {torch.__version__}: {caller} now runs its "
        f"public fallback ({fallback}). Replace it in sklearn_skll/_internals.py."
    )


def test_version_guard():
    assert _internals.torch_version("2.13.0+cpu") == (2, 13)
    assert _internals.torch_in_range("2.13.1")
    assert not _internals.torch_in_range("2.3.1")
    assert not _internals.torch_in_range("3.0.0")
    assert _internals.resolve("torch.no_such_thing") is None
    assert _internals.resolve("torch.ops.aten.no_such_op") is None
    with pytest.raises(ValueError, match="`path`"):
        _internals.resolve("numpy.zeros")


def _adam_state(seed=0):
    gen = torch.Generator().manual_seed(seed)
    shapes = [(5, 3), (7,), (2, 2, 2)]
    params = [torch.randn(shape, generator=gen) for shape in shapes]
    grads = [torch.randn(shape, generator=gen) for shape in shapes]
    zeros = [torch.zeros(shape) for shape in shapes]
    moments = [z.clone() for z in zeros]
    steps = [torch.zeros(()) for _ in shapes]
    return params, grads, zeros, moments, steps


def _run_adamw(n_steps=4):
    params, grads, exp_avgs, exp_avg_sqs, steps = _adam_state()
    for k in range(n_steps):
        _internals.adamw_update(
            params,
            [g * (k + 1) for g in grads],
            exp_avgs,
            exp_avg_sqs,
            steps,
            lr=0.01,
            beta1=0.9,
            beta2=0.999,
            weight_decay=0.1,
            eps=1e-8,
        )
    return params, exp_avgs, exp_avg_sqs, steps


@pytest.mark.parametrize("missing", ["_FUSED_ADAMW", "_FOREACH_ADD"])
def test_adamw_update_fallback(monkeypatch, missing):
    private = _run_adamw()
    monkeypatch.setattr(_internals, missing, None)
    public = _run_adamw()
    for ours, theirs in zip(private, public):
        for a, b in zip(ours, theirs):
            torch.testing.assert_close(a, b)
    assert all(float(step) == 4 for step in public[3])


def test_fused_devices_fallback_skips_the_check(monkeypatch):
    assert "cpu" in _internals.fused_adamw_devices()
    monkeypatch.setattr(_internals, "_FUSED_DEVICES", None)
    assert _internals.fused_adamw_devices() is None


def test_backward_fallbacks_match_the_private_kernels(monkeypatch):
    gen = torch.Generator().manual_seed(0)
    grad = torch.randn(4, 3, 6, generator=gen)
    output = torch.randn(4, 3, 6, generator=gen)
    probs = torch.softmax(output, dim=2)
    x = torch.randn(4, 3, 6, generator=gen)
    weight, bias = torch.randn(6, generator=gen), torch.randn(6, generator=gen)
    _, mean, rstd = torch.native_layer_norm(x, (6,), weight, bias, 1e-5)

    def run():
        return (
            _internals.threshold_backward(grad, output, 0),
            _internals.softmax_backward(grad, probs, 2, grad.dtype),
            *_internals.layer_norm_backward(
                grad, x, (6,), mean, rstd, weight, bias, 1e-5
            ),
        )

    private = run()
    for name in ("_THRESHOLD_BACKWARD", "_SOFTMAX_BACKWARD", "_LAYER_NORM_BACKWARD"):
        monkeypatch.setattr(_internals, name, None)
    public = run()
    assert torch.equal(private[0], public[0])  # a mask: the same values
    for a, b in zip(private[1:], public[1:]):
        torch.testing.assert_close(a, b)
    # and both are autograd's gradients
    x_ = x.clone().requires_grad_()
    w_, b_ = weight.clone().requires_grad_(), bias.clone().requires_grad_()
    expected = torch.autograd.grad(
        F.layer_norm(x_, (6,), w_, b_, 1e-5), (x_, w_, b_), grad
    )
    for a, b in zip(public[2:], expected):
        torch.testing.assert_close(a, b)


def test_transforms_active(monkeypatch):
    assert not _internals.transforms_active()
    inside = []
    torch.func.vmap(lambda t: inside.append(_internals.transforms_active()) or t)(
        torch.zeros(2, 3)
    )
    assert inside == [True]
    monkeypatch.setattr(_internals, "_TRANSFORMS_ACTIVE", None)
    assert _internals.transforms_active()  # the path every transform supports


@pytest.mark.parametrize("fusion", ["concat", "attention"])
def test_net_trains_on_the_public_fallbacks(monkeypatch, fusion):
    from sklearn_skll.neural import MultimodalNetClassifier

    rng = np.random.RandomState(0)
    y = rng.randint(2, size=120)
    X = rng.normal(size=(120, 6))
    X[:, 0] += 2 * y
    X[:20, 3:] = np.nan
    params = dict(
        modalities={"a": [0, 1, 2], "b": [3, 4, 5]},
        fusion=fusion,
        max_epochs=3,
        random_state=0,
    )
    private = MultimodalNetClassifier(**params).fit(X, y)
    for name in SLOTS:
        monkeypatch.setattr(_internals, name, None)
    public = MultimodalNetClassifier(**params).fit(X, y)
    np.testing.assert_allclose(
        private.predict_proba(X), public.predict_proba(X), atol=1e-4
    )
