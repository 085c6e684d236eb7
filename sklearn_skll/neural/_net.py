"""MultimodalNetClassifier: a skorch-trained net for rows with missing modalities."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.history import History

from .._base import (
    MODAL_CONSTRAINTS,
    TRAINING_CONSTRAINTS,
    format_rows,
    seed_streams,
    validate_modal_data,
)
from .._callbacks import CallbacksParamsMixin, callbacks_for_fit
from .._compat import Interval, StrOptions, _fit_context
from .._device import resolve_device
from .._generators import build_module, empty_module
from .._persist import arrays_to_module, from_portable, module_to_arrays, to_portable
from .._scaling import mean_and_scale
from .._threads import with_torch_threads
from ..exceptions import ModalityError
from ._modules import MultimodalNet, drawing_from
from ._optim import FusedAdamW
from ._skorch import EpochProgress, LeanEarlyStopping, LeanNeuralNetClassifier

#: Names of the net's own callbacks (skorch's defaults and the package's).
_OWN_CALLBACKS = (
    "early_stopping",
    "epoch_progress",
    "epoch_timer",
    "print_log",
    "train_loss",
    "valid_acc",
    "valid_loss",
)

__all__ = ["MultimodalNetClassifier"]


def _check_sample_weight(sample_weight, n):
    """Validated float64 weights of ``n`` rows, or None."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real):
        sample_weight = np.full(n, sample_weight, dtype=np.float64)
    weights = check_array(
        sample_weight,
        ensure_2d=False,
        dtype=np.float64,
        input_name="sample_weight",
    )
    if weights.shape != (n,):
        raise ValueError(
            f"`sample_weight` must hold one weight per row of `X`, shape ({n},). "
            f"Got shape {weights.shape} instead."
        )
    negative = np.flatnonzero(weights < 0)
    if negative.size:
        raise ValueError(
            "`sample_weight` must be non-negative. Got "
            f"{float(weights[negative[0]])!r} in row {negative[0]} instead."
        )
    if not weights.any():
        raise ValueError(
            "`sample_weight` is 0 in every row: there is nothing to learn "
            "from. Got only zeros instead."
        )
    return weights


