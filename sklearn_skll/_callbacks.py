"""skorch callbacks as an estimator parameter: names, parameters and hooks.

A ``callbacks`` parameter (of :class:`~sklearn_skll.MultimodalNetClassifier`
and :class:`~sklearn_skll.FlowImputer`) holds skorch callbacks (instances,
or classes built with no arguments) or ``(name, callback)`` pairs, as
skorch's ``NeuralNet(callbacks=...)`` does. The helpers here give them
skorch's names, expose their parameters as ``callbacks__<name>__<param>``
to ``get_params`` and ``set_params`` (:class:`CallbacksParamsMixin`), and
tell which ones need the batch-level hooks.
"""

import copy

from skorch.callbacks import Callback, LRScheduler, MlflowLogger

__all__ = [
    "BATCH_HOOKS",
    "CallbacksParamsMixin",
    "callback_params",
    "callbacks_for_fit",
    "named_callbacks",
    "set_callback_params",
    "uses_batch_hooks",
]

#: The hooks called once per batch (the others once per epoch or per fit).
BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")

#: skorch callbacks whose batch hooks return at once under a setting: with
#: it, they need no batch loop. (A subclass that overrides a hook is judged
#: by the general rule.)
_IDLE_BATCH_HOOKS = {
    LRScheduler: lambda callback: callback.step_every != "batch",
    MlflowLogger: lambda callback: not callback.log_on_batch_end,
}

_PREFIX = "callbacks__"


def _is_callback(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    return isinstance(cls, type) and issubclass(cls, Callback)


def named_callbacks(callbacks, reserved=(), owner="the estimator"):
    """``[(name, callback)]`` of a ``callbacks`` parameter, as skorch names them.

    A pair keeps its name; a bare callback is named after its class, with
    ``_1``, ``_2``... appended when several share a class. Entries set to
    None (``set_params(callbacks__name=None)``) are kept with their name.

    Raises
    ------
    ValueError
        For an entry that is not a callback, a name given twice, or a name
        in ``reserved`` (the estimator's own callbacks).
    """
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            "`callbacks` must be a list of skorch callbacks or (name, callback) "
            f"pairs. Got {type(callbacks).__name__} instead."
        )
    entries = []
    for position, item in enumerate(callbacks):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, callback = item
            if callback is not None and not _is_callback(callback):
                raise ValueError(
                    f"`callbacks` entry {name!r} must be a skorch callback "
                    "(a skorch.callbacks.Callback instance or class) or None. "
                    f"Got {callback!r} instead."
                )
            entries.append((name, callback, True))
        elif _is_callback(item):
            cls = item if isinstance(item, type) else type(item)
            entries.append((cls.__name__, item, False))
        else:
            raise ValueError(
                "`callbacks` must hold skorch callbacks (instances or classes of "
                "skorch.callbacks.Callback) or (name, callback) pairs. Got "
                f"{item!r} at position {position} instead."
            )
    counts = {}
    for name, _, _ in entries:
        counts[name] = counts.get(name, 0) + 1
    named, seen = [], {}
    for name, callback, by_user in entries:
        if by_user and counts[name] > 1:
            raise ValueError(
                f"`callbacks` gives the name {name!r} {counts[name]} times; names "
                f"must be unique. Got {[n for n, _, _ in entries]} instead."
            )
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            name = f"{name}_{seen[name]}"
        if name in reserved:
            raise ValueError(
                f"`callbacks` name {name!r} is taken by {owner}'s own callbacks "
                f"({sorted(reserved)}), which run beside the given ones. Name it "
                f"otherwise, e.g. ('my_{name}', callback). Got {name!r} instead."
            )
        named.append((name, callback))
    names = [name for name, _ in named]
    if len(set(names)) < len(names):
        raise ValueError(
            f"`callbacks` names must be unique once numbered. Got {names} instead."
        )
    return named


