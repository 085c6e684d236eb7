"""Torch modules of :class:`~sklearn_skll.impute.FlowImputer`.

One :class:`ModalityCoder` per modality: a shallow encoder to the common width
``d`` and a decoder back to the modality's columns. The invertible maps ``F_k``
(stacks of affine coupling layers) of all modalities have the same shapes, so
they are held as one :class:`CouplingFlow` with one group per modality: every
layer is a batched matrix product over the modalities instead of one small
product per modality (3-4x fewer kernels per step on small batches).
:class:`ClassGaussianPrior` is the class-conditional Gaussian shared by every
modality (Eq. 5 of the SK-LL paper, the prior of DiCMoR).
"""

import math

import torch
from torch import nn

from .._generators import linear_init_

__all__ = [
    "AffineCoupling",
    "ClassGaussianPrior",
    "CouplingFlow",
    "FlowModule",
    "GroupedLinear",
    "ModalityCoder",
]

#: Shift of the raw scale before the sigmoid, as in Glow and DiCMoR: a fresh
#: (zero-initialised) layer starts at scale sigmoid(2) ~ 0.88.
SCALE_SHIFT = 2.0


class GroupedLinear(nn.Module):
    """``n_groups`` independent linear maps applied to a stack ``(g, n, in)``.

    Initialised as :class:`torch.nn.Linear` (uniform in ``+-1/sqrt(in)``).
    """

    def __init__(self, n_in, n_out, n_groups):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_groups, n_in, n_out))
        self.bias = nn.Parameter(torch.empty(n_groups, 1, n_out))
        self.reset_parameters()

    def reset_parameters(self, generator=None):
        bound = 1 / math.sqrt(self.in_features)
        nn.init.uniform_(self.weight, -bound, bound, generator=generator)
        nn.init.uniform_(self.bias, -bound, bound, generator=generator)

    @property
    def in_features(self):
        return self.weight.shape[1]

    @property
    def out_features(self):
        return self.weight.shape[2]

    def forward(self, x, group=None, columns=None):
        """Map a stack ``(g, n, in)``, or with ``group`` one group's ``(n, in)``.

        ``group`` a list of groups: ``x`` is a stack ``(len(group), n, in)``
        of those groups' rows. ``columns`` (a slice): those output columns
        only, as a contiguous tensor.
        """
        weight, bias = self.weight, self.bias
        if columns is not None:
            weight, bias = weight[..., columns], bias[..., columns]
        if group is None:
            return torch.baddbmm(bias, x, weight)
        if isinstance(group, list):
            return torch.baddbmm(bias[group], x, weight[group])
        return torch.addmm(bias[group], x, weight[group])


