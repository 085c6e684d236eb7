"""Torch modules of :class:`MultimodalNetClassifier`.

The network reads one float tensor ``x`` (standardized modality columns side
by side, missing blocks set to 0) and one boolean tensor ``mask`` (which
modalities are observed in each row). Every modality has its own MLP encoder;
layers of equal shape across modalities or experts run as one batched matmul
(:class:`GroupedLinear`).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["GroupedLinear", "ModalityEncoders", "MultimodalNet", "drop_modalities"]


class GroupedLinear(nn.Module):
    """``M`` independent linear maps, one per group, as one batched matmul.

    Parameters
    ----------
    in_sizes : list of int
        Number of input features of each group. Inputs are zero-padded to
        ``max(in_sizes)``; padded weights stay multiplied by zeros.
    out_features : int
        Output size, shared by every group.
    """

    def __init__(self, in_sizes, out_features):
        super().__init__()
        n_groups, width = len(in_sizes), max(in_sizes)
        self.in_sizes = list(in_sizes)
        self.weight = nn.Parameter(torch.zeros(n_groups, width, out_features))
        self.bias = nn.Parameter(torch.zeros(n_groups, 1, out_features))
        self.reset_parameters()

    def reset_parameters(self):
        # Same scale as nn.Linear's default, with each group's own fan-in.
        with torch.no_grad():
            self.weight.zero_()
            for k, size in enumerate(self.in_sizes):
                bound = 1.0 / math.sqrt(size)
                self.weight[k, :size].uniform_(-bound, bound)
                self.bias[k].uniform_(-bound, bound)

    def forward(self, x):
        """``x``: (n_groups, batch, width) -> (n_groups, batch, out_features)."""
        return torch.baddbmm(self.bias, x, self.weight)


class ModalityEncoders(nn.Module):
    """One two-layer MLP per modality, and a learned "missing" embedding each.

    The input holds the modalities' columns side by side, modality after
    modality, in the order of ``sizes``. The first layers run on column
    slices (views, no copy); the second layers run as one batched matmul.

    Parameters
    ----------
    sizes : list of int
        Number of columns of each modality.
    hidden : int
        Hidden width of every encoder.
    embed_dim : int
        Size of each modality embedding.

    Notes
    -----
    There is no dropout inside the encoders: drawing a mask over every
    modality's hidden units cost more than all the matmuls of a step on CPU,
    without a measurable accuracy gain (weight decay, early stopping and
    ``modality_dropout`` regularize them). The fusion heads use dropout.
    """

    def __init__(self, sizes, hidden, embed_dim):
        super().__init__()
        self.sizes = list(sizes)
        self.hidden = nn.ModuleList(nn.Linear(size, hidden) for size in sizes)
        self.output = GroupedLinear([hidden] * len(sizes), embed_dim)
        self.missing = nn.Parameter(torch.zeros(len(sizes), embed_dim))

    def forward(self, x, present):
        """``x`` (batch, sum(sizes)), ``present`` (batch, M) -> (batch, M, embed)."""
        blocks = x.split(self.sizes, dim=1)
        h = torch.stack([layer(b) for layer, b in zip(self.hidden, blocks)])
        h = F.relu(h)  # (M, batch, hidden)
        embedded = self.output(h).transpose(0, 1)
        return torch.where(present.unsqueeze(-1), embedded, self.missing)


def drop_modalities(present, rate):
    """Hide each observed modality with probability ``rate``.

    A row never loses all its observed modalities: where every observed one
    was drawn to be hidden, one of them, picked at random, is kept. Draws use
    torch's default generator, which the caller seeds.
    """
    drop = torch.rand(present.shape, device=present.device) < rate
    kept = present & ~drop
    emptied = present.any(dim=1) & ~kept.any(dim=1)
    score = torch.rand(present.shape, device=present.device) * present
    rescue = F.one_hot(score.argmax(dim=1), present.shape[1]).bool()
    return kept | (rescue & emptied.unsqueeze(1))


class ConcatFusion(nn.Module):
    """Late fusion: concatenated modality embeddings through an MLP head."""

    def __init__(self, n_modalities, embed_dim, hidden, n_classes, dropout):
        super().__init__()
        self.head = nn.Sequential(
            nn.Linear(n_modalities * embed_dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, embedded, present):
        return self.head(embedded.flatten(1))


class AttentionFusion(nn.Module):
    """Modality embeddings as tokens through a small transformer encoder.

    A learned modality-type embedding is added to each token. Missing
    modalities enter as their learned "missing" embedding (not masked out of
    attention), so absence itself is information the tokens can attend to and
    a row never has zero keys. Tokens are mean-pooled.
    """

    def __init__(
        self, n_modalities, embed_dim, hidden, n_classes, dropout, n_heads, n_layers
    ):
        super().__init__()
        self.type_embedding = nn.Parameter(torch.randn(n_modalities, embed_dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            embed_dim,
            n_heads,
            dim_feedforward=hidden,
            dropout=dropout,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, n_layers, enable_nested_tensor=False
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.classify = nn.Linear(embed_dim, n_classes)

    def forward(self, embedded, present):
        tokens = self.encoder(embedded + self.type_embedding)
        return self.classify(self.norm(tokens.mean(dim=1)))


class MoEFusion(nn.Module):
    """Mixture of expert heads, routed by the presence mask (Flex-MoE spirit).

    The router sees which modalities are present next to the embeddings, so
    rows with different modality combinations can be sent to different
    experts. Each expert is an MLP head over the concatenated embeddings; the
    ``top_k`` best-scored experts of a row are mixed with softmax weights.
    All experts are computed densely in one batched product (a handful of
    small experts is cheaper that way than gathering rows per expert).
    """

    def __init__(
        self, n_modalities, embed_dim, hidden, n_classes, dropout, n_experts, top_k
    ):
        super().__init__()
        d_in = n_modalities * embed_dim
        self.top_k = min(top_k, n_experts)
        self.router = nn.Linear(n_modalities + d_in, n_experts)
        self.hidden = GroupedLinear([d_in] * n_experts, hidden)
        self.output = GroupedLinear([hidden] * n_experts, n_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, embedded, present):
        z = embedded.flatten(1)
        logits = self.router(torch.cat([present.to(z.dtype), z], dim=1))
        top, idx = logits.topk(self.top_k, dim=1)
        gates = torch.zeros_like(logits).scatter(1, idx, torch.softmax(top, dim=1))
        n_experts = logits.shape[1]
        h = self.dropout(F.relu(self.hidden(z.expand(n_experts, -1, -1))))
        out = self.output(h)  # (n_experts, batch, n_classes)
        return torch.einsum("be,ebc->bc", gates, out)


class MultimodalNet(nn.Module):
    """Encoders, modality dropout and a fusion head; returns class logits.

    ``forward(x, mask)`` takes the keys of the dict skorch passes in. Every
    setting is required: the defaults live in ``MultimodalNetClassifier``.
    """

    def __init__(
        self,
        sizes,
        n_classes,
        *,
        fusion,
        encoder_hidden,
        embed_dim,
        fusion_hidden,
        dropout,
        modality_dropout,
        n_heads,
        n_layers,
        n_experts,
        top_k,
    ):
        super().__init__()
        m = len(sizes)
        self.modality_dropout = modality_dropout
        self.encoders = ModalityEncoders(sizes, encoder_hidden, embed_dim)
        if fusion == "concat":
            self.fusion = ConcatFusion(m, embed_dim, fusion_hidden, n_classes, dropout)
        elif fusion == "attention":
            self.fusion = AttentionFusion(
                m, embed_dim, fusion_hidden, n_classes, dropout, n_heads, n_layers
            )
        elif fusion == "moe":
            self.fusion = MoEFusion(
                m, embed_dim, fusion_hidden, n_classes, dropout, n_experts, top_k
            )
        else:
            raise ValueError(f"Unknown fusion {fusion!r}.")

    def forward(self, x, mask):
        present = mask.bool()
        if self.training and self.modality_dropout > 0:
            present = drop_modalities(present, self.modality_dropout)
        return self.fusion(self.encoders(x, present), present)
