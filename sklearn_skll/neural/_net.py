"""MultimodalNetClassifier: a skorch-trained net for rows with missing modalities."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.history import History
from tqdm.auto import tqdm

from .._base import format_rows, seed_streams, validate_modal_data
from .._compat import Interval, StrOptions, _fit_context
from .._device import DEVICES, resolve_device
from .._persist import arrays_to_module, from_portable, module_to_arrays, to_portable
from .._scaling import mean_and_scale
from .._threads import with_torch_threads
from ..exceptions import ModalityError
from ._modules import MultimodalNet
from ._optim import FusedAdamW

__all__ = ["MultimodalNetClassifier"]


class _NeuralNetClassifier(NeuralNetClassifier):
    """skorch's classifier with a lean training loop.

    skorch runs every batch through callbacks (``on_batch_begin``,
    ``on_grad_computed``, ``on_batch_end``), a closure handed to the optimizer
    and a data loader; for a small net on a CPU that Python work costs as much
    as the arithmetic. Here an epoch is: one shuffle of the training tensors
    (already on the device; the batches are then contiguous slices), and per
    batch one forward, backward and optimizer step. The batch losses are
    read back together at the end of the epoch (one device sync) and written
    to the history as skorch would. The epoch-level callbacks (early
    stopping, the epoch timer, the loss records, the progress bar, the epoch
    table) run as in skorch; batch-level callbacks are not called.
    ``valid_acc`` is computed from the logits of the validation pass instead
    of by a scoring callback (one forward pass less).
    """

    def get_default_callbacks(self):
        # skorch's PrintLog formats the epoch table even when it prints
        # nothing: kept only when the table is shown.
        dropped = {"valid_acc"} | ({"print_log"} if not self.verbose else set())
        return [
            (name, callback)
            for name, callback in super().get_default_callbacks()
            if name not in dropped
        ]

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        self.check_data(X, y)
        self.check_training_readiness()
        dataset_train, dataset_valid = self.get_split_datasets(X, y)
        on_epoch = {"dataset_train": dataset_train, "dataset_valid": dataset_valid}
        train = self._to_device(dataset_train)
        valid = self._to_device(dataset_valid)
        for _ in range(self.max_epochs if epochs is None else epochs):
            self.notify("on_epoch_begin", **on_epoch)
            self._train_epoch(*train)
            if valid is not None:
                self._valid_epoch(*valid)
            self.notify("on_epoch_end", **on_epoch)
        return self

    def _to_device(self, dataset):
        if dataset is None:
            return None
        inputs = {key: value.to(self.device) for key, value in dataset.X.items()}
        return inputs, dataset.y.to(self.device)

    def _train_epoch(self, inputs, targets):
        module, optimizer, criterion = self.module_, self.optimizer_, self.criterion_
        module.train()
        n = targets.shape[0]
        # Same draw from torch's default generator as a shuffled loader.
        order = torch.randperm(n).to(targets.device)
        inputs = {key: value.index_select(0, order) for key, value in inputs.items()}
        targets = targets.index_select(0, order)
        losses, sizes = [], []
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            logits = module(**{key: value[start:stop] for key, value in inputs.items()})
            loss = criterion(logits, targets[start:stop])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            sizes.append(stop - start)
        self._record_batches("train", losses, sizes)

    def _valid_epoch(self, inputs, targets):
        module, criterion = self.module_, self.criterion_
        module.eval()
        n = targets.shape[0]
        chunk = self.iterator_valid__batch_size
        losses, sizes, correct = [], [], 0
        with torch.inference_mode():
            for start in range(0, n, chunk):
                stop = min(start + chunk, n)
                part = {key: value[start:stop] for key, value in inputs.items()}
                logits = module(**part)
                losses.append(criterion(logits, targets[start:stop]))
                correct = correct + (logits.argmax(dim=1) == targets[start:stop]).sum()
                sizes.append(stop - start)
        self._record_batches("valid", losses, sizes)
        self.history.record("valid_acc", int(correct) / n)

    def _record_batches(self, prefix, losses, sizes):
        history = self.history
        for loss, size in zip(torch.stack(losses).tolist(), sizes):
            history.new_batch()
            history.record_batch(prefix + "_loss", loss)
            history.record_batch(prefix + "_batch_size", size)
        history.record(prefix + "_batch_count", len(sizes))

    def probabilities(self, inputs):
        """Softmax of the logits, in eval mode, chunk by chunk; a float32 array."""
        module = self.module_
        module.eval()
        n = next(iter(inputs.values())).shape[0]
        chunk = self.iterator_valid__batch_size
        out = []
        with torch.inference_mode():
            for start in range(0, n, chunk):
                part = {
                    key: value[start : start + chunk].to(self.device)
                    for key, value in inputs.items()
                }
                out.append(torch.softmax(module(**part), dim=1).cpu())
        return torch.cat(out).numpy()


class _EarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping``, the best weights kept as clones.

    skorch keeps them as ``deepcopy(module.state_dict())``, whose per-tensor
    Python overhead costs a few times more than cloning the tensors (the
    same values). Everything else is skorch's.
    """

    def on_epoch_end(self, net, **kwargs):
        load_best, self.load_best = self.load_best, False
        try:
            super().on_epoch_end(net, **kwargs)
        finally:
            self.load_best = load_best
        if load_best and self.misses_ == 0:  # this epoch is the best one
            state = net.module_.state_dict()
            self.best_model_weights_ = {k: v.detach().clone() for k, v in state.items()}


class _EpochProgress(Callback):
    """A tqdm bar over epochs, for ``verbose=1``."""

    def __init__(self, max_epochs):
        self.max_epochs = max_epochs

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(total=self.max_epochs, desc="[MultimodalNetClassifier] epochs")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        shown = {k: f"{row[k]:.4f}" for k in ("train_loss", "valid_loss") if k in row}
        self.bar_.set_postfix(shown, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)
        return state


class MultimodalNetClassifier(ClassifierMixin, BaseEstimator):
    """Neural classifier with one encoder per modality, trained through skorch.

    Each modality (a group of columns of ``X``) is standardized with
    statistics of its observed values and encoded by its own two-layer MLP
    into an embedding. A modality that is missing in a row (all its columns
    NaN) is replaced by a learned "missing" embedding of that modality. The
    embeddings are fused (concatenation, a small transformer over modality
    tokens, or a mixture of experts routed by which modalities are present)
    and classified. ``modality_dropout`` hides observed modalities at random
    during training, so that one trained net predicts from any modality
    subset.

    Training is done by a wrapped :class:`skorch.NeuralNetClassifier`
    (``net_``) with a lean epoch loop: AdamW, cross-entropy, early stopping
    on a stratified validation split with the best weights restored.

    Read more in the :ref:`User Guide <multimodal_net>`.

    Parameters
    ----------
    modalities : dict or None, default=None
        Mapping ``name -> column selector`` (see
        :func:`sklearn_skll.resolve_modalities`). ``None`` means one modality
        made of every column. Columns outside every modality are ignored.
        A modality whose columns are all absent is an error, unless an
        earlier step recorded dropping it (a
        :class:`~sklearn_skll.ModalitySelector` with ``drop_unselected=True``
        on a DataFrame); then it is left out.
    fusion : {"concat", "attention", "moe"}, default="concat"
        How modality embeddings are combined: ``"concat"`` (late fusion by an
        MLP over the concatenated embeddings), ``"attention"`` (embeddings
        plus a learned modality-type embedding as tokens of a transformer
        encoder, mean-pooled) or ``"moe"`` (a mixture of ``n_experts`` MLP
        heads; the router sees the presence mask, as in Flex-MoE).
    encoder_hidden : int, default=64
        Hidden width of each modality encoder.
    embed_dim : int, default=32
        Size of each modality embedding (the token size of ``"attention"``).
        16 makes an epoch 0.7-0.8 times as long with ``"attention"`` and
        0.8-0.9 times with ``"concat"``. Paired over 20 seeds
        (``bench/experiments_net_speed.py --params embed_dim=16``) it made
        no difference on ``alzheimers``, ``breast_cancer`` and ``synthetic``
        (where it leaned 0.8-0.9 points lower) and cost 0.19 points
        [0.02, 0.36] with ``"attention"`` on ``multiple_features``: the
        default stays 32.
    fusion_hidden : int, default=64
        Hidden width of the fusion head (feed-forward width of the
        transformer, hidden width of each expert).
    dropout : float, default=0.1
        Dropout rate of the fusion head: on its hidden units for
        ``"concat"`` and ``"moe"``, on the pooled tokens before the
        classifier for ``"attention"``. The encoders and the transformer
        layers have none: on CPU their random draws cost more than they
        brought (no measured accuracy gain).
    modality_dropout : float, default=0.0
        Probability of hiding each observed modality of a training row in an
        epoch. A row always keeps at least one observed modality.
    n_heads : int, default=4
        Attention heads (``fusion="attention"``); must divide ``embed_dim``.
    n_layers : int, default=1
        Transformer layers (``fusion="attention"``).
    n_experts : int, default=4
        Experts (``fusion="moe"``).
    top_k : int, default=2
        Experts mixed per row (``fusion="moe"``).
    max_epochs : int, default=100
        Maximum number of passes over the training data.
    lr : float, default=1e-3
        AdamW learning rate.
    batch_size : int, default=128
        Mini-batch size.
    weight_decay : float, default=0.005
        AdamW (decoupled) weight decay.
    validation_fraction : float, default=0.1
        Fraction of the training rows held out, stratified by class, to
        monitor the validation loss for early stopping. ``0`` trains on every
        row for ``max_epochs`` epochs. When a class has fewer than two rows
        the split is not stratified.
    patience : int, default=10
        Epochs without improvement of the validation loss before stopping;
        the weights of the best epoch are restored.
    all_missing : {"raise", "prior"}, default="raise"
        What to do with a row where every modality is missing: raise a
        :class:`~sklearn_skll.ModalityError`, or (``"prior"``) drop it from
        training and predict the training class frequencies for it.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and predict. ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Decides the weight initialization, the validation split, the batch
        order and every dropout draw. The global numpy and torch random
        states are left untouched.
    verbose : int, default=0
        0 silent, 1 a progress bar over epochs, 2 skorch's epoch table.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    modalities_ : dict of str -> ndarray of int
        Resolved column indices of each modality.
    mean_ : ndarray of shape (n_used_columns,)
        Mean of the observed values of each modality column.
    scale_ : ndarray of shape (n_used_columns,)
        Standard deviation of the observed values (1 where it is 0).
    class_prior_ : ndarray of shape (n_classes,)
        Training class frequencies.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net (its ``module_`` is the torch network).
    history_ : skorch.callbacks.History
        Per-epoch training record (``train_loss``, ``valid_loss``,
        ``valid_acc``, ``dur``...).
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Epoch (1-based) whose weights were kept.
    device_ : str
        Device the net was trained on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Single-modality MLP.

    Notes
    -----
    Missing modalities use one learned embedding per modality, not one per
    combination of present modalities as in Flex-MoE: there are ``M`` such
    vectors instead of ``2^M``, each trained by every row that lacks its
    modality, and the fusion (the router for ``"moe"``, the tokens for
    ``"attention"``) already sees the whole combination.

    Nothing NaN ever reaches torch: the net receives standardized values with
    missing blocks set to 0 and a boolean presence mask.

    The validation split is drawn here (stratified by class when every class
    has two rows or more) and handed to skorch with ``predefined_split``;
    early stopping is skorch's ``EarlyStopping(load_best=True)``. The
    training tensors are moved to the device once and shuffled once per
    epoch; a batch is a contiguous slice, and costs one forward, one backward
    and one optimizer step. skorch's epoch-level callbacks run and its
    history is kept (per batch and per epoch), but no batch-level callback
    is called (and skorch's epoch table is built only with ``verbose=2``).
    The encoders of all modalities form one autograd node with a
    hand-written backward; so does the whole attention fusion in training
    (its transformer layers are written for a handful of tokens). Prediction
    runs under ``torch.inference_mode``. Validation uses the full presence
    mask even when ``modality_dropout > 0``.

    A model fitted on CUDA is pickled with its network on the CPU, so it
    unpickles and predicts on a machine without a GPU.

    References
    ----------
    Yun et al., "Flex-MoE: Modeling arbitrary modality combination via the
    flexible mixture-of-experts", NeurIPS 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_skll.neural import MultimodalNetClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 6))
    >>> y = (X[:, 0] + X[:, 3] > 0).astype(int)
    >>> X[:50, 3:] = np.nan  # the second modality is missing in 50 rows
    >>> clf = MultimodalNetClassifier(
    ...     modalities={"a": [0, 1, 2], "b": [3, 4, 5]}, max_epochs=20,
    ...     random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        "modalities": [dict, None],
        "fusion": [StrOptions({"concat", "attention", "moe"})],
        "encoder_hidden": [Interval(Integral, 1, None, closed="left")],
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "fusion_hidden": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "modality_dropout": [Interval(Real, 0, 1, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "n_experts": [Interval(Integral, 1, None, closed="left")],
        "top_k": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "all_missing": [StrOptions({"raise", "prior"})],
        "device": [DEVICES],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        modalities=None,
        fusion="concat",
        encoder_hidden=64,
        embed_dim=32,
        fusion_hidden=64,
        dropout=0.1,
        modality_dropout=0.0,
        n_heads=4,
        n_layers=1,
        n_experts=4,
        top_k=2,
        max_epochs=100,
        lr=1e-3,
        batch_size=128,
        weight_decay=0.005,
        validation_fraction=0.1,
        patience=10,
        all_missing="raise",
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.fusion = fusion
        self.encoder_hidden = encoder_hidden
        self.embed_dim = embed_dim
        self.fusion_hidden = fusion_hidden
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.n_experts = n_experts
        self.top_k = top_k
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.all_missing = all_missing
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    @with_torch_threads
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data; a missing modality is an all-NaN block.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : MultimodalNetClassifier
            The fitted estimator.
        """
        X, y, present = validate_modal_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        n_classes = self.classes_.size
        if n_classes < 2:
            raise ValueError(
                "MultimodalNetClassifier needs samples of at least 2 classes in "
                f"`y`. Got 1 class ({self.classes_[0]!r}) instead."
            )
        if self.fusion == "attention" and self.embed_dim % self.n_heads:
            raise ValueError(
                f"`embed_dim` must be divisible by `n_heads` for "
                f"fusion='attention'. Got embed_dim={self.embed_dim} and "
                f"n_heads={self.n_heads} instead."
            )
        device = resolve_device(self.device)

        self.class_prior_ = np.bincount(y_encoded, minlength=n_classes) / y.size
        keep = self._rows_with_a_modality(present)
        if not keep.all():
            X, y_encoded, present = X[keep], y_encoded[keep], present[keep]
        never = ~present.any(axis=0)
        if never.any():
            names = [n for n, v in zip(self.modalities_, never) if v]
            warnings.warn(
                f"Modalities {names} are never observed in the training data; "
                "their encoders stay untrained and only their missing "
                "embedding is learned.",
                UserWarning,
                stacklevel=2,
            )

        # Modality columns side by side, modality after modality.
        self._used_columns = np.concatenate(list(self.modalities_.values()))
        values, missing = self._take_columns(X)
        # Scaled by each column's largest |value| first: finite for any
        # finite data (plain squares overflow near 1e154).
        self.mean_, self.scale_ = mean_and_scale(np.where(missing, np.nan, values))
        values -= self.mean_
        values /= self.scale_
        values[missing] = 0.0

        seeds = seed_streams(self.random_state, "split", "torch")
        inputs = self._as_tensors(values, present)
        targets = torch.as_tensor(y_encoded, dtype=torch.long)
        train_idx, valid_idx = self._split(y_encoded, seeds["split"])
        self.net_ = self._train(
            inputs, targets, train_idx, valid_idx, seeds["torch"], device
        )
        self.device_ = device
        self.history_ = self.net_.history
        self.n_iter_ = len(self.history_)
        stopper = dict(self.net_.callbacks_).get("early_stopping")
        # EarlyStopping's own record of the epoch whose weights it restored.
        self.best_epoch_ = getattr(stopper, "best_epoch_", None) or self.n_iter_
        return self

    def _rows_with_a_modality(self, present):
        """Boolean mask of rows to keep; handles rows with no modality at all."""
        none = ~present.any(axis=1)
        if none.any() and self.all_missing == "raise":
            rows = np.flatnonzero(none)
            raise ModalityError(
                f"Rows {format_rows(rows)} "
                f"have every modality missing ({list(self.modalities_)}). Drop "
                "them, or set all_missing='prior' to predict the class prior "
                f"for them. Got {rows.size} all-NaN rows instead."
            )
        if none.all():
            raise ModalityError(
                "Every training row has every modality missing; nothing can be "
                f"learned. Got {none.size} all-NaN rows instead."
            )
        return ~none

    def _split(self, y, seed):
        """Train/validation row indices (validation None when not used)."""
        n = y.size
        rows = np.arange(n)
        n_valid = math.ceil(self.validation_fraction * n)
        if self.validation_fraction == 0 or n_valid >= n:
            return rows, None
        counts = np.bincount(y)
        n_classes = np.count_nonzero(counts)
        if counts[counts > 0].min() >= 2 and n_classes <= n_valid <= n - n_classes:
            splitter = StratifiedShuffleSplit(1, test_size=n_valid, random_state=seed)
        else:
            splitter = ShuffleSplit(1, test_size=n_valid, random_state=seed)
        train, valid = next(splitter.split(rows.reshape(-1, 1), y))
        return np.sort(train), np.sort(valid)

    def _take_columns(self, X):
        """Float64 copy of the modality columns, NaN set to 0; and the NaN mask."""
        cols = self._used_columns
        if cols.size == X.shape[1] and np.array_equal(cols, np.arange(cols.size)):
            values = np.array(X, dtype=np.float64, order="C", copy=True)
        else:
            values = X[:, cols].astype(np.float64, copy=False)
        missing = np.isnan(values)
        values[missing] = 0.0
        return values, missing

    @staticmethod
    def _as_tensors(values, present):
        return {
            "x": torch.from_numpy(values.astype(np.float32)),
            "mask": torch.from_numpy(np.ascontiguousarray(present, dtype=bool)),
        }

    def _net_inputs(self, X, present):
        """Dict of tensors for skorch: standardized values with NaN -> 0, mask."""
        values, missing = self._take_columns(X)
        values -= self.mean_
        values /= self.scale_
        values[missing] = 0.0
        return self._as_tensors(values, present)

    def _module(self, n_classes):
        return MultimodalNet(
            [idx.size for idx in self.modalities_.values()],
            n_classes,
            fusion=self.fusion,
            encoder_hidden=self.encoder_hidden,
            embed_dim=self.embed_dim,
            fusion_hidden=self.fusion_hidden,
            dropout=self.dropout,
            modality_dropout=self.modality_dropout,
            n_heads=self.n_heads,
            n_layers=self.n_layers,
            n_experts=self.n_experts,
            top_k=self.top_k,
        )

    def _train(self, inputs, targets, train_idx, valid_idx, seed, device):
        def take(idx):
            return {k: v[idx] for k, v in inputs.items()}, targets[idx]

        callbacks = []
        if valid_idx is not None:
            X_valid, y_valid = take(torch.as_tensor(valid_idx))
            train_split = predefined_split(Dataset(X_valid, y_valid))
            early_stopping = _EarlyStopping(
                monitor="valid_loss", patience=self.patience, load_best=True
            )
            callbacks.append(("early_stopping", early_stopping))
        else:
            train_split = None
        if self.verbose == 1:
            callbacks.append(("epoch_progress", _EpochProgress(self.max_epochs)))
        X_train, y_train = take(torch.as_tensor(train_idx))
        n_classes = self.classes_.size

        cuda_devices = [torch.device(device).index or 0] if device != "cpu" else []
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            net = _NeuralNetClassifier(
                self._module(n_classes),
                criterion=torch.nn.CrossEntropyLoss,
                optimizer=FusedAdamW,
                lr=self.lr,
                optimizer__weight_decay=self.weight_decay,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                iterator_valid__batch_size=max(self.batch_size, 1024),
                train_split=train_split,
                callbacks=callbacks,
                classes=np.arange(n_classes),
                device=device,
                verbose=int(self.verbose >= 2),
            )
            net.fit(X_train, y_train)
        for _, callback in net.callbacks_:
            if isinstance(callback, EarlyStopping):
                callback.best_model_weights_ = None  # a copy of the weights
        return net

    # -------------------------------------------------------------- predict
    @with_torch_threads
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples; missing modalities are all-NaN blocks.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in the order of ``classes_``.
        """
        check_is_fitted(self)
        X, _, present = validate_modal_data(self, X, reset=False, dtype=np.float64)
        none = ~present.any(axis=1)
        if none.any() and self.all_missing == "raise":
            self._rows_with_a_modality(present)
        proba = np.empty((X.shape[0], self.classes_.size))
        proba[none] = self.class_prior_
        if (~none).any():
            inputs = self._net_inputs(X[~none], present[~none])
            proba[~none] = self.net_.probabilities(inputs)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples; missing modalities are all-NaN blocks.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # ---------------------------------------------------------------- misc
    def __getstate__(self):
        # Plain values and CPU arrays only (see sklearn_skll._persist): safe
        # for skops.io, and a net fitted on CUDA loads on a CPU machine. The
        # live estimator is left alone (it may still be used on its GPU).
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        if net is not None:
            state["net_"] = {"state_dict": module_to_arrays(net.module_)}
            state["history_"] = [dict(epoch) for epoch in net.history]
            state["device_"] = "cpu"
        return to_portable(state)

    def __setstate__(self, state):
        state = from_portable(dict(state))
        net = state.pop("net_", None)
        super().__setstate__(state)
        if net is not None:
            self.net_ = self._inference_net(net["state_dict"])
            self.net_.history = History(self.history_)
            self.history_ = self.net_.history

    def _inference_net(self, state_dict):
        """A skorch net on the CPU with the given weights, ready to predict."""
        n_classes = self.classes_.size
        with torch.random.fork_rng(devices=[]):
            net = _NeuralNetClassifier(
                self._module(n_classes),
                criterion=torch.nn.CrossEntropyLoss,
                optimizer=FusedAdamW,
                iterator_valid__batch_size=max(self.batch_size, 1024),
                train_split=None,
                classes=np.arange(n_classes),
                device="cpu",
            ).initialize()
        arrays_to_module(net.module_, state_dict)
        return net

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
