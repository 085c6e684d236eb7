"""Generate missing modalities: :class:`FlowImputer`."""

from ._flow_imputer import FlowImputer

__all__ = ["FlowImputer"]