class MultimodalNetClassifier(CallbacksParamsMixin, ClassifierMixin, BaseEstimator):
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
    on a stratified validation split with the best weights restored. skorch
    callbacks (learning-rate schedules, gradient clipping, extra scores,
    checkpoints, loggers) run beside the net's own, and a fitted net can go
    on training (``warm_start=True``, :meth:`partial_fit`).

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
        order and every dropout draw. The same seed gives the same net on
        the CPU, also when other fits run beside it in threads of the same
        process; the global numpy and torch random states are left
        untouched (see Notes).
    verbose : int, default=0
        0 silent, 1 a progress bar over epochs, 2 skorch's epoch table.
    callbacks : list or None, default=None
        skorch callbacks run beside the net's own (its early stopping, loss
        records, timer and progress), as in ``skorch.NeuralNet``: instances
        (or classes, built without arguments) of
        :class:`skorch.callbacks.Callback`, or ``(name, callback)`` pairs. A
        bare callback is named after its class (``_1``, ``_2``... when
        several share one). Their parameters are this estimator's
        ``callbacks__<name>__<param>`` (``set_params``, grid searches), and
        ``callbacks__<name>=None`` switches one off. A fit runs shallow
        copies of them, so the parameter keeps the instances as given
        (without training state, also when pickled); the fitted callbacks
        are ``net_.callbacks_``, as in skorch. See Notes for what they see
        and what they cost.
    warm_start : bool, default=False
        When True, ``fit`` on a fitted net goes on training it (up to
        ``max_epochs`` more epochs) instead of starting anew; see Notes.

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
    history_ : skorch.history.History
        skorch's record of training, ``net_.history`` itself: one row (a
        dict) per epoch, over every call of a continued fit, with
        ``epoch`` (1-based), ``train_loss``, ``valid_loss``, ``valid_acc``
        (without validation only ``train_loss``), ``valid_loss_best`` and
        ``train_loss_best`` (whether the epoch is the best so far), ``dur``
        (seconds), ``train_batch_count``, ``valid_batch_count``, the records
        of the given callbacks (e.g. an ``EpochScoring``'s score and
        ``<name>_best``, an ``LRScheduler``'s ``event_lr``), and ``batches``
        (one dict per batch: ``train_loss``, ``train_batch_size``...).
        Index it as in skorch: ``history_[:, "valid_loss"]``,
        ``history_[-1, "batches", -1, "train_loss"]``.
    n_iter_ : int
        Number of epochs run, over every call of a continued fit.
    best_epoch_ : int
        Epoch (1-based, counted as in ``history_``) whose weights were kept.
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
    and one optimizer step. skorch's history is kept (per batch and per
    epoch), and skorch's epoch table is built only with ``verbose=2``.
    The encoders of all modalities form one autograd node with a
    hand-written backward; so does the whole attention fusion in training
    (its transformer layers are written for a handful of tokens). Prediction
    runs under ``torch.inference_mode``. Validation uses the full presence
    mask even when ``modality_dropout > 0``.

    Callbacks: the epoch-level hooks of every callback run
    (``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end``,
    ``on_train_end``). When a callback overrides a batch-level hook
    (``on_batch_begin``, ``on_grad_computed``, ``on_batch_end``), every
    batch runs through skorch's hooks: ``on_grad_computed`` between the
    backward pass and the optimizer step, ``on_batch_end`` with ``loss`` and
    ``y_pred`` (the logits), each batch's loss read back at once. The
    weights are the same as without hooks (same operations, same order);
    only the time differs (``bench/bench_neural.py --hooks``). An
    ``LRScheduler`` stepping per epoch and an ``MlflowLogger`` without
    batch logging need no batch hooks. Callbacks see skorch's view of the
    data: ``X`` is a dict of tensors (``x``, the standardized modality
    columns with missing blocks at 0, and ``mask``, the presence mask), and
    ``y`` holds class codes (indices into ``classes_``), so an
    ``EpochScoring`` scores the validation rows with codes as labels.
    ``net_.optimizer_`` is a ``torch.optim.Optimizer``, so skorch's
    ``LRScheduler``, ``GradientNormClipping``, ``Checkpoint`` and
    ``LoadInitState`` work as in skorch.

    Continued training (``warm_start=True``, or :meth:`partial_fit`) keeps
    everything learned: the modalities, the standardization (``mean_``,
    ``scale_``), the encoders and missing-modality embeddings (the network's
    weights), AdamW (its moments, and its learning rate as a schedule left
    it; an ``lr`` or ``weight_decay`` changed since applies from the next
    call), the history (epochs go on counting) and torch's random stream,
    so that continuing a fit draws what the uninterrupted fit would have
    drawn. ``y`` may hold only labels of ``classes_``, and ``class_prior_``
    counts every row seen. Early stopping: each ``fit`` call with ``warm_start=True``
    draws its validation split (the same rows for the same data and
    ``random_state``) and runs its own early stopping, whose patience and
    best validation loss start afresh; the best epoch of that call is
    restored at its end. :meth:`partial_fit` holds out no rows and never
    stops early, as in scikit-learn's ``MLPClassifier``. Hence
    ``validation_fraction=0`` and ``max_epochs=k`` followed by ``n`` calls
    to :meth:`partial_fit` (or a warm ``fit`` with ``max_epochs=n``) on the
    same data gives the same weights as one fit with ``max_epochs=k+n``. A
    model loaded from a file continues from its weights and history with
    fresh AdamW moments (they are not saved). skorch's ``Checkpoint`` and
    ``LoadInitState`` resume from saved weights, AdamW state and history,
    but not from torch's random stream, which skorch does not save: the
    resumed epochs draw other batch orders and dropout masks than the
    uninterrupted fit would.

    Sample weights scale each row's loss: a batch's loss is the weighted
    mean of its rows' losses (``MLPClassifier``'s rule), in training and in
    validation. Weights are relative: a constant weight is the same as no
    weight (and is run as none, so the result is bit-identical). Rows of
    weight 0 are left out, as if absent from ``X`` (they still count for
    ``classes_``). ``class_prior_`` is the weighted class frequency; the
    standardization and the validation split ignore the weights.

    A model fitted on CUDA is pickled with its network on the CPU, so it
    unpickles and predicts on a machine without a GPU.

    Randomness: every torch draw of a fit (the initial weights, each
    epoch's batch order, the dropout and modality dropout masks) comes from
    ``torch.Generator`` objects of the fit's own, seeded from
    ``random_state`` (one on the CPU, and one on the GPU for the masks when
    training there). torch's default generator, which every thread of a
    process shares, is never seeded nor drawn from, so fits running at once
    in threads of one process (joblib's threading backend, a Dask worker
    with several threads, a ``ThreadPoolExecutor``) each give what they
    give alone, bit for bit on the CPU, and the caller's torch random state
    stays as it is, during the fit as after it. The generators give the
    streams ``torch.manual_seed`` would give torch's default ones: the
    values are those of a fit seeded that way.

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
        **MODAL_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
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
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "all_missing": [StrOptions({"raise", "prior"})],
        "warm_start": ["boolean"],
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
        callbacks=None,
        warm_start=False,
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
        self.callbacks = callbacks
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fit
    @with_torch_threads
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network (go on training it with ``warm_start=True``).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data; a missing modality is an all-NaN block.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row's loss (see Notes); None weighs
            every row alike.

        Returns
        -------
        self : MultimodalNetClassifier
            The fitted estimator.
        """
        continued = self.warm_start and hasattr(self, "net_")
        return self._fit(X, y, sample_weight, continued=continued)

    @with_torch_threads
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one more epoch on ``(X, y)``, keeping all that was learned.

        The first call on an unfitted net sets it up as :meth:`fit` does
        (modalities, standardization from these rows, classes), then runs
        one epoch; every call runs one epoch over all its rows (none held
        out, no early stopping), continuing the weights, AdamW's moments,
        the history and torch's random stream. See Notes.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows; a missing modality is an all-NaN block.
        y : array-like of shape (n_samples,)
            Class labels, each one of ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class of every call; required on the first call (as in
            scikit-learn), ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row's loss; None weighs every row
            alike.

        Returns
        -------
        self : MultimodalNetClassifier
            The updated estimator.
        """
        continued = hasattr(self, "net_")
        if not continued and classes is None:
            raise ValueError(
                "`classes` must be passed on the first call to partial_fit, "
                "listing every class of every call. Got classes=None instead."
            )
        return self._fit(
            X, y, sample_weight, continued=continued, classes=classes, epochs=1
        )

    def _fit(self, X, y, sample_weight, *, continued, classes=None, epochs=None):
        X, y, present = validate_modal_data(
            self, X, y, reset=not continued, dtype=np.float64
        )
        check_classification_targets(y)
        weights = _check_sample_weight(sample_weight, y.size)
        y_encoded = self._encode_labels(y, classes, continued)
        n_classes = self.classes_.size
        if not continued:
            if self.fusion == "attention" and self.embed_dim % self.n_heads:
                raise ValueError(
                    f"`embed_dim` must be divisible by `n_heads` for "
                    f"fusion='attention'. Got embed_dim={self.embed_dim} and "
                    f"n_heads={self.n_heads} instead."
                )
        device = resolve_device(self.device)
        if continued and device != self.device_:
            raise ValueError(
                f"`device` resolves to {device!r}, but the net was trained on "
                f"{self.device_!r}; a continued fit (warm_start=True or "
                "partial_fit) trains where the net is. Got "
                f"device={self.device!r} instead."
            )
        # The class prior of every row seen, weighted.
        seen = getattr(self, "_class_weights", None) if continued else None
        self._class_weights = (0 if seen is None else seen) + np.bincount(
            y_encoded, weights=weights, minlength=n_classes
        )
        self.class_prior_ = self._class_weights / self._class_weights.sum()

        keep = self._rows_with_a_modality(present)
        if weights is not None:
            keep &= weights > 0  # a row of weight 0 is a row left out
        if not keep.any():
            raise ValueError(
                "No row has both a positive `sample_weight` and an observed "
                "modality: there is nothing to learn from. Got "
                f"0 such rows among {y.size} instead."
            )
        if not keep.all():
            X, y_encoded, present = X[keep], y_encoded[keep], present[keep]
            weights = None if weights is None else weights[keep]
        if weights is not None and (weights == weights[0]).all():
            weights = None  # relative weights: a constant one changes nothing
        never = ~present.any(axis=0)
        if never.any():
            names = [n for n, v in zip(self.modalities_, never) if v]
            warnings.warn(
                f"Modalities {names} are never observed in the training data; "
                "their encoders stay untrained and only their missing "
                "embedding is learned.",
                UserWarning,
                stacklevel=3,
            )

        if not continued:
            # Modality columns side by side, modality after modality.
            self._used_columns = cols = np.concatenate(list(self.modalities_.values()))
            # Scaled by each column's largest |value| first: finite for any
            # finite data (plain squares overflow near 1e154). NaN marks the
            # missing cells; X itself when it holds just those columns.
            whole = cols.size == X.shape[1] and np.array_equal(
                cols, np.arange(cols.size)
            )
            self.mean_, self.scale_ = mean_and_scale(X if whole else X[:, cols])

        seeds = seed_streams(self.random_state, "split", "torch")
        targets = torch.as_tensor(y_encoded, dtype=torch.long)
        if epochs is None:
            train_idx, valid_idx = self._split(y_encoded, seeds["split"])
        else:  # partial_fit: no rows held out
            train_idx, valid_idx = np.arange(y_encoded.size), None
        if weights is not None:
            weights = torch.as_tensor(weights, dtype=torch.float32)
        # The rows trained on and the validation rows, standardized each on
        # its own: no float32 copy of every row beside them.
        train = (
            self._net_inputs(X, present, train_idx if valid_idx is not None else None),
            train_idx,
        )
        valid = (
            None
            if valid_idx is None
            else (self._net_inputs(X, present, valid_idx), valid_idx)
        )
        self.net_ = self._train(
            train,
            valid,
            targets,
            weights,
            seeds["torch"],
            device,
            previous=self.net_ if continued else None,
            epochs=epochs,
        )
        self.device_ = device
        self.history_ = self.net_.history
        self.n_iter_ = len(self.history_)
        stopper = dict(self.net_.callbacks_).get("early_stopping")
        # EarlyStopping's own record of the epoch whose weights it restored.
        self.best_epoch_ = getattr(stopper, "best_epoch_", None) or self.n_iter_
        return self

    def _encode_labels(self, y, classes, continued):
        """Codes of ``y`` in ``classes_``; sets ``classes_`` on a new fit."""
        if not continued:
            source = "y" if classes is None else "classes"
            self.classes_ = np.unique(y if classes is None else classes)
            if self.classes_.size < 2:
                raise ValueError(
                    "MultimodalNetClassifier needs samples of at least 2 "
                    f"classes in `{source}`. Got 1 class ({self.classes_[0]!r}) "
                    "instead."
                )
        known = np.isin(y, self.classes_)
        if not known.all():
            raise ValueError(
                f"`y` holds labels outside the net's classes "
                f"{self.classes_.tolist()}: {np.unique(y[~known])[:5].tolist()}. "
                "Got them where one of those classes was expected instead."
            )
        return np.searchsorted(self.classes_, y)

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

    #: Rows standardized at once: a float64 block of this many values at
    #: most beside the float32 inputs, never a float64 copy of all of X.
    _BLOCK_VALUES = 2**22

    def _net_inputs(self, X, present, rows=None):
        """Dict of tensors for skorch: standardized float32 values with NaN
        -> 0, and the mask; of the given ``rows`` (positions, in that order)
        or of every row.

        Computed in float64 by blocks of rows (at most :attr:`_BLOCK_VALUES`
        values), each written to the float32 inputs: the same numbers as one
        float64 pass over all rows, without its copy of X (at 100,000 rows x
        320 columns, 244 MiB).
        """
        cols = self._used_columns
        whole = cols.size == X.shape[1] and np.array_equal(cols, np.arange(cols.size))
        n = X.shape[0] if rows is None else len(rows)
        out = np.empty((n, cols.size), dtype=np.float32)
        step = max(1, self._BLOCK_VALUES // max(cols.size, 1))
        for start in range(0, n, step):
            at = slice(start, min(start + step, n))
            part = X[at] if rows is None else X[rows[at]]
            block = np.array(part if whole else part[:, cols], dtype=np.float64)
            missing = np.isnan(block)
            block[missing] = 0.0
            block -= self.mean_
            block /= self.scale_
            block[missing] = 0.0
            out[at] = block
        mask = present if rows is None else present[rows]
        return {
            "x": torch.from_numpy(out),
            "mask": torch.from_numpy(np.ascontiguousarray(mask, dtype=bool)),
        }

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

    def _train(
        self,
        train,
        valid,
        targets,
        weights,
        seed,
        device,
        *,
        previous=None,
        epochs=None,
    ):
        """The trained skorch net: a new one, or ``previous`` trained further.

        ``train`` and ``valid`` (or None) are each ``(inputs, rows)``: the
        net's inputs of those rows (:meth:`_net_inputs`) and their positions
        in ``targets`` and ``weights``.
        """
        callbacks, fit_params = [], {}
        if valid is not None:
            valid_inputs, valid_idx = valid
            valid_idx = torch.as_tensor(valid_idx)
            train_split = predefined_split(Dataset(valid_inputs, targets[valid_idx]))
            early_stopping = LeanEarlyStopping(
                monitor="valid_loss", patience=self.patience, load_best=True
            )
            callbacks.append(("early_stopping", early_stopping))
            if weights is not None:
                fit_params["valid_sample_weight"] = weights[valid_idx]
        else:
            train_split = None
        max_epochs = self.max_epochs if epochs is None else epochs
        if self.verbose == 1:
            callbacks.append(("epoch_progress", EpochProgress(max_epochs)))
        callbacks += callbacks_for_fit(
            self.callbacks, _OWN_CALLBACKS, "MultimodalNetClassifier"
        )
        X_train, train_idx = train
        train_idx = torch.as_tensor(train_idx)
        y_train = targets[train_idx]
        if weights is not None:
            fit_params["sample_weight"] = weights[train_idx]
        n_classes = self.classes_.size

        # The fit's own generators (never torch's default one, which threads
        # of the process share): the CPU one draws the initial weights and
        # the batch order, the device's one the dropout masks.
        generators = self._generators(device, seed, continued=previous is not None)
        if previous is None:
            module = build_module(lambda: self._module(n_classes), generators[0])
        else:
            module = previous.module_
        net = LeanNeuralNetClassifier(
            module,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=FusedAdamW,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=max_epochs,
            batch_size=self.batch_size,
            iterator_valid__batch_size=max(self.batch_size, 1024),
            train_split=train_split,
            callbacks=callbacks,
            classes=np.arange(n_classes),
            device=device,
            verbose=int(self.verbose >= 2),
        ).initialize()
        if previous is not None:
            net.optimizer_ = self._continued_optimizer(previous)
            net.history = previous.history
        with drawing_from(net.module_, generators[-1]):
            net.partial_fit(X_train, y_train, generator=generators[0], **fit_params)
        self._rng_state = [gen.get_state().numpy().copy() for gen in generators]
        for _, callback in net.callbacks_:
            if isinstance(callback, EarlyStopping):
                callback.best_model_weights_ = None  # a copy of the weights
        return net

    def _continued_optimizer(self, previous):
        """``previous``'s AdamW, going on: its moments and step counts, and
        its learning rate as a schedule left it; an ``lr`` or
        ``weight_decay`` changed since applies from now on."""
        optimizer = previous.optimizer_
        for group in optimizer.param_groups:
            if self.lr != previous.lr:
                group["lr"] = self.lr
            if self.weight_decay != getattr(previous, "optimizer__weight_decay", None):
                group["weight_decay"] = self.weight_decay
            # A schedule set up on a net with a history starts from here.
            group.setdefault("initial_lr", group["lr"])
        return optimizer

    def _generators(self, device, seed, *, continued=False):
        """The training call's torch generators: ``[cpu]``, or ``[cpu, cuda]``.

        Seeded from ``seed`` (the streams ``torch.manual_seed(seed)`` would
        give torch's default generators); a continued fit resumes them where
        the last training call left them (``_rng_state``: their states as
        uint8 arrays, CPU first).
        """
        generators = [torch.Generator()]
        if device != "cpu":
            index = torch.device(device).index or 0
            generators.append(torch.Generator(torch.device("cuda", index)))
        saved = getattr(self, "_rng_state", None) if continued else None
        if saved is None:  # a new fit (or one saved by an older version)
            return [gen.manual_seed(seed) for gen in generators]
        for gen, state in zip(generators, saved):
            gen.set_state(torch.from_numpy(state))
        return generators

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
        net = LeanNeuralNetClassifier(
            empty_module(lambda: self._module(n_classes)),
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=FusedAdamW,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
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