class AffineCoupling(nn.Module):
    """Affine coupling layer ``z_b = (x_b + t(x_a)) * s(x_a)``, per group.

    ``x_a`` (the conditioning half) passes unchanged; ``x_b`` is shifted and
    scaled by a small MLP of ``x_a``. The scale is ``sigmoid(raw + 2)``, in
    ``(0, 1)``, as in DiCMoR's coupling layers, so the layer can never blow
    up; the learnable prior scale restores any overall contraction. The last
    linear layer starts at zero, so a fresh layer is a fixed contraction and
    the whole flow starts near a scaled identity.

    Parameters
    ----------
    dim : int
        Width of the input.
    hidden_dim : int
        Width of the coupling MLP.
    transform_first : bool
        If True, transform the first ``ceil(dim / 2)`` coordinates, conditioned
        on the others; else transform the others, conditioned on the first
        ones. :class:`CouplingFlow` alternates it so every coordinate is
        transformed.
    n_groups : int, default=1
        Independent layers (one per modality) applied to a stack of shape
        ``(n_groups, n, dim)``; with one group, ``(n, dim)`` works too.
    """

    def __init__(self, dim, hidden_dim, transform_first, n_groups=1):
        super().__init__()
        if dim < 2:
            raise ValueError(f"A coupling layer needs `dim` >= 2. Got {dim} instead.")
        half = (dim + 1) // 2
        self.half = half
        self.transform_first = transform_first
        n_t = half if transform_first else dim - half
        n_c = dim - n_t
        self.net = nn.Sequential(
            GroupedLinear(n_c, hidden_dim, n_groups),
            nn.ReLU(),
            GroupedLinear(hidden_dim, hidden_dim, n_groups),
            nn.ReLU(),
            GroupedLinear(hidden_dim, 2 * n_t, n_groups),
        )
        self._zero_last()

    def _zero_last(self):
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        for layer in self.net:
            if isinstance(layer, GroupedLinear):
                layer.reset_parameters(generator)
        self._zero_last()

    def _split(self, x):
        first, second = x[..., : self.half], x[..., self.half :]
        return (first, second) if self.transform_first else (second, first)

    def _join(self, transformed, conditioning):
        if self.transform_first:
            return torch.cat([transformed, conditioning], dim=-1)
        return torch.cat([conditioning, transformed], dim=-1)

    def _shift_scale(self, x_a, group):
        if group is None and x_a.dim() == 2:  # one group, rows (n, dim)
            group = 0
        out = x_a
        for layer in self.net:
            out = layer(out, group) if isinstance(layer, GroupedLinear) else layer(out)
        shift, raw = out.chunk(2, dim=-1)
        return shift, torch.sigmoid(raw + SCALE_SHIFT)

    def forward(self, x, group=None):
        """Return ``(z, log|det dz/dx|)`` per row.

        ``x`` is a stack ``(n_groups, n, dim)``, rows ``(n, dim)`` of one
        ``group`` (or of the only group), or with a list ``group`` a stack
        of those groups' rows.
        """
        x_b, x_a = self._split(x)
        shift, scale = self._shift_scale(x_a, group)
        z = self._join((x_b + shift) * scale, x_a)
        return z, torch.log(scale).sum(dim=-1)

    def inverse(self, z, group=None):
        """Invert :meth:`forward`."""
        z_b, z_a = self._split(z)
        shift, scale = self._shift_scale(z_a, group)
        return self._join(z_b / scale - shift, z_a)

    def map_halves(self, halves, group=None, inverse=False):
        """:meth:`forward` or :meth:`inverse` on the halves ``[first, second]``.

        The transformed half is replaced in the list by a new tensor (out of
        place: autograd works), the other passes as it is; returns the
        log-determinant per row (None with ``inverse``). The same values as
        on the joined input, without a concatenation per layer.
        """
        k = 0 if self.transform_first else 1
        x_b, x_a = halves[k], halves[1 - k]
        shift, scale = self._shift_scale(x_a, group)
        if inverse:
            halves[k] = x_b / scale - shift
            return None
        halves[k] = (x_b + shift) * scale
        return torch.log(scale).sum(dim=-1)

    def apply_halves_(self, halves, group=None, inverse=False):
        """:meth:`forward` (``z`` only) or :meth:`inverse`, in place on halves.

        ``halves`` is ``[first, second]``, the two halves of the input as
        contiguous tensors; the transformed one is updated in place. The
        same arithmetic as :meth:`forward` without the log-determinant, the
        concatenation or strided views, for inference (no gradient).
        """
        if group is None and halves[0].dim() == 2:
            group = 0
        k = 0 if self.transform_first else 1
        x_b, x_a = halves[k], halves[1 - k]
        first, _, second, _, last = self.net
        h = second(first(x_a, group).relu_(), group).relu_()
        n_t = x_b.shape[-1]
        shift = last(h, group, columns=slice(0, n_t))
        scale = last(h, group, columns=slice(n_t, None)).add_(SCALE_SHIFT).sigmoid_()
        if inverse:
            x_b.div_(scale).sub_(shift)
        else:
            x_b.add_(shift).mul_(scale)

    def transformed_dims(self):
        """Indices of the coordinates this layer changes."""
        dim = self.net[0].in_features + self.net[-1].out_features // 2
        idx = list(range(dim))
        return idx[: self.half] if self.transform_first else idx[self.half :]


class CouplingFlow(nn.Module):
    """A stack of :class:`AffineCoupling` layers alternating the halves.

    Layer ``k`` transforms the first half when ``k`` is even and the second
    half when ``k`` is odd, so with two layers or more every coordinate is
    transformed (DiCMoR's flow only ever transforms one half). With
    ``n_groups`` groups it is ``n_groups`` independent flows applied to a
    stack of shape ``(n_groups, n, dim)``: group ``k`` is modality ``k``'s
    ``F_k``.
    """

    def __init__(self, dim, n_flows, hidden_dim, n_groups=1):
        super().__init__()
        self.layers = nn.ModuleList(
            AffineCoupling(
                dim, hidden_dim, transform_first=(k % 2 == 0), n_groups=n_groups
            )
            for k in range(n_flows)
        )

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        for layer in self.layers:
            layer.reset_parameters(generator)

    def forward(self, x, group=None):
        """``(z, log|det|)`` of a stack, or of one ``group``'s rows."""
        half = self.layers[0].half
        halves = [x[..., :half], x[..., half:]]
        logdet = x.new_zeros(x.shape[:-1])
        for layer in self.layers:
            logdet = logdet + layer.map_halves(halves, group)
        return torch.cat(halves, dim=-1), logdet

    def inverse(self, z, group=None):
        """Invert :meth:`forward`."""
        half = self.layers[0].half
        halves = [z[..., :half], z[..., half:]]
        for layer in reversed(self.layers):
            layer.map_halves(halves, group, inverse=True)
        return torch.cat(halves, dim=-1)

    @torch.no_grad()
    def map_groups(self, xs, *, inverse=False):
        """Map each group's own rows, with few batched calls (no gradient).

        ``xs`` maps a group to its rows ``(n_k, dim)``. Groups of similar
        row counts are zero-padded to one stack and mapped by one batched
        call (a group joins the stack of the largest remaining group when it
        has at least half its rows, so padding at most doubles the work):
        on small inputs the flow's cost is per call, not per row. The layers
        run in place on copies of the two halves
        (:meth:`AffineCoupling.apply_halves_`).

        Returns
        -------
        dict
            Group -> its mapped rows: ``z`` of :meth:`forward` (no
            log-determinant) or, with ``inverse=True``, :meth:`inverse`.
        """
        order = sorted(xs, key=lambda k: -xs[k].shape[0])
        out = {}
        while order:
            n_max = xs[order[0]].shape[0]
            batch = [k for k in order if 2 * xs[k].shape[0] >= n_max]
            order = order[len(batch) :]
            batch.sort()
            half = self.layers[0].half
            if len(batch) == 1:
                group = batch[0]
                halves = [
                    x.clone(memory_format=torch.contiguous_format)
                    for x in xs[group].split(half, dim=-1)
                ]
            else:
                # All groups in order: the weights as they are, no gather.
                n_groups = self.layers[0].net[0].weight.shape[0]
                group = None if batch == list(range(n_groups)) else batch
                first = xs[batch[0]]
                halves = [
                    first.new_zeros(len(batch), n_max, width)
                    for width in (half, first.shape[-1] - half)
                ]
                for g, k in enumerate(batch):
                    halves[0][g, : xs[k].shape[0]] = xs[k][:, :half]
                    halves[1][g, : xs[k].shape[0]] = xs[k][:, half:]
            layers = reversed(self.layers) if inverse else self.layers
            for layer in layers:
                layer.apply_halves_(halves, group, inverse=inverse)
            mapped = torch.cat(halves, dim=-1)
            if len(batch) == 1:
                out[group] = mapped
            else:
                for g, k in enumerate(batch):
                    out[k] = mapped[g, : xs[k].shape[0]]
        return out


