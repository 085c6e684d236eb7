"""FlowImputer: generate missing modalities with class-conditional flows."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
)
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    assert_all_finite,
    check_is_fitted,
)
from skorch.history import History
from tqdm.auto import tqdm

from .._base import (
    MODAL_CONSTRAINTS,
    TRAINING_CONSTRAINTS,
    same_container,
    seed_streams,
    validate_modal_data,
)
from .._base import format_rows as _rows
from .._callbacks import CallbacksParamsMixin, callbacks_for_fit, uses_batch_hooks
from .._compat import Interval, _fit_context
from .._device import resolve_device
from .._generators import build_module, empty_module
from .._modalities import modality_columns
from .._persist import arrays_to_module, from_portable, module_to_arrays, to_portable
from .._scaling import mean_and_scale
from .._threads import with_torch_threads
from ..exceptions import ModalityError
from ._base import _check_fit_observed, _label_codes
from ._flows import FlowModule

__all__ = ["FlowImputer"]

_LN2 = float(np.log(2.0))
#: Rows per forward pass at transform time and in evaluation (bounds memory).
_CHUNK = 8192


def _random_subsets(available, gen):
    """Per row, a uniformly sized random non-empty subset of the True entries."""
    n, m = available.shape
    u = torch.rand(n, m + 1, generator=gen).to(available.device)
    n_avail = available.sum(dim=1)
    size = (u[:, 0] * n_avail).floor() + 1
    scores = torch.where(available, u[:, 1:], torch.full_like(u[:, 1:], 2.0))
    rank = scores.argsort(dim=1).argsort(dim=1)
    return available & (rank < size[:, None])


class _FlatAdam(torch.optim.Optimizer):
    """Adam over a module's parameters held as views of one flat buffer.

    The parameters and their gradients become views of two flat buffers, and
    a step is the sequence of elementwise operations that
    ``torch.optim.Adam(foreach=True)`` (defaults, no weight decay) runs, on
    those buffers. Adam is elementwise, so this gives exactly the values of
    that optimizer's per-tensor step, with a handful of kernels instead of a
    handful per tensor, and without building a ``torch.optim`` optimizer
    (the first one built in a process imports ``torch._dynamo``, ~2 s). The
    backward pass accumulates into the gradient views in place
    (``0 + g == g``); a tensor without gradient keeps a zero gradient and
    zero moments, so a step leaves it unchanged, as Adam does when it skips
    it. :meth:`release` makes the parameters independent tensors again.

    It is a ``torch.optim.Optimizer`` that never runs ``Optimizer.__init__``
    (which imports ``torch._dynamo``, as :class:`~sklearn_skll.neural._optim.
    FusedAdamW` explains), with one parameter group whose ``"lr"`` every
    step reads: learning-rate schedulers (skorch's ``LRScheduler``) work.
    """

    # Optimizer.__init__ is not called on purpose (see the docstring).
    def __init__(self, module, lr, betas=(0.9, 0.999), eps=1e-8):  # noqa: PLW0231
        self.params = list(module.parameters())
        data = torch.cat([p.detach().reshape(-1) for p in self.params])
        self.flat, self.grad = data, torch.zeros_like(data)
        offset = 0
        for p in self.params:
            k = p.numel()
            p.data = data[offset : offset + k].view_as(p)
            p.grad = self.grad[offset : offset + k].view_as(p)
            offset += k
        self.exp_avg = torch.zeros_like(data)
        self.exp_avg_sq = torch.zeros_like(data)
        self.betas, self.eps, self.n_steps = betas, eps, 0
        self.defaults = {"lr": float(lr), "betas": betas, "eps": eps}
        self.param_groups = [{"params": self.params, **self.defaults}]
        self.state = {}

    def zero_grad(self, set_to_none=False):
        self.grad.zero_()  # the gradients stay views of the flat buffer

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # The operations, scalars and order of torch's foreach Adam step.
        beta1, beta2 = self.betas
        self.n_steps += 1
        step = float(self.n_steps)
        grad = self.grad
        self.exp_avg.lerp_(grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = (self.param_groups[0]["lr"] / (1 - beta1**step)) * -1
        denom = self.exp_avg_sq.sqrt().div_((1 - beta2**step) ** 0.5).add_(self.eps)
        self.flat.addcdiv_(self.exp_avg, denom, value=step_size)
        return loss

    def __getstate__(self):
        return dict(self.__dict__)

    def __setstate__(self, state):
        # Not Optimizer.__setstate__: it patches ``step`` with profiling hooks.
        self.__dict__.update(state)

    def release(self):
        for p in self.params:
            p.data = p.data.clone()
            p.grad = None


class _TrainingView:
    """A :class:`FlowImputer` in training, as skorch callbacks see a net.

    ``history`` (skorch's ``History``, the imputer's ``history_``),
    ``module_``, ``optimizer_`` (a ``torch.optim.Optimizer`` with one
    parameter group) and every other attribute of the imputer.
    """

    def __init__(self, imputer, optimizer):
        self.imputer, self.optimizer_ = imputer, optimizer

    @property
    def history(self):
        return self.imputer.history_

    def __getattr__(self, name):
        return getattr(self.imputer, name)


def _epoch_callbacks(callbacks):
    """The ``callbacks`` parameter's callbacks, built and initialized.

    FlowImputer calls epoch-level hooks only: a callback overriding a
    batch-level one is run, with a warning that those hooks are not called.
    """
    built = []
    for name, callback in callbacks_for_fit(callbacks, owner="FlowImputer"):
        if isinstance(callback, type):
            callback = callback()
        if uses_batch_hooks(callback):
            warnings.warn(
                f"FlowImputer calls the epoch-level hooks of its callbacks only; "
                f"the batch-level hooks of callback {name!r} "
                f"({type(callback).__name__}) are not called.",
                UserWarning,
                stacklevel=4,
            )
        built.append(callback.initialize())
    return built


def _take(X, rows, cols):
    """``X[rows][:, cols]``, a slice when ``cols`` is a contiguous range."""
    if cols.size and cols[-1] - cols[0] + 1 == cols.size and (np.diff(cols) == 1).all():
        return X[rows, cols[0] : cols[-1] + 1]
    return X[np.ix_(rows, cols)]


def _put(X, rows, cols, values):
    """``X[rows][:, cols] = values`` in place (a slice when contiguous)."""
    if cols.size and cols[-1] - cols[0] + 1 == cols.size and (np.diff(cols) == 1).all():
        X[rows, cols[0] : cols[-1] + 1] = values
    else:
        X[np.ix_(rows, cols)] = values


class FlowImputer(
    CallbacksParamsMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Generate missing modalities with class-conditional normalizing flows.

    The generator of "Select the Key, then Generate the Rest" (SK-LL, Section
    3.3, Eq. 5), after DiCMoR. Each modality ``i`` has a shallow encoder
    ``enc_i`` to a common width ``latent_dim``, an invertible flow ``F_i``
    (affine coupling layers) to a latent space shared by all modalities, and
    a decoder ``dec_i`` back to its columns. The latent prior is a Gaussian
    per class (learnable mean and log-std), the same for every modality. A
    missing modality ``j`` of a row is generated from each observed modality
    ``i`` as ``dec_j(F_j^{-1}(F_i(enc_i(x_i))))``, the latents of several
    observed modalities being fused first. Observed values are never changed.

    Read more in the :ref:`User Guide <generate>`.

    Parameters
    ----------
    modalities : dict or None, default=None
        Mapping ``name -> column selector`` (as in
        :class:`~sklearn.compose.ColumnTransformer`). ``None`` is one modality
        of all columns: then nothing can be generated, and only rows with
        nothing missing can be transformed (they pass through). A modality
        whose columns are all absent is an error, unless an earlier step
        recorded dropping it (a :class:`~sklearn_skll.ModalitySelector` with
        ``drop_unselected=True`` on a DataFrame); then it is left out.
    latent_dim : int, default=32
        Common width ``d`` of every modality's encoding and latent.
    n_flows : int, default=8
        Affine coupling layers per modality (at least 2, so that, alternating
        halves, every latent coordinate is transformed).
    hidden_dim : int, default=64
        Width of the coupling networks, encoders and decoders.
    class_conditional : bool, default=True
        Use one prior Gaussian per class of ``y``. With ``y=None`` or False,
        a single Gaussian.
    sample_posterior : bool, default=False
        If False, generation is the deterministic transfer. If True, Gaussian
        noise is added to the fused latent before inversion, with the
        per-coordinate spread that the transfer left on held-out complete rows
        (multiple imputation); draws are seeded by ``random_state``. Several
        draws at once: :meth:`sample`.
    transfer_weight : float, default=1.0
        Weight of the cross-modal reconstruction loss on rows where several
        modalities are observed (see Notes). 0 trains the paper's objective
        only: Eq. 5 plus each modality's own reconstruction.
    max_epochs : int, default=200
        Most passes over the training rows.
    lr : float, default=1e-3
        Adam learning rate.
    batch_size : int, default=128
        Rows per gradient step.
    validation_fraction : float, default=0.1
        Fraction of rows held out for early stopping and for the fusion
        weights. 0 trains for ``max_epochs`` and measures on training rows.
    patience : int, default=10
        Epochs without a lower validation score before training stops; the
        parameters of the best epoch are kept. The score is the held-out
        cross-modal transfer error (what ``transform`` does) when held-out
        rows observe two modalities or more and ``transfer_weight > 0``;
        else the whole held-out loss.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where torch trains and generates. "auto" picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, the validation split, batch order and
        posterior draws. The same seed gives the same output on CPU, also
        when other fits run beside it in threads of the same process: every
        draw comes from a ``torch.Generator`` of the imputer's own, never
        from torch's default generator (which the threads of a process
        share). Global RNGs (numpy, torch) are left untouched, during the
        fit as after it.
    verbose : int, default=0
        0 silent, 1 a progress bar over epochs, 2 one line per epoch.
    callbacks : list or None, default=None
        skorch callbacks run beside the imputer's own early stopping, as
        with :class:`~sklearn_skll.MultimodalNetClassifier`: instances (or
        classes) of :class:`skorch.callbacks.Callback`, or ``(name,
        callback)`` pairs, their parameters reachable as
        ``callbacks__<name>__<param>``. Only their epoch-level hooks are
        called (``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end``,
        ``on_train_end``): a callback that overrides a batch-level hook
        runs with a warning that those are not. The ``net`` they receive is
        the imputer, with ``history`` (``history_``), ``module_`` and
        ``optimizer_`` (a ``torch.optim.Optimizer``). A fit runs shallow
        copies of the callbacks (the parameter keeps them as given); what
        they record in ``history`` stays in ``history_``. An ``LRScheduler``
        stepping per epoch, an ``EarlyStopping`` on any history key, an
        ``MlflowLogger`` (``create_artifact=False``) or a callback of one's
        own work. Callbacks that save or load the net through skorch's
        ``save_params``/``load_params`` (``Checkpoint``, ``LoadInitState``,
        an ``MlflowLogger``'s artifacts) do not: the imputer has no skorch
        net; pickle the fitted imputer instead. A callback may stop
        training by raising ``KeyboardInterrupt`` (skorch's convention, also
        for an interrupt from the keyboard): the best epoch so far is kept.

    Attributes
    ----------
    modalities_ : dict of str -> ndarray of int
        Column indices of each modality.
    classes_ : ndarray or None
        Class labels of the prior's Gaussians, None when a single Gaussian.
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization of each column, from its observed values only.
    module_ : torch.nn.Module
        The encoders and decoders (``coders``), the flows (``flow``, one
        group per modality), the shared prior and the fusion logits.
    transfer_mse_ : ndarray of shape (n_modalities, n_modalities)
        ``[i, j]``: mean squared error, in standardized units, of modality
        ``j`` generated from modality ``i`` alone on held-out rows observing
        both (training rows when none is held out); NaN when never observed
        together, or ``i == j``.
    fusion_weights_ : ndarray of shape (n_modalities, n_modalities)
        ``[i, j]``: learned weight of source ``i``'s latent when generating
        ``j`` (0 where ``i`` and ``j`` were never observed together).
    latent_residual_std_ : ndarray of shape (n_modalities, n_modalities, latent_dim)
        Spread of ``F_j(enc_j(x_j)) - F_i(enc_i(x_i))`` on the same rows;
        the noise scale of ``sample_posterior=True``.
    history_ : skorch.history.History
        One row (a dict) per epoch: ``epoch``, ``train_loss``,
        ``valid_loss`` (NaN without validation), ``nll_bpd`` (Eq. 5 in bits
        per dimension), ``recon``, ``transfer`` (training averages),
        ``valid_transfer``, and what the callbacks record (e.g. an
        ``LRScheduler``'s ``event_lr``). Indexed as in skorch:
        ``history_[:, "valid_transfer"]``.
    n_iter_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose parameters were kept.
    device_ : str
        Device used in fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    sklearn.impute.IterativeImputer : Imputes cell by cell, by regression.
    sklearn.impute.KNNImputer : Imputes from nearest neighbours.

    Notes
    -----
    Loss, per batch: Eq. 5 in bits per dimension, ``-log p(z | c) - log|det|``
    averaged over the observed (row, modality) pairs, plus the mean squared
    reconstruction ``dec_i(enc_i(x_i))`` of each observed modality, plus
    ``transfer_weight`` times the mean squared error of
    ``dec_j(F_j^{-1}(z))`` against ``x_j``, where ``z`` fuses the latents
    ``F_i(enc_i(x_i))`` of other modalities observed in the row (see below),
    averaged over targets. Eq. 5 alone does not pair the latents of one row
    across modalities (it only matches their class distributions), so the
    cross-modal term is what makes the transfer accurate; it needs rows
    with several observed modalities, which exist in fit. Eq. 5 is computed
    on the encoding with its gradient stopped: the encoder is not
    volume-preserving, so letting the likelihood train it would let it
    shrink (or flatten) its output to make the likelihood arbitrarily large.

    Coupling layers scale by ``sigmoid(raw + 2)`` as in DiCMoR, with a
    zero-initialised last layer; layers alternate which half they transform.

    Fusion of several observed modalities: their latents are averaged with
    weights ``fusion_weights_``, learned with the transfer loss. In training,
    each row's transfer to a target starts from a random non-empty subset of
    its other observed modalities (subset size uniform), so any combination
    of observed modalities at transform time is one the model was trained on.

    Label-aware generation: :meth:`fit_transform` with labels generates each
    training row from ``p(x_missing | x_observed, y)``: the fused latent
    ``z_hat``, taken as a noisy reading of the target's latent with the
    held-out residual variance ``r``, is combined with the prior
    ``N(mu_c, sigma_c^2)`` of the row's class ``c``: centre
    ``(z_hat / r + mu_c / sigma_c^2) / (1 / r + 1 / sigma_c^2)``, variance
    ``1 / (1 / r + 1 / sigma_c^2)``, then inverted and decoded.
    :meth:`transform` never sees labels.

    Speed: the flows of all modalities have the same shapes and run as one
    batched flow (a group per modality); Eq. 5 and the transfer term share
    one flow pass over ``[h.detach(), h]``; batch losses stay on the device
    and are read once per epoch. In :meth:`transform`, the flows of all
    observed modalities run as one batched call, and so do the inverses of
    all missing ones, whatever the rows' patterns of missing modalities.

    Training is a plain torch loop with tensors on ``device`` (no skorch
    net): the loss mixes several modalities, masks and random source subsets
    per batch, which a skorch ``NeuralNet`` would only hide in a custom
    ``get_loss``; early stopping restores the best parameters. Rows missing
    a modality still train its neighbours: every term is masked per row.
    skorch's callbacks get the loop's epochs (see ``callbacks``), not its
    batches: a batch is no ``(X, y)`` pair a skorch callback could read,
    and epoch hooks cost nothing measurable (one call per epoch).

    Randomness: the initial weights, the validation split, the batch order
    and the source subsets of the transfer term are drawn from CPU
    ``torch.Generator`` objects seeded from ``random_state`` (the weights
    from one of their own, with the values ``torch.manual_seed`` would
    give), the posterior draws from another; torch's default generator is
    never seeded nor drawn from. Imputers fitted at once in threads of one
    process each give what they give alone, bit for bit on the CPU.

    References
    ----------
    .. [1] "Select the Key, then Generate the Rest" (SK-LL), Section 3.3.
    .. [2] Y. Wang, Z. Cui, Y. Li. "Distribution-Consistent Modal Recovering
       for Incomplete Multimodal Learning" (DiCMoR), ICCV 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_skll.impute import FlowImputer
    >>> rng = np.random.RandomState(0)
    >>> t = rng.normal(size=(60, 1))
    >>> X = np.hstack([t, t, -t, -t]) + 0.1 * rng.normal(size=(60, 4))
    >>> X[:5, 2:] = np.nan
    >>> modalities = {"a": [0, 1], "b": [2, 3]}
    >>> imp = FlowImputer(modalities=modalities, max_epochs=5, random_state=0)
    >>> Xt = imp.fit_transform(X)
    >>> bool(np.isfinite(Xt).all()), bool(np.array_equal(Xt[:, :2], X[:, :2]))
    (True, True)
    >>> imp.sample(X, n_draws=3).shape  # three posterior draws of every row
    (3, 60, 4)
    """

    _parameter_constraints: dict = {
        **MODAL_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "latent_dim": [Interval(Integral, 2, None, closed="left")],
        "n_flows": [Interval(Integral, 2, None, closed="left")],
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "class_conditional": ["boolean"],
        "sample_posterior": ["boolean"],
        "transfer_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        modalities=None,
        latent_dim=32,
        n_flows=8,
        hidden_dim=64,
        class_conditional=True,
        sample_posterior=False,
        transfer_weight=1.0,
        max_epochs=200,
        lr=1e-3,
        batch_size=128,
        validation_fraction=0.1,
        patience=10,
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.modalities = modalities
        self.latent_dim = latent_dim
        self.n_flows = n_flows
        self.hidden_dim = hidden_dim
        self.class_conditional = class_conditional
        self.sample_posterior = sample_posterior
        self.transfer_weight = transfer_weight
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------ fit
    @with_torch_threads
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn encoders, flows, decoders and the shared prior.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Missing modality blocks are all NaN. Every row must observe at
            least one modality, every modality must be observed somewhere and
            (with several modalities) together with another one.
        y : array-like of shape (n_samples,), default=None
            Class labels for the class-conditional prior.

        Returns
        -------
        self : FlowImputer
        """
        X, y, observed = validate_modal_data(
            self, X, y, allow_none=False, dtype=np.float64
        )
        modalities = self.modalities_
        _check_fit_observed(observed, list(modalities))
        codes, n_classes = self._encode_classes(y, X.shape[0])

        self.device_ = resolve_device(self.device)
        device = torch.device(self.device_)
        seed = seed_streams(self.random_state, "fit")["fit"]
        gen = torch.Generator().manual_seed(seed)

        all_cols = np.concatenate(list(modalities.values()))
        self.mean_ = np.zeros(X.shape[1])
        self.scale_ = np.ones(X.shape[1])
        # Finite for any finite data (plain squares overflow near 1e154).
        self.mean_[all_cols], self.scale_[all_cols] = mean_and_scale(X[:, all_cols])

        # Never torch's default generator (threads of the process share it):
        # the weights are drawn from a generator of their own, from the same
        # seed as the training draws' one.
        init = torch.Generator().manual_seed(seed)
        module = build_module(lambda: self._new_module(n_classes), init)
        self.module_ = module.to(device)

        Xs = self._standardized_blocks(X, device)
        Ot = torch.as_tensor(observed, device=device)
        Ct = torch.as_tensor(codes, device=device)
        n = X.shape[0]
        n_val = int(np.floor(self.validation_fraction * n))
        perm = torch.randperm(n, generator=gen).to(device)
        if n_val < 1 or n - n_val < 1:
            train_idx, val_idx = perm, perm[:0]
        else:
            val_idx, train_idx = perm[:n_val], perm[n_val:]
        self._train(Xs, Ot, Ct, train_idx, val_idx, gen, X, y)
        self._measure_transfer(Xs, Ot, train_idx, val_idx)
        return self

    def _new_module(self, n_classes):
        """The untrained flow module for the fitted modalities."""
        widths = [idx.size for idx in self.modalities_.values()]
        return FlowModule(
            widths, self.latent_dim, self.n_flows, self.hidden_dim, n_classes
        )

    def _encode_classes(self, y, n):
        if y is None or not self.class_conditional:
            self.classes_ = None
            return np.zeros(n, dtype=np.int64), 1
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                "`y` must hold class labels (binary or multiclass) for a "
                "class-conditional prior; pass class_conditional=False or "
                f"y=None otherwise. Got a {kind} target instead."
            )
        self.classes_, codes = np.unique(y, return_inverse=True)
        return codes.astype(np.int64), self.classes_.size

    def _standardized_blocks(self, X, device):
        """Each modality's block of ``X``, standardized, NaN as 0 (float32)."""
        blocks = []
        for idx in self.modalities_.values():
            block = (X[:, idx] - self.mean_[idx]) / self.scale_[idx]
            block = np.nan_to_num(block, nan=0.0)
            blocks.append(torch.as_tensor(block, dtype=torch.float32, device=device))
        return blocks

    def _fusion_weights(self, sources):
        """Normalised fusion weights ``(m_targets, n, m_sources)``.

        ``sources[j, r, i]`` says whether source ``i`` feeds target ``j`` in
        row ``r``; its weight is ``exp(fusion_logits[i, j])``.
        """
        weight = (
            sources.to(self.module_.fusion_logits.dtype)
            * torch.exp(self.module_.fusion_logits.T)[:, None, :]
        )
        return weight / weight.sum(dim=2, keepdim=True).clamp(min=1e-12)

    def _losses(self, xs, obs, c, gen=None):
        """Eq. 5 (bits/dim), own reconstruction and cross-modal transfer losses.

        ``xs`` holds each modality's standardized block of the batch. With a
        generator ``gen`` (training), each row's transfer to a target fuses a
        random non-empty subset of its other observed modalities, so that
        every subset of sources is learned; without (evaluation), all.
        Returns a tensor ``[total, nll_bpd, recon, transfer]``; nothing is
        read back to Python (no device synchronisation).
        """
        module = self.module_
        d = self.latent_dim
        m = len(module.coders)
        n = xs[0].shape[0]
        transfer_on = self.transfer_weight > 0 and m > 1
        mask = obs.to(xs[0].dtype)  # (n, m)
        hs = [coder.encode(xs[k]) for k, coder in enumerate(module.coders)]
        h = torch.stack(hs)  # (m, n, d)
        # Eq. 5 sees the encoding with its gradient stopped, the transfer
        # term sees it with its gradient: the same flow of the same values,
        # so one pass over [h.detach(), h] gives both.
        if transfer_on and torch.is_grad_enabled():
            z_all, logdet_all = module.flow(torch.cat([h.detach(), h], dim=1))
            z, logdet, latents = z_all[:, :n], logdet_all[:, :n], z_all[:, n:]
        else:
            z, logdet = module.flow(h.detach())
            latents = z
        nll = -(module.prior.log_prob(z, c) + logdet) / (d * _LN2)  # (m, n)
        nll_bpd = (nll * mask.T).sum() / mask.sum().clamp(min=1)
        recon = xs[0].new_zeros(())
        for k, coder in enumerate(module.coders):
            err = ((coder.decode(hs[k]) - xs[k]) ** 2).mean(dim=1)
            recon = recon + (err * mask[:, k]).sum() / mask[:, k].sum().clamp(min=1)
        transfer = xs[0].new_zeros(())
        if transfer_on:
            eye = torch.eye(m, dtype=torch.bool, device=obs.device)
            sources = obs[None, :, :] & ~eye[:, None, :]  # (targets, n, sources)
            rows = (obs.T & sources.any(dim=2)).to(xs[0].dtype)  # (m, n)
            if gen is not None:
                sources = _random_subsets(sources.reshape(m * n, m), gen)
                sources = sources.reshape(m, n, m)
            fused = torch.einsum("jni,ind->jnd", self._fusion_weights(sources), latents)
            back = module.flow.inverse(fused)
            n_rows = rows.sum(dim=1)
            for j, coder in enumerate(module.coders):
                err = ((coder.decode(back[j]) - xs[j]) ** 2).mean(dim=1)
                transfer = transfer + (err * rows[j]).sum() / n_rows[j].clamp(min=1)
            transfer = transfer / (n_rows > 0).sum().clamp(min=1)
        total = nll_bpd + recon + self.transfer_weight * transfer
        return torch.stack([total, nll_bpd, recon, transfer])

    def _evaluate(self, Xs, Ot, Ct, idx):
        sums = Xs[0].new_zeros(4)
        with torch.no_grad():
            for start in range(0, idx.numel(), _CHUNK):
                b = idx[start : start + _CHUNK]
                sums += b.numel() * self._losses([x[b] for x in Xs], Ot[b], Ct[b])
        return sums.cpu().double().numpy() / max(idx.numel(), 1)

    def _train(self, Xs, Ot, Ct, train_idx, val_idx, gen, X, y):
        module = self.module_
        # Many small parameter tensors: Adam steps one flat buffer of them
        # all (the same values as a step per tensor, a few kernels in all).
        optimizer = _FlatAdam(module, self.lr)
        has_val = val_idx.numel() > 0
        # Monitor what transform does, the held-out cross-modal transfer,
        # when the held-out rows can measure it; else the whole loss.
        monitor = 0
        if (
            has_val
            and self.transfer_weight > 0
            and bool((Ot[val_idx].sum(dim=1) > 1).any())
        ):
            monitor = 3
        epochs = range(self.max_epochs)
        if self.verbose == 1:
            epochs = tqdm(epochs, desc="[FlowImputer] epochs")
        self.history_ = history = History()
        callbacks = _epoch_callbacks(self.callbacks)
        view = _TrainingView(self, optimizer)

        def notify(hook, **kwargs):
            for callback in callbacks:
                getattr(callback, hook)(view, **kwargs)

        no_data = {"dataset_train": None, "dataset_valid": None}
        best_loss, best_state, best_epoch, waited = np.inf, None, 0, 0
        n_train = train_idx.numel()
        device = Xs[0].device
        notify("on_train_begin", X=X, y=y)
        try:
            for epoch in epochs:
                history.new_epoch()
                history.record("epoch", epoch + 1)
                notify("on_epoch_begin", **no_data)
                module.train()
                order = train_idx[torch.randperm(n_train, generator=gen).to(device)]
                sums = Xs[0].new_zeros(4)
                for start in range(0, n_train, self.batch_size):
                    b = order[start : start + self.batch_size]
                    parts = self._losses([x[b] for x in Xs], Ot[b], Ct[b], gen)
                    optimizer.zero_grad()
                    parts[0].backward()
                    optimizer.step()
                    sums += b.numel() * parts.detach()
                # One read per epoch: the batches never wait for the device.
                train = sums.cpu().double().numpy() / n_train
                module.eval()
                valid = self._evaluate(Xs, Ot, Ct, val_idx) if has_val else None
                score = valid[monitor] if has_val else train[0]
                history.record("train_loss", train[0])
                history.record("valid_loss", valid[0] if has_val else np.nan)
                history.record("nll_bpd", train[1])
                history.record("recon", train[2])
                history.record("transfer", train[3])
                history.record("valid_transfer", valid[3] if has_val else np.nan)
                if self.verbose >= 2:
                    print(
                        f"[FlowImputer] epoch {epoch + 1}: train {train[0]:.4f} "
                        f"valid {valid[0] if has_val else float('nan'):.4f} "
                        f"nll {train[1]:.3f} bits/dim"
                    )
                if score < best_loss:
                    best_loss, best_epoch, waited = score, epoch + 1, 0
                    best_state = {
                        k: v.detach().clone() for k, v in module.state_dict().items()
                    }
                else:
                    waited += 1
                notify("on_epoch_end", **no_data)
                if has_val and waited >= self.patience:
                    break
        except KeyboardInterrupt:  # a callback (or the user) stops training
            pass
        optimizer.release()
        self.n_iter_ = len(history)
        self.best_epoch_ = best_epoch
        if best_state is not None:
            module.load_state_dict(best_state)
        module.eval()
        notify("on_train_end", X=X, y=y)

    def _measure_transfer(self, Xs, Ot, train_idx, val_idx):
        """Held-out transfer error and latent residual spread per (source, target)."""
        m, d = len(self.modalities_), self.latent_dim
        mse = np.full((m, m), np.nan)
        res_std = np.zeros((m, m, d))
        module = self.module_
        for idx in (val_idx, train_idx):
            if (
                idx.numel() == 0
                or m < 2
                or not np.isnan(mse[~np.eye(m, dtype=bool)]).any()
            ):
                continue
            sums = torch.zeros(m, m, dtype=torch.float64)
            counts = torch.zeros(m, m, dtype=torch.float64)
            sq = torch.zeros(m, m, d, dtype=torch.float64)
            for start in range(0, idx.numel(), _CHUNK):
                b = idx[start : start + _CHUNK]
                xs, obs = [x[b] for x in Xs], Ot[b]
                with torch.no_grad():
                    z = module.latents(
                        [coder.encode(xs[k]) for k, coder in enumerate(module.coders)]
                    )[0]
                    for i in range(m):
                        # Source i's latent through every target's inverse.
                        back = module.flow.inverse(z[i].expand(m, -1, -1))
                        for j, coder in enumerate(module.coders):
                            if i == j:
                                continue
                            rows = (obs[:, i] & obs[:, j]).to(z.dtype)
                            err = ((coder.decode(back[j]) - xs[j]) ** 2).mean(dim=1)
                            sums[i, j] += (err * rows).sum().cpu().double()
                            counts[i, j] += rows.sum().cpu().double()
                            diff = (z[j] - z[i]) * rows[:, None]
                            sq[i, j] += (diff**2).sum(dim=0).cpu().double()
            sums, counts, sq = sums.numpy(), counts.numpy(), sq.numpy()
            fill = np.isnan(mse) & (counts > 0)
            mse[fill] = sums[fill] / counts[fill]
            res_std[fill] = np.sqrt(sq[fill] / counts[fill][:, None])
        self.transfer_mse_ = mse
        learned = torch.exp(self.module_.fusion_logits.detach()).cpu().double().numpy()
        self.fusion_weights_ = np.where(np.isnan(mse), 0.0, learned)
        self.latent_residual_std_ = res_std

    # ------------------------------------------------------------ transform
    @with_torch_threads
    def transform(self, X):
        """Fill every missing modality block from the row's observed ones.

        Label-free: the rows' classes are never used (the prior enters only
        through the trained flows). With ``sample_posterior=True``, one
        posterior draw per row, seeded by ``random_state``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Missing modality blocks are all NaN; each row must observe at
            least one modality. No label is needed.

        Returns
        -------
        X_out : {ndarray, DataFrame} of shape (n_samples, n_features)
            ``X`` as float64, missing modality blocks generated; observed
            values unchanged, bit for bit. A DataFrame in gives a DataFrame
            out, with the same index and column names.
        """
        check_is_fitted(self)
        X_in = X
        X, observed = self._check_transform_input(X)
        X = self._fill(X, observed, None, self._draw_generator())[0]
        return same_container(X, X_in)

    @with_torch_threads
    def fit_transform(self, X, y=None):
        """Fit, then fill the training rows' missing blocks, each with its class.

        With labels and a class-conditional prior, a training row's missing
        modality is generated from ``p(x_missing | x_observed, y)``: the
        transfer from its observed modalities is combined with the prior
        Gaussian of its own class (precision-weighted, see Notes), so the
        generated block is drawn toward its class. ``transform`` stays
        label-free: in a :class:`~sklearn.pipeline.Pipeline`, ``fit`` calls
        this method with the training labels, ``predict`` calls
        ``transform`` without any. As with
        :class:`~sklearn.preprocessing.TargetEncoder`, ``fit_transform(X, y)``
        therefore differs from ``fit(X, y).transform(X)`` on incomplete rows.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows; missing modality blocks are all NaN.
        y : array-like of shape (n_samples,), default=None
            Class labels. None (or ``class_conditional=False``): the same as
            ``fit(X).transform(X)``.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features)
            The training rows with their missing blocks generated.
        """
        self.fit(X, y)
        X_in = X
        X, observed = self._check_transform_input(X)
        codes = self._label_codes(y, X.shape[0])
        X = self._fill(X, observed, codes, self._draw_generator())[0]
        return same_container(X, X_in)

    @with_torch_threads
    def sample(self, X, y=None, *, n_draws=1):
        """Draw missing blocks from the posterior, ``n_draws`` times per row.

        Each draw adds Gaussian noise to the fused latent with the spread
        that the transfer left on held-out rows (``latent_residual_std_``),
        whatever ``sample_posterior`` is; with ``y`` (training rows), the
        noise and the centre are those of the class posterior, as in
        :meth:`fit_transform`. Draws are seeded by ``random_state``: the
        same seed gives the same draws. Multiple imputation trains on the
        ``n_draws`` completed copies, each weighted ``1 / n_draws``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Missing modality blocks are all NaN.
        y : array-like of shape (n_samples,), default=None
            Class labels of the rows (labelled training rows only); None
            draws label-free.
        n_draws : int, default=1
            Completed copies of ``X``.

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features)
            Observed values are the same in every draw.
        """
        check_is_fitted(self)
        if (
            not isinstance(n_draws, Integral)
            or isinstance(n_draws, bool)
            or n_draws < 1
        ):
            raise ValueError(
                f"`n_draws` must be an integer >= 1. Got {n_draws!r} instead."
            )
        X, observed = self._check_transform_input(X)
        codes = self._label_codes(y, X.shape[0])
        gen = self._draw_generator(force=True)
        return np.stack(self._fill(X, observed, codes, gen, n_draws=n_draws))

    def _check_transform_input(self, X):
        """Validated copy of ``X`` and its observed mask; generable rows only."""
        # Infinite values: the modalities' columns are scanned once, by
        # observed_modalities (an error naming the modality and rows); only
        # the columns of no modality (passed through) are checked here.
        X, _, observed = validate_modal_data(
            self,
            X,
            reset=False,
            allow_none=False,
            dtype=np.float64,
            copy=True,
            ensure_all_finite=False,
        )
        rest = np.setdiff1d(np.arange(X.shape[1]), modality_columns(self.modalities_))
        if rest.size:
            assert_all_finite(X[:, rest], allow_nan=True, input_name="X")
        missing = ~observed
        if not missing.any():
            return X, observed
        names = list(self.modalities_)
        if len(names) < 2:
            rows = np.flatnonzero(missing.any(axis=1))
            raise ModalityError(
                f"Modality `{names[0]}` is missing in rows {_rows(rows)}, but it "
                "is the only modality, so there is nothing to generate it from. "
                "Define two modalities or more. Got 1 modality instead."
            )
        weights = self.fusion_weights_
        for j, name in enumerate(names):
            support = (observed[:, weights[:, j] > 0]).any(axis=1)
            bad = np.flatnonzero(missing[:, j] & ~support)
            if bad.size:
                never = [names[i] for i in np.flatnonzero(observed[bad[0]])]
                raise ModalityError(
                    f"Modality `{name}` cannot be generated in rows {_rows(bad)}: "
                    f"their observed modalities {never} were never observed "
                    f"together with `{name}` in fit. Got row {int(bad[0])} instead."
                )
        return X, observed

    def _label_codes(self, y, n):
        """Prior class index of each labelled row; None without labels or prior."""
        return _label_codes(y, self.classes_, n)

    def _draw_generator(self, force=False):
        """Seeded torch generator of posterior noise, or None (deterministic)."""
        if not (force or self.sample_posterior):
            return None
        seed = seed_streams(self.random_state, "posterior")["posterior"]
        return torch.Generator().manual_seed(seed)

    def _fill(self, X, observed, codes, gen, n_draws=1):
        """``n_draws`` completed copies of ``X`` (the first is ``X`` itself)."""
        outs = [X] + [X.copy() for _ in range(n_draws - 1)]
        rows = np.flatnonzero((~observed).any(axis=1))
        if not rows.size:
            return outs
        device = self._transform_device()
        if self.module_.prior.mean.device != device:
            self.module_.to(device)
        with torch.inference_mode():
            for start in range(0, rows.size, _CHUNK):
                r = rows[start : start + _CHUNK]
                c = None if codes is None else codes[r]
                self._generate_chunk(outs, r, observed[r], c, gen, device)
        return outs

    def _generate_chunk(self, outs, r, observed, codes, gen, device):
        """Generate the missing blocks of rows ``r`` into every array of ``outs``.

        Only observed blocks are encoded. The fused latent of target ``j`` is
        ``sum_i w_ij z_i`` over the row's observed sources ``i``; its error
        variance is taken as the weighted held-out residual variance. With
        class codes, it is combined with the prior ``N(mu_c, sigma_c^2)`` of
        the row's class (product of Gaussians, per coordinate). The flows of
        all sources run as one batched call, and so do the inverses of all
        targets (:meth:`CouplingFlow.map_groups`); posterior noise is drawn
        target by target, draw by draw, whatever the batching.
        """
        X = outs[0]
        module = self.module_
        n, m = observed.shape
        names = list(self.modalities_)
        cols = list(self.modalities_.values())
        hs, sources = {}, {}
        for k, coder in enumerate(module.coders):
            src = np.flatnonzero(observed[:, k])
            if src.size:
                # (x - mean) / scale in float64, rounded once to float32.
                block = _take(X, r[src], cols[k])  # a new array
                block -= self.mean_[cols[k]]
                xk = np.empty(block.shape, dtype=np.float32)
                np.divide(block, self.scale_[cols[k]], out=xk, casting="same_kind")
                xk = torch.from_numpy(xk).to(device)
                hs[k], sources[k] = coder.encode(xk), src
        latents = module.flow.map_groups(hs)
        z = torch.zeros(m, n, self.latent_dim, device=device)
        for k, src in sources.items():
            z[k, torch.as_tensor(src, device=device)] = latents[k]
        obs = torch.as_tensor(observed, dtype=torch.float32, device=device)
        w = torch.as_tensor(self.fusion_weights_, dtype=torch.float32, device=device)
        res_var = torch.as_tensor(
            self.latent_residual_std_**2, dtype=torch.float32, device=device
        )
        targets, centres, noises = {}, {}, {}
        for j in range(m):
            target = np.flatnonzero(~observed[:, j])
            if not target.size:
                continue
            t = torch.as_tensor(target, device=device)
            weight = obs[t] * w[:, j]  # (n_t, m)
            weight = weight / weight.sum(dim=1, keepdim=True)
            centre = torch.einsum("nm,mnd->nd", weight, z[:, t])
            var = None
            if gen is not None or codes is not None:
                var = torch.einsum("nm,md->nd", weight, res_var[:, j])
            if codes is not None:
                c = torch.as_tensor(codes[target], device=device)
                prior_var = torch.exp(2 * module.prior.log_std[c])
                precision = 1 / var.clamp(min=1e-12) + 1 / prior_var
                centre = (
                    centre / var.clamp(min=1e-12) + module.prior.mean[c] / prior_var
                ) / precision
                var = 1 / precision
            targets[j], centres[j] = target, centre
            if gen is not None:
                std = var.sqrt()
                noises[j] = [
                    torch.randn(centre.shape, generator=gen).to(device) * std
                    for _ in outs
                ]
        for draw, out in enumerate(outs):
            z_hat = {
                j: centre + noises[j][draw] if gen is not None else centre
                for j, centre in centres.items()
            }
            backs = module.flow.map_groups(z_hat, inverse=True)
            for j, target in targets.items():
                x_hat = module.coders[j].decode(backs[j]).cpu().numpy()
                values = x_hat * self.scale_[cols[j]]  # float64
                values += self.mean_[cols[j]]
                # A finite sum means all finite (and skips a full scan).
                if not np.isfinite(values.sum()) and not np.isfinite(values).all():
                    raise FloatingPointError(
                        f"Generating modality `{names[j]}` produced non-finite "
                        "values; the flow inverse overflowed. Refit with a "
                        "smaller `lr`. Got inf or NaN instead."
                    )
                _put(out, r[target], cols[j], values)

    def _transform_device(self):
        if self.device_ == "cuda" and torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")

    # ------------------------------------------------------------- plumbing
    def __getstate__(self):
        # Plain values and CPU arrays only (see sklearn_skll._persist): safe
        # for skops.io, and a model fitted on CUDA loads on a CPU machine.
        state = dict(super().__getstate__())
        module = state.pop("module_", None)
        if module is not None:
            state["module_"] = {"state_dict": module_to_arrays(module)}
            state["device_"] = "cpu"
            state["history_"] = [dict(row) for row in state["history_"]]
        return to_portable(state)

    def __setstate__(self, state):
        state = from_portable(dict(state))
        module = state.pop("module_", None)
        super().__setstate__(state)
        if "history_" in state:
            self.history_ = History(state["history_"])
        if module is not None:
            n_classes = 1 if self.classes_ is None else self.classes_.size
            self.module_ = arrays_to_module(
                empty_module(lambda: self._new_module(n_classes)),
                module["state_dict"],
            ).eval()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags
