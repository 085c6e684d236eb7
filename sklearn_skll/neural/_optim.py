"""AdamW with torch's fused kernel, without ``torch.optim.Optimizer.__init__``.

Constructing a ``torch.optim.Optimizer`` imports ``torch._dynamo`` (its
methods are wrapped by ``torch._disable_dynamo``), a one-time cost of about
1.5 s: most of a first small fit. :class:`FusedAdamW` is a
``torch.optim.Optimizer`` (so learning-rate schedulers, skorch and gradient
clipping take it) that never runs ``Optimizer.__init__`` nor any wrapped
method: it keeps the same parameter groups and per-parameter state as
``torch.optim.AdamW(fused=True)`` and runs the same update as its
functional form (``torch.optim.adamw.adamw`` with ``fused=True``): the step
counters incremented, then one fused kernel per device and dtype, called
directly through :func:`sklearn_skll._internals.adamw_update` (the
functional form's Python checks cost about as much as the kernel on a small
net). Training with it gives bit-identical weights.
"""

import torch

from .._internals import adamw_update, fused_adamw_devices

__all__ = ["FusedAdamW"]


class FusedAdamW(torch.optim.Optimizer):
    """``torch.optim.AdamW(..., fused=True)`` for the package's training loops.

    The update, the parameter groups (``param_groups``, with AdamW's
    defaults), the per-parameter state (``step`` as a float32 scalar tensor
    on the parameter's device, ``exp_avg``, ``exp_avg_sq``) and the
    ``state_dict`` layout are torch's. Not supported: ``amsgrad``,
    ``maximize``, ``foreach``, ``capturable``, ``differentiable``, gradient
    scaling and step hooks. ``torch.optim.lr_scheduler`` schedulers work:
    they change ``param_groups[i]["lr"]``, which every step reads.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters, or parameter groups (dicts with a ``"params"`` entry and
        optional ``lr``, ``betas``, ``eps``, ``weight_decay``).
    lr, betas, eps, weight_decay : float
        As in ``torch.optim.AdamW``.
    fused : bool, default=True
        Accepted for compatibility with ``torch.optim.AdamW``; must be true.
    """

    # Optimizer.__init__ is not called on purpose (see the module docstring).
    def __init__(  # noqa: PLW0231
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        *,
        fused=True,
    ):
        if not fused:
            raise ValueError(
                f"`fused` must be True: this optimizer runs torch's fused AdamW "
                f"kernel only. Got fused={fused!r} instead."
            )
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            if not value >= 0.0:
                raise ValueError(f"`{name}` must be >= 0. Got {value!r} instead.")
        if not all(0.0 <= beta < 1.0 for beta in betas):
            raise ValueError(f"`betas` must lie in [0, 1). Got {betas!r} instead.")
        self.defaults = {
            "lr": lr,
            "betas": tuple(float(beta) for beta in betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": False,
            "maximize": False,
            "foreach": None,
            "capturable": False,
            "differentiable": False,
            "fused": True,
            "decoupled_weight_decay": True,
        }
        self.state = {}
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("`params` is an empty list. Got [] instead.")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``"params"``) with the defaults."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, torch.Tensor) else list(params)
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        devices = fused_adamw_devices()
        for p in group["params"]:
            if not p.is_floating_point() or (
                devices is not None and p.device.type not in devices
            ):
                raise ValueError(
                    "The fused AdamW kernel needs floating point parameters on "
                    f"one of {devices or 'its devices'}. Got a {p.dtype} "
                    f"parameter on {p.device} instead."
                )
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients (to ``None`` by default), as torch does."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure=None):
        """One AdamW step on every parameter with a gradient.

        Parameters
        ----------
        closure : callable, default=None
            Re-evaluates the model and returns the loss (run with gradients on).

        Returns
        -------
        loss : Tensor or None
            What ``closure`` returned.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group):
        # What ``torch.optim.adamw.adamw(..., fused=True)`` runs (tensors
        # grouped by device and dtype, then one update per group), without
        # its per-call Python checks.
        lists = {}
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if grad.is_sparse:
                raise RuntimeError("AdamW does not support sparse gradients.")
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {
                    "step": torch.zeros((), dtype=torch.float32, device=p.device),
                    "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                    "exp_avg_sq": torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    ),
                }
            params, grads, exp_avgs, exp_avg_sqs, steps = lists.setdefault(
                (p.device, p.dtype), ([], [], [], [], [])
            )
            params.append(p)
            grads.append(grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        beta1, beta2 = group["betas"]
        for params, grads, exp_avgs, exp_avg_sqs, steps in lists.values():
            adamw_update(
                params,
                grads,
                exp_avgs,
                exp_avg_sqs,
                steps,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                weight_decay=group["weight_decay"],
                eps=group["eps"],
            )

    def state_dict(self):
        """The state in ``torch.optim.Optimizer.state_dict``'s layout.

        Parameters are replaced by their position over all groups; the
        state tensors are references, as in torch.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: dict(value)
            for p, value in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state from :meth:`state_dict` or ``torch.optim.AdamW``'s.

        The groups must hold the same numbers of parameters. State tensors
        are copied to their parameter's device (``step`` as float32).
        """
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups) or any(
            len(g["params"]) != len(s["params"])
            for g, s in zip(self.param_groups, saved)
        ):
            raise ValueError(
                "`state_dict` has parameter groups of other sizes than this "
                f"optimizer's. Got {[len(s['params']) for s in saved]} instead of "
                f"{[len(g['params']) for g in self.param_groups]}."
            )
        by_index = {}
        for group, saved_group in zip(self.param_groups, saved):
            by_index.update(zip(saved_group["params"], group["params"]))
        state = {}
        for key, value in state_dict["state"].items():
            p = by_index[int(key)]
            state[p] = {
                name: (
                    tensor.to(device=p.device, dtype=torch.float32, copy=True)
                    if name == "step"
                    else tensor.to(device=p.device, dtype=p.dtype, copy=True)
                )
                for name, tensor in value.items()
            }
        self.state = state
        for group, saved_group in zip(self.param_groups, saved):
            for key, value in saved_group.items():
                if key != "params":
                    group[key] = value

    def __getstate__(self):
        return {
            "defaults": self.defaults,
            "state": self.state,
            "param_groups": self.param_groups,
        }

    def __setstate__(self, state):
        # Not Optimizer.__setstate__: it patches ``step`` with profiling hooks.
        self.__dict__.update(state)

    def __repr__(self):
        group = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        return f"FusedAdamW({', '.join(f'{k}={v!r}' for k, v in group.items())})"
