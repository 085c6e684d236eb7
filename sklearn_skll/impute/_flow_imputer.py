"""FlowImputer: generate missing modalities with class-conditional flows."""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import same_container
from .._device import resolve_device
from .._modalities import observed_modalities, resolve_modalities
from .._threads import with_torch_threads
from ..exceptions import ModalityError
from ._flows import FlowModule

__all__ = ["FlowImputer"]

_LN2 = float(np.log(2.0))
#: Rows per forward pass at transform time and in evaluation (bounds memory).
_CHUNK = 8192


def _check_fit_observed(X, modalities):
    """Observed mask of fit's ``X``; every modality seen, and seen with another."""
    names = list(modalities)
    observed = observed_modalities(X, modalities, partial="raise", allow_none=False)
    never = [names[k] for k in np.flatnonzero(~observed.any(axis=0))]
    if never:
        raise ModalityError(
            f"Modalities {never} are never observed in the rows given to fit, "
            "so they cannot be learned. Got only NaN in their columns instead."
        )
    if len(names) > 1:
        n_rows = observed.T.astype(np.int64) @ observed.astype(np.int64)
        for k, name in enumerate(names):
            if n_rows[k].sum() == n_rows[k, k]:
                raise ModalityError(
                    f"Modality `{name}` is never observed in the same row as "
                    "another modality, so no cross-modal mapping to or from it "
                    "can be learned: fit needs rows with several observed "
                    "modalities (complete rows). Got 0 such rows instead."
                )
    return observed


def _random_subsets(available, gen):
    """Per row, a uniformly sized random non-empty subset of the True entries."""
    n, m = available.shape
    u = torch.rand(n, m + 1, generator=gen).to(available.device)
    n_avail = available.sum(dim=1)
    size = (u[:, 0] * n_avail).floor() + 1
    scores = torch.where(available, u[:, 1:], torch.full_like(u[:, 1:], 2.0))
    rank = scores.argsort(dim=1).argsort(dim=1)
    return available & (rank < size[:, None])


def _rows(rows, limit=10):
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"[{shown}{more}]"


class FlowImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
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

    Parameters
    ----------
    modalities : dict or None
        Mapping ``name -> column selector`` (as in
        :class:`~sklearn.compose.ColumnTransformer`). ``None`` is one modality
        of all columns: then nothing can be generated, and only rows with
        nothing missing can be transformed (they pass through). On a
        DataFrame, a modality that names columns none of which is present is
        left out (an earlier step dropped it).
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
        (multiple imputation); draws are seeded by ``random_state``.
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
        posterior draws. The same seed gives the same output on CPU. Global
        RNGs (numpy, torch) are left untouched.
    verbose : int, default=0
        0 silent, 1 a progress bar over epochs, 2 one line per epoch.

    Attributes
    ----------
    modalities_ : dict of str -> ndarray of int
        Column indices of each modality.
    classes_ : ndarray or None
        Class labels of the prior's Gaussians, None when a single Gaussian.
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization of each column, from its observed values only.
    module_ : torch.nn.Module
        The encoders, flows, decoders and the shared prior.
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
    history_ : list of dict
        Per epoch: ``train_loss``, ``valid_loss`` (NaN without validation),
        ``nll_bpd`` (Eq. 5 in bits per dimension), ``recon``, ``transfer``
        (training averages) and ``valid_transfer``.
    n_epochs_ : int
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

    Training is a plain torch loop with tensors on ``device`` (no skorch):
    the loss mixes several modalities, masks and random source subsets per
    batch, which a skorch ``NeuralNet`` would only hide in a custom
    ``get_loss``; early stopping restores the best parameters. Rows missing
    a modality still train its neighbours: every term is masked per row.

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
    """

    _parameter_constraints: dict = {
        "modalities": [dict, None],
        "latent_dim": [Interval(Integral, 2, None, closed="left")],
        "n_flows": [Interval(Integral, 2, None, closed="left")],
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "class_conditional": ["boolean"],
        "sample_posterior": ["boolean"],
        "transfer_weight": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        modalities,
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
        if not hasattr(X, "shape"):  # lists and array-likes: selectors need a 2-D shape
            X = np.asarray(X)
        modalities = resolve_modalities(self.modalities, X, absent="skip")
        if y is None:
            X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        else:
            X, y = validate_data(
                self, X, y, dtype=np.float64, ensure_all_finite="allow-nan"
            )
        self.modalities_ = modalities
        observed = _check_fit_observed(X, modalities)
        codes, n_classes = self._encode_classes(y, X.shape[0])

        self.device_ = resolve_device(self.device)
        device = torch.device(self.device_)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        gen = torch.Generator().manual_seed(seed)

        all_cols = np.concatenate(list(modalities.values()))
        self.mean_ = np.zeros(X.shape[1])
        self.scale_ = np.ones(X.shape[1])
        block = X[:, all_cols]
        self.mean_[all_cols] = np.nanmean(block, axis=0)
        std = np.nanstd(block, axis=0)
        self.scale_[all_cols] = np.where(std > 0, std, 1.0)

        widths = [idx.size for idx in modalities.values()]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = FlowModule(
                widths, self.latent_dim, self.n_flows, self.hidden_dim, n_classes
            )
        self.module_ = module.to(device)
        cols = self._column_tensors(device)

        Xt = self._standardize(X, device)
        Ot = torch.as_tensor(observed, device=device)
        Ct = torch.as_tensor(codes, device=device)
        n = X.shape[0]
        n_val = int(np.floor(self.validation_fraction * n))
        perm = torch.randperm(n, generator=gen).to(device)
        if n_val < 1 or n - n_val < 1:
            train_idx, val_idx = perm, perm[:0]
        else:
            val_idx, train_idx = perm[:n_val], perm[n_val:]
        self._train(Xt, Ot, Ct, cols, train_idx, val_idx, gen)
        self._measure_transfer(Xt, Ot, cols, train_idx, val_idx)
        return self

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

    def _column_tensors(self, device):
        return [
            torch.as_tensor(idx, device=device) for idx in self.modalities_.values()
        ]

    def _standardize(self, X, device):
        Xs = (X - self.mean_) / self.scale_
        Xs = np.nan_to_num(Xs, nan=0.0)
        return torch.as_tensor(Xs, dtype=torch.float32, device=device)

    def _fuse(self, z, sources, j):
        """Weighted mean of the source latents ``z`` (m, n, d) for target ``j``."""
        weight = sources.to(z.dtype) * torch.exp(self.module_.fusion_logits[:, j])
        weight = weight / weight.sum(dim=1, keepdim=True).clamp(min=1e-12)
        return torch.einsum("nm,mnd->nd", weight, z), weight

    def _losses(self, x, obs, c, cols, gen=None):
        """Eq. 5 (bits/dim), own reconstruction and cross-modal transfer losses.

        With a generator ``gen`` (training), each row's transfer to a target
        fuses a random non-empty subset of its other observed modalities, so
        that every subset of sources is learned; without (evaluation), all.
        """
        module = self.module_
        d = self.latent_dim
        nll_sum = x.new_zeros(())
        n_obs = x.new_zeros(())
        recon = x.new_zeros(())
        latents, xs = [], []
        for k, mf in enumerate(module.modalities):
            mask = obs[:, k].to(x.dtype)
            xk = x[:, cols[k]]
            h = mf.encode(xk)
            z, logdet = mf.flow(h.detach())
            nll = -(module.prior.log_prob(z, c) + logdet) / (d * _LN2)
            nll_sum = nll_sum + (nll * mask).sum()
            n_obs = n_obs + mask.sum()
            err = ((mf.decode(h) - xk) ** 2).mean(dim=1)
            recon = recon + (err * mask).sum() / mask.sum().clamp(min=1)
            latents.append(mf.flow(h)[0] if self.transfer_weight > 0 else None)
            xs.append(xk)
        transfer = x.new_zeros(())
        m = len(module.modalities)
        if self.transfer_weight > 0 and m > 1:
            z = torch.stack(latents)  # (m, b, d)
            n_targets = 0
            for j, mf in enumerate(module.modalities):
                sources = obs.clone()
                sources[:, j] = False
                rows = (obs[:, j] & sources.any(dim=1)).to(x.dtype)
                if not bool(rows.any()):
                    continue
                if gen is not None:
                    sources = _random_subsets(sources, gen)
                x_hat = mf.decode(mf.flow.inverse(self._fuse(z, sources, j)[0]))
                err = ((x_hat - xs[j]) ** 2).mean(dim=1)
                transfer = transfer + (err * rows).sum() / rows.sum()
                n_targets += 1
            transfer = transfer / max(n_targets, 1)
        nll_bpd = nll_sum / n_obs.clamp(min=1)
        total = nll_bpd + recon + self.transfer_weight * transfer
        return total, nll_bpd, recon, transfer

    def _evaluate(self, Xt, Ot, Ct, cols, idx):
        sums = np.zeros(4)
        with torch.no_grad():
            for start in range(0, idx.numel(), _CHUNK):
                b = idx[start : start + _CHUNK]
                parts = self._losses(Xt[b], Ot[b], Ct[b], cols)
                sums += b.numel() * np.array([float(p) for p in parts])
        return sums / max(idx.numel(), 1)

    def _train(self, Xt, Ot, Ct, cols, train_idx, val_idx, gen):
        module = self.module_
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr)
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
            from tqdm.auto import tqdm

            epochs = tqdm(epochs, desc="[FlowImputer] epochs")
        self.history_ = []
        best_loss, best_state, best_epoch, waited = np.inf, None, 0, 0
        n_train = train_idx.numel()
        for epoch in epochs:
            module.train()
            order = train_idx[torch.randperm(n_train, generator=gen).to(Xt.device)]
            sums = np.zeros(4)
            for start in range(0, n_train, self.batch_size):
                b = order[start : start + self.batch_size]
                parts = self._losses(Xt[b], Ot[b], Ct[b], cols, gen)
                optimizer.zero_grad()
                parts[0].backward()
                optimizer.step()
                sums += b.numel() * np.array([float(p.detach()) for p in parts])
            train = sums / n_train
            module.eval()
            valid = self._evaluate(Xt, Ot, Ct, cols, val_idx) if has_val else None
            score = valid[monitor] if has_val else train[0]
            self.history_.append(
                {
                    "epoch": epoch + 1,
                    "train_loss": train[0],
                    "valid_loss": valid[0] if has_val else np.nan,
                    "nll_bpd": train[1],
                    "recon": train[2],
                    "transfer": train[3],
                    "valid_transfer": valid[3] if has_val else np.nan,
                }
            )
            if self.verbose >= 2:
                print(
                    f"[FlowImputer] epoch {epoch + 1}: train {train[0]:.4f} "
                    f"valid {valid[0] if has_val else float('nan'):.4f} "
                    f"nll {train[1]:.3f} bits/dim"
                )
            if score < best_loss:
                best_loss, best_epoch, waited = score, epoch + 1, 0
                best_state = copy.deepcopy(module.state_dict())
            else:
                waited += 1
                if has_val and waited >= self.patience:
                    break
        self.n_epochs_ = len(self.history_)
        self.best_epoch_ = best_epoch
        if best_state is not None:
            module.load_state_dict(best_state)
        module.eval()

    def _latents(self, Xt, cols):
        """Latent ``F_k(enc_k(x_k))`` of every modality, shape (m, n, d)."""
        with torch.no_grad():
            return torch.stack(
                [
                    mf.flow(mf.encode(Xt[:, cols[k]]))[0]
                    for k, mf in enumerate(self.module_.modalities)
                ]
            )

    def _measure_transfer(self, Xt, Ot, cols, train_idx, val_idx):
        """Held-out transfer error and latent residual spread per (source, target)."""
        m, d = len(self.modalities_), self.latent_dim
        mse = np.full((m, m), np.nan)
        res_std = np.zeros((m, m, d))
        for idx in (val_idx, train_idx):
            if (
                idx.numel() == 0
                or m < 2
                or not np.isnan(mse[~np.eye(m, dtype=bool)]).any()
            ):
                continue
            sums = np.zeros((m, m))
            counts = np.zeros((m, m))
            sq = np.zeros((m, m, d))
            for start in range(0, idx.numel(), _CHUNK):
                b = idx[start : start + _CHUNK]
                x, obs = Xt[b], Ot[b]
                z = self._latents(x, cols)
                with torch.no_grad():
                    for j, mf in enumerate(self.module_.modalities):
                        for i in range(m):
                            rows = obs[:, i] & obs[:, j]
                            if i == j or not bool(rows.any()):
                                continue
                            x_hat = mf.decode(mf.flow.inverse(z[i][rows]))
                            err = ((x_hat - x[rows][:, cols[j]]) ** 2).mean(dim=1)
                            sums[i, j] += float(err.sum())
                            counts[i, j] += float(rows.sum())
                            diff = z[j][rows] - z[i][rows]
                            sq[i, j] += (diff**2).sum(dim=0).cpu().numpy()
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
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            copy=True,
        )
        observed = observed_modalities(
            X, self.modalities_, partial="raise", allow_none=False
        )
        missing = ~observed
        if not missing.any():
            return same_container(X, X_in)
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
        rows = np.flatnonzero(missing.any(axis=1))
        device = self._transform_device()
        self.module_.to(device)
        gen = None
        if self.sample_posterior:
            seed = int(
                check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            )
            gen = torch.Generator().manual_seed(seed)
        cols = self._column_tensors(device)
        w = torch.as_tensor(weights, dtype=torch.float32, device=device)
        res_var = torch.as_tensor(
            self.latent_residual_std_**2, dtype=torch.float32, device=device
        )
        for start in range(0, rows.size, _CHUNK):
            r = rows[start : start + _CHUNK]
            self._generate_chunk(X, r, observed[r], cols, w, res_var, gen, device)
        return same_container(X, X_in)

    def _generate_chunk(self, X, r, observed, cols, w, res_var, gen, device):
        Xt = self._standardize(X[r], device)
        obs = torch.as_tensor(observed, dtype=torch.float32, device=device)
        z = self._latents(Xt, cols)  # (m, n, d)
        for j, (name, idx) in enumerate(self.modalities_.items()):
            target = np.flatnonzero(~observed[:, j])
            if not target.size:
                continue
            t = torch.as_tensor(target, device=device)
            weight = obs[t] * w[:, j]  # (n_t, m)
            weight = weight / weight.sum(dim=1, keepdim=True)
            z_hat = torch.einsum("nm,mnd->nd", weight, z[:, t])
            if gen is not None:
                var = torch.einsum("nm,md->nd", weight, res_var[:, j])
                noise = torch.randn(z_hat.shape, generator=gen).to(device)
                z_hat = z_hat + noise * var.sqrt()
            mf = self.module_.modalities[j]
            with torch.no_grad():
                x_hat = mf.decode(mf.flow.inverse(z_hat)).cpu().double().numpy()
            values = x_hat * self.scale_[idx] + self.mean_[idx]
            if not np.isfinite(values).all():
                raise FloatingPointError(
                    f"Generating modality `{name}` produced non-finite values; "
                    "the flow inverse overflowed. Refit with a smaller `lr`. Got "
                    "inf or NaN instead."
                )
            X[np.ix_(r[target], idx)] = values

    def _transform_device(self):
        if self.device_ == "cuda" and torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")

    # ------------------------------------------------------------- plumbing
    def __getstate__(self):
        state = super().__getstate__()
        module = state.get("module_")
        if module is not None and next(module.parameters()).device.type != "cpu":
            state["module_"] = copy.deepcopy(module).to("cpu")
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags
