"""Generate missing modalities: :class:`FlowImputer`,
:class:`ClassConditionalGaussianImputer`."""

from ._flow_imputer import FlowImputer
from ._gaussian import ClassConditionalGaussianImputer

__all__ = ["ClassConditionalGaussianImputer", "FlowImputer"]
