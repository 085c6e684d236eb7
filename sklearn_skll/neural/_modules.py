"""Torch modules of :class:`MultimodalNetClassifier`.

The network reads one float tensor ``x`` (standardized modality columns side
by side, missing blocks set to 0) and one boolean tensor ``mask`` (which
modalities are observed in each row). Every modality has its own MLP encoder;
layers of equal shape across modalities or experts run as one batched matmul
(:class:`GroupedLinear`).
"""

import copy
import math
from contextlib import contextmanager

import torch
from torch import nn
from torch.autograd.function import once_differentiable
from torch.nn import functional as F

from .._generators import linear_init_
from .._internals import (
    layer_norm_backward,
    softmax_backward,
    threshold_backward,
    transforms_active,
)

__all__ = [
    "GroupedLinear",
    "ModalityEncoders",
    "MultimodalNet",
    "TransformerLayer",
    "drawing_from",
    "drop_modalities",
]


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

    def reset_parameters(self, generator=None):
        # Same scale as nn.Linear's default, with each group's own fan-in.
        with torch.no_grad():
            self.weight.zero_()
            for k, size in enumerate(self.in_sizes):
                bound = 1.0 / math.sqrt(size)
                self.weight[k, :size].uniform_(-bound, bound, generator=generator)
                self.bias[k].uniform_(-bound, bound, generator=generator)

    def forward(self, x):
        """``x``: (n_groups, batch, width) -> (n_groups, batch, out_features)."""
        return torch.baddbmm(self.bias, x, self.weight)


def dropout(x, p, training=True, generator=None):
    """Inverted dropout whose mask costs a quarter of the random draws.

    ``F.dropout`` draws one random number per element; on a CPU those draws
    cost more than the small matmuls around them. Here one 64-bit draw gives
    four 16-bit uniforms, each compared with the keep threshold. The keep
    probability is ``1 - p`` rounded to a multiple of ``2**-16`` (the kept
    values are scaled by its inverse, so the expectation is unchanged). Draws
    use ``generator``, a generator on ``x``'s device (None: torch's default
    generator).
    """
    mask = _dropout_mask(x, p, training, generator)
    return x if mask is None else x * mask


def _dropout_mask(x, p, training=True, generator=None):
    """The mask :func:`dropout` multiplies ``x`` by; None where it keeps all."""
    return _dropout_masks([x.shape], p, x, generator)[0] if training else None