def callbacks_for_fit(callbacks, reserved=(), owner="the estimator"):
    """``[(name, callback)]`` that a fit runs: shallow copies, None left out.

    Training sets a callback's state (its ``*_`` attributes: a scheduler
    holding the optimizer, cached predictions, a progress bar) on the copy,
    so the ``callbacks`` parameter stays as given (scikit-learn's rule for
    parameters) and is pickled without the training state. A copy shares
    the instance's parameters (a ``Checkpoint``'s directory, an
    ``MlflowLogger``'s client and run). Classes are passed on to be built.
    """
    return [
        (name, callback if isinstance(callback, type) else copy.copy(callback))
        for name, callback in named_callbacks(callbacks, reserved, owner)
        if callback is not None
    ]


def callback_params(callbacks):
    """``callbacks__<name>`` and ``callbacks__<name>__<param>`` of each callback.

    Empty for a ``callbacks`` value that ``fit`` would reject: ``get_params``
    never raises (scikit-learn validates parameters in ``fit``).
    """
    try:
        named = named_callbacks(callbacks)
    except (TypeError, ValueError):
        return {}
    params = {}
    for name, callback in named:
        params[_PREFIX + name] = callback
        if callback is None or isinstance(callback, type):
            continue
        for key, value in callback.get_params().items():
            params[f"{_PREFIX}{name}__{key}"] = value
    return params


def set_callback_params(estimator, params):
    """Apply ``callbacks__*`` parameters; returns the new ``callbacks`` list.

    ``callbacks__<name>`` replaces a callback (None switches it off), as
    ``Pipeline`` replaces a step; ``callbacks__<name>__<param>`` sets a
    parameter of the callback itself.
    """
    named = named_callbacks(estimator.callbacks)
    index = {name: k for k, (name, _) in enumerate(named)}
    nested = {}
    for key, value in params.items():
        name, _, param = key[len(_PREFIX) :].partition("__")
        if name not in index:
            raise ValueError(
                f"Invalid parameter {key!r} for estimator {estimator}: no "
                f"callback is named {name!r}. Valid callback names are "
                f"{list(index)}."
            )
        if param:
            nested.setdefault(name, {})[param] = value
        else:
            named[index[name]] = (name, value)
    for name, values in nested.items():
        callback = named[index[name]][1]
        if callback is None or isinstance(callback, type):
            raise ValueError(
                f"Callback {name!r} is {callback!r}: set an instance before "
                f"setting its parameters. Got {sorted(values)} instead."
            )
        callback.set_params(**values)
    return named


def uses_batch_hooks(callback):
    """Whether ``callback`` overrides a batch-level hook that does something."""
    cls = callback if isinstance(callback, type) else type(callback)
    overridden = [
        hook
        for hook in BATCH_HOOKS
        if getattr(cls, hook) is not getattr(Callback, hook)
    ]
    if not overridden:
        return False
    for base, idle in _IDLE_BATCH_HOOKS.items():
        if isinstance(callback, base) and all(
            getattr(cls, hook) is getattr(base, hook) for hook in overridden
        ):
            return not idle(callback)
    return True


class CallbacksParamsMixin:
    """``get_params`` and ``set_params`` that reach into ``callbacks``.

    Mixed in before :class:`~sklearn.base.BaseEstimator`, like scikit-learn's
    ``_BaseComposition`` for ``Pipeline`` steps.
    """

    def get_params(self, deep=True):
        """Parameters of this estimator, with ``callbacks__<name>__<param>``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the callbacks (``callbacks__<name>``, by the names
            of ``callbacks``) and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if deep:
            params.update(callback_params(self.callbacks))
        return params

    def set_params(self, **params):
        """Set parameters, ``callbacks__<name>[__<param>]`` included.

        Parameters
        ----------
        **params : dict
            Estimator parameters; ``callbacks__<name>`` replaces a callback
            (None switches it off), ``callbacks__<name>__<param>`` sets one
            of its parameters.

        Returns
        -------
        self : estimator instance
            This estimator.
        """
        nested = {k: params.pop(k) for k in list(params) if k.startswith(_PREFIX)}
        super().set_params(**params)
        if nested:
            self.callbacks = set_callback_params(self, nested)
        return self