class ClassGaussianPrior(nn.Module):
    """Diagonal Gaussian ``N(mu_c, diag(sigma_c^2))`` per class, shared by modalities.

    One class (a single Gaussian) when there are no labels.
    """

    def __init__(self, n_classes, dim):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(n_classes, dim))
        self.log_std = nn.Parameter(torch.zeros(n_classes, dim))

    def reset_parameters(self, generator=None):
        """Back to the standard Gaussian of ``__init__`` (no draw)."""
        nn.init.zeros_(self.mean)
        nn.init.zeros_(self.log_std)

    def log_prob(self, z, c):
        """Log-density of each row of ``z`` (``(..., n, d)``) under its class ``c``."""
        mean, log_std = self.mean[c], self.log_std[c]
        u = (z - mean) * torch.exp(-log_std)
        return -(0.5 * u**2 + log_std + 0.5 * math.log(2 * math.pi)).sum(dim=-1)


def _mlp(n_in, hidden_dim, n_out):
    return nn.Sequential(
        nn.Linear(n_in, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, n_out)
    )


class ModalityCoder(nn.Module):
    """Encoder and decoder of one modality.

    ``encode`` maps the modality's (standardized) columns to the common width
    ``latent_dim``; ``decode`` maps back to the columns.
    """

    def __init__(self, n_features, latent_dim, hidden_dim):
        super().__init__()
        self.encoder = _mlp(n_features, hidden_dim, latent_dim)
        self.decoder = _mlp(latent_dim, hidden_dim, n_features)

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        for mlp in (self.encoder, self.decoder):
            linear_init_(mlp[0], generator)
            linear_init_(mlp[-1], generator)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)


class FlowModule(nn.Module):
    """All modalities' coders and flows, the shared prior and fusion weights.

    ``coders[k]`` encodes and decodes modality ``k``; group ``k`` of
    ``flow`` is its invertible map ``F_k`` (see :class:`CouplingFlow`).
    ``fusion_logits[i, j]`` is the log-weight of source ``i``'s latent when
    several observed modalities are fused to generate modality ``j``.
    Built on the ``meta`` device and reset from
    ``torch.Generator().manual_seed(s)``, it has the weights of the module
    built after ``torch.manual_seed(s)``
    (:func:`sklearn_skll._generators.build_module`).
    """

    def __init__(self, widths, latent_dim, n_flows, hidden_dim, n_classes):
        super().__init__()
        self.coders = nn.ModuleList(
            ModalityCoder(p, latent_dim, hidden_dim) for p in widths
        )
        self.flow = CouplingFlow(latent_dim, n_flows, hidden_dim, n_groups=len(widths))
        self.prior = ClassGaussianPrior(n_classes, latent_dim)
        self.fusion_logits = nn.Parameter(torch.zeros(len(widths), len(widths)))

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        for coder in self.coders:
            coder.reset_parameters(generator)
        self.flow.reset_parameters(generator)
        self.prior.reset_parameters()
        nn.init.zeros_(self.fusion_logits)

    def latents(self, hs):
        """Stack the encodings ``hs`` (one ``(n, d)`` per modality) and flow them."""
        return self.flow(torch.stack(hs))
