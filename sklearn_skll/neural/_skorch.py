"""The skorch net behind :class:`MultimodalNetClassifier`: its training loops.

skorch runs every batch through callbacks (``on_batch_begin``,
``on_grad_computed``, ``on_batch_end``), a closure handed to the optimizer
and a data loader; for a small net on a CPU that Python work costs as much
as the arithmetic. :class:`LeanNeuralNetClassifier` keeps skorch's epoch
loop, history and callbacks, and runs one of two batch loops:

- the fast loop (the default), when no callback needs batch-level hooks:
  per batch one forward, backward and optimizer step on contiguous slices
  of tensors already on the device; the batch losses are read back
  together at the end of the epoch (one device sync);
- the hooked loop, when a callback overrides a batch-level hook (see
  :func:`~sklearn_skll._callbacks.uses_batch_hooks`): the same
  arithmetic in the same order, with skorch's ``on_batch_begin``,
  ``on_grad_computed`` (before the optimizer step) and ``on_batch_end``
  (with ``loss`` and ``y_pred``) around each batch, and each batch loss
  read back at once so that callbacks see it in the history.

Both give the same weights: the hooks are the only difference.
"""

import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, EarlyStopping
from skorch.utils import TeeGenerator
from tqdm.auto import tqdm

from .._callbacks import uses_batch_hooks

__all__ = ["EpochProgress", "LeanEarlyStopping", "LeanNeuralNetClassifier"]


class LeanNeuralNetClassifier(NeuralNetClassifier):
    """skorch's classifier with the package's training loops (see the module).

    ``fit_loop`` takes three keyword arguments of its own: ``sample_weight``
    and ``valid_sample_weight``, tensors of weights of the training and
    validation rows (None: unweighted), and ``generator``, the CPU
    ``torch.Generator`` that draws each epoch's batch order (None: torch's
    default generator). With weights, a batch's loss is the weighted mean
    of its rows' losses. ``valid_acc`` is computed from the
    logits of the validation pass instead of by a scoring callback (one
    forward pass less).
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

    def batch_hooked(self):
        """Whether a callback of this net needs the batch-level hooks."""
        return any(
            callback is not None and uses_batch_hooks(callback)
            for _, callback in self.callbacks_
        )

    def fit_loop(
        self,
        X,
        y=None,
        epochs=None,
        *,
        sample_weight=None,
        valid_sample_weight=None,
        generator=None,
        **fit_params,
    ):
        self.check_data(X, y)
        self.check_training_readiness()
        dataset_train, dataset_valid = self.get_split_datasets(X, y)
        on_epoch = {"dataset_train": dataset_train, "dataset_valid": dataset_valid}
        train = self._to_device(dataset_train, sample_weight)
        valid = self._to_device(dataset_valid, valid_sample_weight)
        hooked = self.batch_hooked()
        for _ in range(self.max_epochs if epochs is None else epochs):
            self.notify("on_epoch_begin", **on_epoch)
            self._train_epoch(*train, hooked=hooked, generator=generator)
            if valid is not None:
                self._valid_epoch(*valid, hooked=hooked)
            self.notify("on_epoch_end", **on_epoch)
        return self

    def _to_device(self, dataset, weights):
        if dataset is None:
            return None
        inputs = {key: value.to(self.device) for key, value in dataset.X.items()}
        if weights is not None:
            weights = weights.to(self.device)
        return inputs, dataset.y.to(self.device), weights

    def _loss(self, logits, targets, weights):
        if weights is None:
            return self.criterion_(logits, targets)
        losses = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
        return (losses * weights).sum() / weights.sum()

    def _train_epoch(self, inputs, targets, weights, hooked=False, generator=None):
        module, optimizer = self.module_, self.optimizer_
        module.train()
        n = targets.shape[0]
        # The draw of a shuffled loader, from the fit's generator; each batch
        # gathers its rows (no shuffled copy of the whole training set).
        order = torch.randperm(n, generator=generator).to(targets.device)
        losses, sizes = [], []
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            rows = order[start:stop]
            part = {key: value.index_select(0, rows) for key, value in inputs.items()}
            part_targets = targets.index_select(0, rows)
            part_weights = None if weights is None else weights.index_select(0, rows)
            if hooked:
                batch = (part, part_targets)
                self.notify("on_batch_begin", batch=batch, training=True)
                module.train()
            logits = module(**part)
            loss = self._loss(logits, part_targets, part_weights)
            optimizer.zero_grad()
            loss.backward()
            if hooked:
                self.notify(
                    "on_grad_computed",
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch,
                    training=True,
                )
            optimizer.step()
            if hooked:
                self.history.record_batch("train_loss", loss.item())
                self.history.record_batch("train_batch_size", stop - start)
                self.notify(
                    "on_batch_end", batch=batch, training=True, loss=loss, y_pred=logits
                )
            else:
                losses.append(loss.detach())
            sizes.append(stop - start)
        self._record_batches("train", losses, sizes)

    def _valid_epoch(self, inputs, targets, weights, hooked=False):
        module = self.module_
        module.eval()
        n = targets.shape[0]
        chunk = self.iterator_valid__batch_size
        losses, sizes, correct = [], [], 0
        # The hooked loop hands y_pred to callbacks: plain no_grad tensors.
        with torch.no_grad() if hooked else torch.inference_mode():
            for start in range(0, n, chunk):
                stop = min(start + chunk, n)
                part = {key: value[start:stop] for key, value in inputs.items()}
                part_weights = None if weights is None else weights[start:stop]
                if hooked:
                    batch = (part, targets[start:stop])
                    self.notify("on_batch_begin", batch=batch, training=False)
                    module.eval()
                logits = module(**part)
                loss = self._loss(logits, targets[start:stop], part_weights)
                correct = correct + (logits.argmax(dim=1) == targets[start:stop]).sum()
                if hooked:
                    self.history.record_batch("valid_loss", loss.item())
                    self.history.record_batch("valid_batch_size", stop - start)
                    self.notify(
                        "on_batch_end",
                        batch=batch,
                        training=False,
                        loss=loss,
                        y_pred=logits,
                    )
                else:
                    losses.append(loss)
                sizes.append(stop - start)
        self._record_batches("valid", losses, sizes)
        self.history.record("valid_acc", int(correct) / n)

    def _record_batches(self, prefix, losses, sizes):
        """Write batch records (the fast loop's, read once) and the batch count."""
        history = self.history
        if losses:
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


class LeanEarlyStopping(EarlyStopping):
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


class EpochProgress(Callback):
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
