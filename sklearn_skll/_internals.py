"""Every private torch entry point the package calls, in one place.

A private name (a leading underscore, ``torch.ops.aten``) may change or
vanish in any torch release. Each one used here:

- stands in for a public API, named below, because it was measured to pay
  (see "Private kernels" in ``docs/design.rst`` for the policy);
- is used only on a torch whose (major, minor) version lies in
  :data:`TORCH_RANGE` (read and tested against its newest end) and only if
  the name still resolves; otherwise the public fallback of the same
  function here runs: the same arithmetic, slower, and for some equal only
  up to float rounding;
- is listed in :data:`ENTRY_POINTS`, which the package's tests resolve one
  by one, failing with the entry point's name when it is gone.

The package calls no private skorch entry point: the training loop
overrides skorch's public hooks (``fit_loop``, ``get_default_callbacks``,
``notify``) only.
"""

import re

import torch
from torch.nn import functional as F
from torch.optim.adamw import adamw as functional_adamw

__all__ = [
    "ENTRY_POINTS",
    "TORCH_RANGE",
    "adamw_update",
    "fused_adamw_devices",
    "layer_norm_backward",
    "softmax_backward",
    "threshold_backward",
    "torch_in_range",
    "transforms_active",
]

#: Oldest and newest torch (major, minor) on which the private entry points
#: are used: the CPU fused AdamW kernel exists from 2.4 on, and every
#: signature was read and tested on 2.13.
TORCH_RANGE = ((2, 4), (2, 13))

#: Private entry point -> (what calls it, its public fallback).
ENTRY_POINTS = {
    "torch._fused_adamw_": (
        "neural._optim.FusedAdamW.step: one AdamW kernel per device and dtype",
        "torch.optim.adamw.adamw(..., fused=None), the functional form whose "
        "per-call checks cost about as much as the kernel on a small net",
    ),
    "torch._foreach_add_": (
        "neural._optim.FusedAdamW.step: the step counters, one call",
        "Tensor.add_ on each step counter",
    ),
    "torch.utils._foreach_utils._get_fused_kernels_supported_devices": (
        "neural._optim.FusedAdamW: a clear error for an unsupported device",
        "no check (torch's functional form raises its own error)",
    ),
    "torch._C._are_functorch_transforms_active": (
        "neural._modules.AttentionFusion: the one-node training forward "
        "outside torch.func transforms",
        "always the modules' own forward (correct everywhere, slower)",
    ),
    "torch.ops.aten.threshold_backward": (
        "neural._modules: the written-out ReLU backward",
        "Tensor.masked_fill (the same values)",
    ),
    "torch.ops.aten.native_layer_norm_backward": (
        "neural._modules: the written-out LayerNorm backward",
        "torch.autograd.grad through F.layer_norm (equal up to rounding)",
    ),
    "torch.ops.aten._softmax_backward_data": (
        "neural._modules: the written-out softmax backward",
        "y * (g - (g * y).sum(dim)) (equal up to rounding)",
    ),
}


def torch_version(version=None):
    """(major, minor) of ``version`` (default: the installed torch)."""
    match = re.match(r"(\d+)\.(\d+)", version or torch.__version__)
    return int(match[1]), int(match[2])


def torch_in_range(version=None):
    """Whether the private entry points are used with this torch version."""
    low, high = TORCH_RANGE
    return low <= torch_version(version) <= high


def resolve(path):
    """The object at the dotted ``path`` (from ``torch``), or None if gone."""
    names = path.split(".")
    if names[0] != "torch":
        raise ValueError(f"`path` must start with 'torch.'. Got {path!r} instead.")
    obj = torch
    try:
        for name in names[1:]:
            obj = getattr(obj, name)
    except (AttributeError, RuntimeError):  # torch.ops raises either
        return None
    return obj


def _private(path):
    """The entry point when this torch is in range and has it, else None."""
    if path not in ENTRY_POINTS:
        raise KeyError(f"{path} is not listed in ENTRY_POINTS.")
    return resolve(path) if torch_in_range() else None


