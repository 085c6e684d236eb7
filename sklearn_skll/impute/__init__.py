"""Generate missing modalities: :class:`FlowImputer`,
:class:`ClassConditionalGaussianImputer`.

:class:`ClassConditionalGaussianImputer` is numpy only; :class:`FlowImputer`
(torch) is imported on first use.
"""

import importlib

from ._gaussian import ClassConditionalGaussianImputer

__all__ = ["ClassConditionalGaussianImputer", "FlowImputer"]


def __getattr__(name):
    if name == "FlowImputer":
        value = importlib.import_module("._flow_imputer", __name__).FlowImputer
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
