"""sklearn_skll: select the key modalities, then generate the rest.

Multimodal learning on a limited data budget, as scikit-learn estimators.
"""

from ._modalities import observed_modalities, resolve_modalities
from .exceptions import BudgetError, ModalityError

__version__ = "0.1.0.dev0"

__all__ = [
    "BudgetError",
    "ModalityError",
    "observed_modalities",
    "resolve_modalities",
    "__version__",
]