_FUSED_ADAMW = _private("torch._fused_adamw_")
_FOREACH_ADD = _private("torch._foreach_add_")
_FUSED_DEVICES = _private(
    "torch.utils._foreach_utils._get_fused_kernels_supported_devices"
)
_TRANSFORMS_ACTIVE = _private("torch._C._are_functorch_transforms_active")
_THRESHOLD_BACKWARD = _private("torch.ops.aten.threshold_backward")
_LAYER_NORM_BACKWARD = _private("torch.ops.aten.native_layer_norm_backward")
_SOFTMAX_BACKWARD = _private("torch.ops.aten._softmax_backward_data")


# ------------------------------------------------------------------ AdamW
def fused_adamw_devices():
    """Device types of torch's fused AdamW kernel; None when unknown."""
    return None if _FUSED_DEVICES is None else list(_FUSED_DEVICES())


def adamw_update(
    params, grads, exp_avgs, exp_avg_sqs, steps, *, lr, beta1, beta2, weight_decay, eps
):
    """One AdamW update of tensors of one device and dtype, in place.

    What ``torch.optim.AdamW(fused=True)`` runs: the step counters
    incremented, then torch's fused kernel. The fallback is torch's public
    functional form, which increments the counters itself (with
    ``fused=None`` torch picks its kernel: the same values where it picks
    the fused one).
    """
    if _FUSED_ADAMW is None:
        functional_adamw(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            amsgrad=False,
            beta1=beta1,
            beta2=beta2,
            lr=lr,
            weight_decay=weight_decay,
            eps=eps,
            maximize=False,
        )
        return
    if _FOREACH_ADD is None:
        for step in steps:
            step.add_(1)
    else:
        _FOREACH_ADD(steps, 1)
    _FUSED_ADAMW(
        params,
        grads,
        exp_avgs,
        exp_avg_sqs,
        [],
        steps,
        amsgrad=False,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        weight_decay=weight_decay,
        eps=eps,
        maximize=False,
        grad_scale=None,
        found_inf=None,
    )


# ------------------------------------------------------- torch.func guard
def transforms_active():
    """True inside a ``torch.func`` transform (``vmap``, ``grad``...).

    Without the private flag, True: callers then take their plain autograd
    path, which every transform supports.
    """
    return True if _TRANSFORMS_ACTIVE is None else _TRANSFORMS_ACTIVE()


# -------------------------------------------------- written-out backwards
def threshold_backward(grad, output, threshold):
    """Gradient of ``relu``-like thresholding: ``grad`` where ``output > threshold``."""
    if _THRESHOLD_BACKWARD is None:
        return grad.masked_fill(output <= threshold, 0)
    return _THRESHOLD_BACKWARD(grad, output, threshold)


def softmax_backward(grad, output, dim, dtype):
    """Gradient of ``softmax`` at its output ``output``."""
    if _SOFTMAX_BACKWARD is None:
        return (output * (grad - (grad * output).sum(dim, keepdim=True))).to(dtype)
    return _SOFTMAX_BACKWARD(grad, output, dim, dtype)


def layer_norm_backward(grad, x, shape, mean, rstd, weight, bias, eps):
    """Gradients of ``F.layer_norm(x, shape, weight, bias, eps)``.

    Returns ``(grad_x, grad_weight, grad_bias)``; ``mean`` and ``rstd`` are
    what ``torch.native_layer_norm`` returned with the output. The fallback
    runs the forward again under autograd.
    """
    if _LAYER_NORM_BACKWARD is not None:
        return _LAYER_NORM_BACKWARD(
            grad, x, shape, mean, rstd, weight, bias, [True, True, True]
        )
    with torch.enable_grad():
        inputs = [t.detach().requires_grad_() for t in (x, weight, bias)]
        out = F.layer_norm(inputs[0], shape, inputs[1], inputs[2], eps)
        return torch.autograd.grad(out, inputs, grad)