def _dropout_masks(shapes, p, like, generator=None):
    """:func:`dropout`'s masks for tensors of these shapes, in one draw.

    The same masks as successive :func:`dropout` calls on such tensors
    (each mask uses the next ``ceil(numel / 4)`` 64-bit draws of
    ``generator``), drawn, compared and scaled as one buffer. Returns
    one mask per shape (views of the buffer, of ``like``'s dtype), or Nones
    where dropout keeps every value.
    """
    keep = round((1.0 - p) * 65536)
    if keep == 65536:
        return [None] * len(shapes)
    if keep == 0:
        return [like.new_zeros(shape) for shape in shapes]
    sizes = [math.prod(shape) for shape in shapes]
    counts = [(size + 3) // 4 for size in sizes]
    # Every 64-bit pattern (plain ``random_()`` leaves the sign bit at 0).
    bits = torch.empty(sum(counts), dtype=torch.int64, device=like.device)
    bits.random_(-(2**63), 2**63 - 1, generator=generator)
    masks = _keep_mask(bits.view(torch.int16), keep).to(like.dtype)
    out, start = [], 0
    for shape, size, count in zip(shapes, sizes, counts):
        out.append(masks[start : start + size].view(shape))
        start += 4 * count
    return out


def _keep_mask(draws, keep):
    """``where(draws < keep - 32768, 65536 / keep, 0.0)`` for int16 draws.

    Without a boolean pass (comparisons and bool-to-float casts are slow on
    CPU): ``keep - 32768 - draw`` is an integer, >= 1 exactly where the value
    is kept, so its product with the scale, clamped to [0, scale], is exactly
    0 or the scale, in float32 as ``where`` gives.
    """
    scale = 65536 / keep
    out = torch.rsub(draws.to(torch.float32), keep - 32768)
    return out.mul_(scale).clamp_(0.0, scale)


class Dropout(nn.Module):
    """:func:`dropout` as a module (drop-in for ``nn.Dropout``)."""

    #: Generator of the masks (see :func:`drawing_from`); None: torch's default.
    generator = None

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return dropout(x, self.p, self.training, self.generator)


class _EncodeModalities(torch.autograd.Function):
    """Every modality encoder in one autograd node, its backward written out.

    Forward: per modality ``relu(x_k @ W1_k.T + b1_k)`` into one
    ``(M, batch, hidden)`` buffer, then one batched matmul for the second
    layers, then the missing embeddings where a modality is absent. The
    backward is the same arithmetic autograd would run, without recording a
    graph of a dozen small nodes per step (on a CPU their bookkeeping costs
    more than the matmuls). No gradient flows to the inputs.
    """

    @staticmethod
    def forward(ctx, x, present, w1, b1, w2, b2, missing, sizes, batch_first):
        hidden = w1.new_empty((len(sizes), x.shape[0], w1.shape[0]))
        blocks = x.split(sizes, dim=1)
        for k, (block, weight) in enumerate(zip(blocks, w1.split(sizes, dim=1))):
            # nn.Linear's call: the same BLAS path for one row as for many.
            torch.addmm(b1[k], block, weight.t(), out=hidden[k])
        hidden.relu_()
        embedded = torch.baddbmm(b2, hidden, w2)  # (M, batch, embed)
        absent = ~present.t().unsqueeze(-1)  # (M, batch, 1)
        if x.device.type == "cpu" and not absent.any():
            absent = None  # every modality observed: nothing to swap
            out = embedded
        else:
            out = torch.where(absent, missing.unsqueeze(1), embedded)
        ctx.save_for_backward(x, hidden, w2, absent)
        ctx.sizes, ctx.batch_first = sizes, batch_first
        if batch_first:
            return out.transpose(0, 1).contiguous()  # (batch, M, embed)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, hidden, w2, absent = ctx.saved_tensors
        if ctx.batch_first:
            grad = grad.transpose(0, 1)  # (M, batch, embed)
        if absent is None:
            grad_missing = grad.new_zeros((grad.shape[0], grad.shape[2]))
        else:
            grad_missing = grad.masked_fill(~absent, 0.0).sum(dim=1)
            grad = grad.masked_fill(absent, 0.0)
        grad_b2 = grad.sum(dim=1, keepdim=True)
        grad_w2 = torch.bmm(hidden.transpose(1, 2), grad)
        grad_hidden = torch.bmm(grad, w2.transpose(1, 2))
        grad_hidden = threshold_backward(grad_hidden, hidden, 0)
        grad_b1 = grad_hidden.sum(dim=1)
        blocks = x.split(ctx.sizes, dim=1)
        grad_w1 = torch.cat(
            [torch.mm(grad_hidden[k].t(), block) for k, block in enumerate(blocks)],
            dim=1,
        )
        grads = (grad_w1, grad_b1, grad_w2, grad_b2, grad_missing)
        return (None, None, *grads, None, None)


class ModalityEncoders(nn.Module):
    """One two-layer MLP per modality, and a learned "missing" embedding each.

    The input holds the modalities' columns side by side, modality after
    modality, in the order of ``sizes``. The first layers' weights are kept
    side by side in one ``(hidden, sum(sizes))`` matrix (modality ``k`` owns
    its columns, ``nn.Linear``'s layout) and run on column slices of the
    input; the second layers run as one batched
    matmul; the whole encoder stage is one autograd node
    (``_EncodeModalities``). A modality that is absent from a row gets its
    missing embedding instead of its encoder's output, and passes no
    gradient to its encoder.

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
    Each encoder is initialized like ``nn.Linear`` layers of its own fan-in.
    There is no dropout inside the encoders: drawing a mask over every
    modality's hidden units cost more than all the matmuls of a step on CPU,
    without a measurable accuracy gain (weight decay, early stopping and
    ``modality_dropout`` regularize them). The fusion heads use dropout.
    """

    def __init__(self, sizes, hidden, embed_dim):
        super().__init__()
        self.sizes = [int(size) for size in sizes]
        m = len(self.sizes)
        self.weight1 = nn.Parameter(torch.empty(hidden, sum(self.sizes)))
        self.bias1 = nn.Parameter(torch.empty(m, hidden))
        self.weight2 = nn.Parameter(torch.empty(m, hidden, embed_dim))
        self.bias2 = nn.Parameter(torch.empty(m, 1, embed_dim))
        self.missing = nn.Parameter(torch.zeros(m, embed_dim))
        self.reset_parameters()

    def reset_parameters(self, generator=None):
        with torch.no_grad():
            blocks = self.weight1.split(self.sizes, dim=1)
            for weight, bias in zip(blocks, self.bias1):
                bound = 1.0 / math.sqrt(weight.shape[1])
                drawn = torch.empty(weight.t().shape, device=weight.device)
                weight.t().copy_(drawn.uniform_(-bound, bound, generator=generator))
                bias.uniform_(-bound, bound, generator=generator)
            bound = 1.0 / math.sqrt(self.weight2.shape[1])
            self.weight2.uniform_(-bound, bound, generator=generator)
            self.bias2.uniform_(-bound, bound, generator=generator)
            self.missing.zero_()

    def forward(self, x, present, batch_first=True):
        """``x`` (batch, sum(sizes)), ``present`` (batch, M) -> (batch, M, embed).

        ``batch_first=False`` returns (M, batch, embed) instead.
        """
        return _EncodeModalities.apply(
            x,
            present,
            self.weight1,
            self.bias1,
            self.weight2,
            self.bias2,
            self.missing,
            self.sizes,
            batch_first,
        )


def drop_modalities(present, rate, generator=None):
    """Hide each observed modality with probability ``rate``.

    A row never loses all its observed modalities: where every observed one
    was drawn to be hidden, one of them, picked at random, is kept. Draws use
    ``generator``, a generator on ``present``'s device (None: torch's
    default generator).
    """
    device = present.device
    drop = torch.rand(present.shape, device=device, generator=generator) < rate
    kept = present & ~drop
    emptied = present.any(dim=1) & ~kept.any(dim=1)
    score = torch.rand(present.shape, device=device, generator=generator) * present
    rescue = F.one_hot(score.argmax(dim=1), present.shape[1]).bool()
    return kept | (rescue & emptied.unsqueeze(1))


class ConcatFusion(nn.Module):
    """Late fusion: concatenated modality embeddings through an MLP head."""

    def __init__(self, n_modalities, embed_dim, hidden, n_classes, dropout):
        super().__init__()
        self.head = nn.Sequential(
            nn.Linear(n_modalities * embed_dim, hidden),
            nn.ReLU(),
            Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        linear_init_(self.head[0], generator)
        linear_init_(self.head[-1], generator)

    def forward(self, embedded, present):
        return self.head(embedded.flatten(1))


class TransformerLayer(nn.Module):
    """A pre-norm transformer encoder layer over the ``M`` modality tokens.

    The arithmetic of ``nn.TransformerEncoderLayer(norm_first=True,
    batch_first=True)`` (ReLU feed-forward, dropout on the attention weights,
    after the attention, inside and after the feed-forward), written for a
    handful of tokens: one fused query/key/value projection and
    an attention among tokens written for a handful of them
    (``_token_attention``), without the argument checks and mask handling
    that ``nn.MultiheadAttention`` runs on every call. Same results as the
    torch layer with the same weights (up to float rounding); other dropout
    draws.
    """

    #: Generator of the dropout masks (see :func:`drawing_from`).
    generator = None

    def __init__(self, embed_dim, n_heads, hidden, dropout):
        super().__init__()
        self.n_heads = n_heads
        self.dropout = dropout
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.out = nn.Linear(embed_dim, embed_dim)
        self.linear1 = nn.Linear(embed_dim, hidden)
        self.linear2 = nn.Linear(hidden, embed_dim)
        self.norm1 = nn.LayerNorm(embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self._init_attention()

    def _init_attention(self, generator=None):
        # nn.MultiheadAttention's initialization.
        nn.init.xavier_uniform_(self.qkv.weight, generator=generator)
        nn.init.zeros_(self.qkv.bias)
        nn.init.zeros_(self.out.bias)

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        for linear in (self.qkv, self.out, self.linear1, self.linear2):
            linear_init_(linear, generator)
        self.norm1.reset_parameters()
        self.norm2.reset_parameters()
        self._init_attention(generator)

    def ordered_parameters(self):
        """The 12 weights in the order :func:`_layer_forward` takes them."""
        return [
            self.qkv.weight, self.qkv.bias, self.out.weight, self.out.bias,
            self.linear1.weight, self.linear1.bias, self.linear2.weight,
            self.linear2.bias, self.norm1.weight, self.norm1.bias,
            self.norm2.weight, self.norm2.bias,
        ]  # fmt: skip

    def forward(self, tokens):
        """``tokens`` (M, batch, embed) -> (M, batch, embed)."""
        m, batch, embed = tokens.shape
        p = self.dropout if self.training else 0.0
        gen = self.generator
        rows = self.norm1(tokens).reshape(m * batch, embed)
        # Features by rows, (3 * embed, M * batch): the batch is the fast axis.
        qkv = torch.addmm(self.qkv.bias.unsqueeze(1), self.qkv.weight, rows.t())
        # (embed, M * batch)
        attended = _token_attention(qkv, self.n_heads, m, p, gen)
        attended = self.out(attended.t()).reshape(m, batch, embed)
        tokens = tokens + dropout(attended, p, self.training, gen)
        h = dropout(F.relu(self.linear1(self.norm2(tokens))), p, self.training, gen)
        return tokens + dropout(self.linear2(h), p, self.training, gen)


def _token_attention(qkv, n_heads, m, p, generator=None):
    """Multi-head softmax attention among a handful of tokens.

    ``qkv`` (3 * embed, M * batch) holds the queries, keys and values of
    every token of every row, one column per (token, row), token-major. With
    ``M`` and the head size both tiny, batched matmuls would spend their time
    on per-matrix overhead; here the token-by-token products are elementwise
    products summed over a middle axis, vectorized along the batch (the
    contiguous axis). No copy of the layout is needed in or out. Returns
    (embed, M * batch) in the same layout.
    """
    width, columns = qkv.shape
    head_dim = width // (3 * n_heads)
    # Each (heads, head_dim, M, batch).
    q, k, v = qkv.reshape(3, n_heads, head_dim, m, columns // m).unbind(0)
    scores = (q.unsqueeze(3) * k.unsqueeze(2)).sum(dim=1)  # (heads, Mi, Mj, batch)
    weights = torch.softmax(scores * head_dim**-0.5, dim=2)
    if p:
        weights = dropout(weights, p, generator=generator)
    out = (weights.unsqueeze(1) * v.unsqueeze(2)).sum(dim=3)  # (h, hd, Mi, batch)
    return out.reshape(width // 3, columns)


#: LayerNorm's epsilon (``nn.LayerNorm``'s default).
_EPS = 1e-5


def _layer_masks(x, params, n_heads):
    """Shapes of one layer's four dropout masks, in the order of its draws."""
    m, batch, embed = x.shape
    hidden = params[4].shape[0]
    shapes = [(n_heads, m, m, batch), (m, batch, embed)]
    return shapes + [(m, batch, hidden), (m, batch, embed)]


def _layer_forward(x, params, n_heads, masks):
    """One :class:`TransformerLayer` step, the same ops, without a graph.

    ``x`` (M, batch, embed) contiguous; ``masks`` the four dropout masks (or
    Nones). Returns the output and what the backward needs.
    """
    mask_a, mask1, mask2, mask3 = masks
    wqkv, bqkv, wout, bout, w1, b1, w2, b2, g1, beta1, g2, beta2 = params
    m, batch, embed = x.shape
    width = embed // n_heads
    n1, mean1, rstd1 = torch.native_layer_norm(x, (embed,), g1, beta1, _EPS)
    rows = n1.reshape(m * batch, embed)
    qkv = torch.addmm(bqkv.unsqueeze(1), wqkv, rows.t())
    q, k, v = qkv.reshape(3, n_heads, width, m, batch).unbind(0)
    scores = (q.unsqueeze(3) * k.unsqueeze(2)).sum(dim=1)
    weights = torch.softmax(scores * width**-0.5, dim=2)
    dropped = weights if mask_a is None else weights * mask_a
    attended = (dropped.unsqueeze(1) * v.unsqueeze(2)).sum(dim=3)
    attended = attended.reshape(embed, m * batch).t()
    out = F.linear(attended, wout, bout).reshape(m, batch, embed)
    x1 = x + (out if mask1 is None else out * mask1)
    n2, mean2, rstd2 = torch.native_layer_norm(x1, (embed,), g2, beta2, _EPS)
    r = F.relu(F.linear(n2, w1, b1))
    h = r if mask2 is None else r * mask2
    y = F.linear(h, w2, b2)
    x2 = x1 + (y if mask3 is None else y * mask3)
    saved = (x, n1, mean1, rstd1, q, k, v, weights, mask_a, dropped, attended)
    saved += (mask1, x1, n2, mean2, rstd2, r, mask2, h, mask3)
    return x2, saved


def _layer_backward(grad, params, saved, n_heads):
    """Gradients of :func:`_layer_forward`: to ``x`` and to the 12 parameters."""
    wqkv, bqkv, wout, bout, w1, b1, w2, b2, g1, beta1, g2, beta2 = params
    (x, n1, mean1, rstd1, q, k, v, weights, mask_a, dropped, attended) = saved[:11]
    (mask1, x1, n2, mean2, rstd2, r, mask2, h, mask3) = saved[11:]
    m, batch, embed = x.shape
    n = m * batch
    width = embed // n_heads
    # Feed-forward block: x2 = x1 + drop(linear2(drop(relu(linear1(ln2(x1)))))).
    grad = grad.reshape(n, embed)
    gy = grad if mask3 is None else grad * mask3.view(n, embed)
    gw2 = gy.t().mm(h.view(n, -1))
    gb2 = gy.sum(0)
    gh = gy.mm(w2)
    if mask2 is not None:
        gh = gh * mask2.view(gh.shape)
    gpre = threshold_backward(gh, r.view(gh.shape), 0)
    gw1 = gpre.t().mm(n2.view(n, embed))
    gb1 = gpre.sum(0)
    gn2 = gpre.mm(w1).view(m, batch, embed)
    gx1, gg2, gbeta2 = layer_norm_backward(
        gn2, x1, (embed,), mean2, rstd2, g2, beta2, _EPS
    )
    gx1 = gx1.view(n, embed) + grad
    # Attention block: x1 = x + drop(out(attention(qkv(ln1(x))))).
    gout = gx1 if mask1 is None else gx1 * mask1.view(n, embed)
    gwout = gout.t().mm(attended)
    gbout = gout.sum(0)
    # (embed, M * batch), the layout of the attention's output.
    gatt = torch.mm(wout.t(), gout.t()).view(n_heads, width, m, batch)
    gdropped = (gatt.unsqueeze(3) * v.unsqueeze(2)).sum(dim=1)
    gqkv = x.new_empty((3, n_heads, width, m, batch))
    torch.sum(gatt.unsqueeze(3) * dropped.unsqueeze(1), dim=2, out=gqkv[2])
    gweights = gdropped if mask_a is None else gdropped * mask_a
    gscores = softmax_backward(gweights, weights, 2, x.dtype)
    gscores = (gscores * width**-0.5).unsqueeze(1)
    torch.sum(gscores * k.unsqueeze(2), dim=3, out=gqkv[0])
    torch.sum(gscores * q.unsqueeze(3), dim=2, out=gqkv[1])
    gqkv = gqkv.view(3 * embed, n)
    gwqkv = gqkv.mm(n1.view(n, embed))
    gbqkv = gqkv.sum(1)
    gn1 = gqkv.t().mm(wqkv).view(m, batch, embed)
    gx, gg1, gbeta1 = layer_norm_backward(
        gn1, x, (embed,), mean1, rstd1, g1, beta1, _EPS
    )
    gx = gx + gx1.view(m, batch, embed)
    grads = (gwqkv, gbqkv, gwout, gbout, gw1, gb1, gw2, gb2, gg1, gbeta1, gg2, gbeta2)
    return gx, grads


class _AttentionHead(torch.autograd.Function):
    """:class:`AttentionFusion`'s training forward as one autograd node.

    The same ops as the modules' forward (type embedding, the transformer
    layers, final LayerNorm, mean-pool, classifier; the same dropout draws in
    the same order), run without recording a graph, and a written-out
    backward: on a CPU, at a few tokens per row, autograd's per-op
    bookkeeping costs more than the arithmetic. Same values as the modules,
    gradients equal up to float rounding.
    """

    @staticmethod
    def forward(ctx, tokens, type_embedding, norm_w, norm_b, cls_w, cls_b, *rest):
        n_heads, p_layers, p_head, generator, *params = rest
        x = (tokens + type_embedding.unsqueeze(1)).contiguous()
        layers = [params[start : start + 12] for start in range(0, len(params), 12)]
        # The layers' masks, then the head's: the modules' order of draws.
        shapes = [_layer_masks(x, layer, n_heads) for layer in layers]
        masks = _dropout_masks(sum(shapes, []), p_layers, x, generator)
        (head_mask,) = _dropout_masks([x.shape[1:]], p_head, x, generator)
        saved = []
        for index, layer in enumerate(layers):
            x, kept = _layer_forward(
                x, layer, n_heads, masks[4 * index : 4 * index + 4]
            )
            saved.append(kept)
        pooled = x.mean(dim=0)
        normed, mean, rstd = torch.native_layer_norm(
            pooled, (pooled.shape[1],), norm_w, norm_b, _EPS
        )
        dropped = normed if head_mask is None else normed * head_mask
        ctx.layers, ctx.n_heads, ctx.m = saved, n_heads, x.shape[0]
        ctx.head = (pooled, dropped, head_mask, mean, rstd, norm_w, norm_b, cls_w)
        ctx.params = params
        return F.linear(dropped, cls_w, cls_b)

    @staticmethod
    @once_differentiable  # a second derivative raises instead of being wrong
    def backward(ctx, grad):
        pooled, dropped, head_mask, mean, rstd, norm_w, norm_b, cls_w = ctx.head
        gcls_w = grad.t().mm(dropped)
        gcls_b = grad.sum(0)
        gnormed = grad.mm(cls_w)
        if head_mask is not None:
            gnormed = gnormed * head_mask
        gpooled, gnorm_w, gnorm_b = layer_norm_backward(
            gnormed, pooled, (pooled.shape[1],), mean, rstd, norm_w, norm_b, _EPS
        )
        gx = (gpooled / ctx.m).expand(ctx.m, *gpooled.shape)
        grads = []
        for index in reversed(range(len(ctx.layers))):
            params = ctx.params[12 * index : 12 * index + 12]
            gx, layer_grads = _layer_backward(
                gx, params, ctx.layers[index], ctx.n_heads
            )
            grads[:0] = layer_grads
        gtype = gx.sum(dim=1)
        grads = (gx, gtype, gnorm_w, gnorm_b, gcls_w, gcls_b, *[None] * 4, *grads)
        return grads


class AttentionFusion(nn.Module):
    """Modality embeddings as tokens through a small transformer encoder.

    A learned modality-type embedding is added to each token. Missing
    modalities enter as their learned "missing" embedding (not masked out of
    attention), so absence itself is information the tokens can attend to and
    a row never has zero keys. Tokens are mean-pooled, normalized, dropped
    out at rate ``dropout`` and classified. The layers
    (:class:`TransformerLayer`) start from the same weights, as
    ``nn.TransformerEncoder``'s copies of one layer do, and have no dropout
    of their own: its four sites per layer cost about 14 % of a training
    step on CPU, for no measured accuracy (20 seeds paired on two datasets).
    """

    #: Generator of the dropout masks (see :func:`drawing_from`).
    generator = None

    def __init__(
        self, n_modalities, embed_dim, hidden, n_classes, dropout, n_heads, n_layers
    ):
        super().__init__()
        self.dropout = dropout
        self.type_embedding = nn.Parameter(torch.randn(n_modalities, embed_dim) * 0.02)
        layer = TransformerLayer(embed_dim, n_heads, hidden, 0.0)
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(n_layers))
        self.norm = nn.LayerNorm(embed_dim)
        self.classify = nn.Linear(embed_dim, n_classes)

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        shape = self.type_embedding.shape
        self.type_embedding.copy_(torch.randn(shape, generator=generator) * 0.02)
        first = self.layers[0]
        first.reset_parameters(generator)
        for layer in self.layers[1:]:  # copies of one layer
            layer.load_state_dict(first.state_dict())
        self.norm.reset_parameters()
        linear_init_(self.classify, generator)

    def forward(self, embedded, present, batch_first=True):
        """Logits from (batch, M, embed) embeddings, or (M, batch, embed)
        with ``batch_first=False`` (the layers' own layout, no copy)."""
        if batch_first:
            embedded = embedded.transpose(0, 1)
        if torch.is_grad_enabled() and not transforms_active():
            layers = self.layers
            params = [t for layer in layers for t in layer.ordered_parameters()]
            return _AttentionHead.apply(
                embedded,
                self.type_embedding,
                self.norm.weight,
                self.norm.bias,
                self.classify.weight,
                self.classify.bias,
                layers[0].n_heads,
                layers[0].dropout if self.training else 0.0,
                self.dropout if self.training else 0.0,
                self.generator,
                *params,
            )
        return self.forward_modules(embedded)

    def forward_modules(self, tokens):
        """Logits from (M, batch, embed) tokens, through the modules' own
        forwards (autograd records every op). ``forward`` runs this without
        a gradient or inside ``torch.func`` transforms, and the same
        arithmetic as one autograd node otherwise."""
        tokens = tokens + self.type_embedding.unsqueeze(1)
        for layer in self.layers:
            tokens = layer(tokens)
        pooled = self.norm(tokens.mean(dim=0))
        pooled = dropout(pooled, self.dropout, self.training, self.generator)
        return self.classify(pooled)


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
        self.dropout = Dropout(dropout)

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``."""
        linear_init_(self.router, generator)
        self.hidden.reset_parameters(generator)
        self.output.reset_parameters(generator)

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
    Random draws (modality dropout, dropout) use torch's default generator,
    or the one given with :func:`drawing_from`.
    """

    #: Generator of the modality dropout (see :func:`drawing_from`).
    generator = None

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

    def reset_parameters(self, generator=None):
        """Draw the initial weights, as ``__init__`` does, from ``generator``.

        The same draws in the same order: a net built on the ``meta`` device
        and reset from ``torch.Generator().manual_seed(s)`` has the weights
        of the net built after ``torch.manual_seed(s)``
        (:func:`sklearn_skll._generators.build_module`).
        """
        self.encoders.reset_parameters(generator)
        self.fusion.reset_parameters(generator)

    def forward(self, x, mask):
        present = mask.bool()
        if self.training and self.modality_dropout > 0:
            present = drop_modalities(present, self.modality_dropout, self.generator)
        if isinstance(self.fusion, AttentionFusion):
            tokens = self.encoders(x, present, batch_first=False)
            return self.fusion(tokens, present, batch_first=False)
        return self.fusion(self.encoders(x, present), present)


@contextmanager
def drawing_from(module, generator):
    """Every random draw of ``module``'s forward passes from ``generator``.

    Sets the ``generator`` of ``module`` and of its submodules that draw
    (dropout, modality dropout) for the body of the ``with`` block, and
    gives them back torch's default generator after it. ``generator`` must
    be on the module's device.
    """
    drawing = [sub for sub in module.modules() if hasattr(sub, "generator")]
    previous = [sub.generator for sub in drawing]
    for sub in drawing:
        sub.generator = generator
    try:
        yield module
    finally:
        for sub, before in zip(drawing, previous):
            sub.generator = before
