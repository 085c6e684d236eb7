"""sklearn_skll: select the key modalities, then generate the rest.

Multimodal learning on a limited data budget, as scikit-learn estimators:

- :class:`ModalitySelector` scores every modality subset (utility, Shapley
  values, cooperation C(S), greedy path) and plans acquisitions;
- :class:`FlowImputer` generates missing modalities with class-conditional
  normalizing flows;
- :class:`MultimodalNetClassifier` learns from rows with missing modalities;
- :class:`BudgetedMultimodalClassifier` ties them together and simulates
  budgets so that ``GridSearchCV`` can search them.
"""

from ._modalities import observed_modalities, resolve_modalities
from .budget import AcquisitionPlan, BudgetedMultimodalClassifier, make_plan
from .exceptions import BudgetError, CooperationWarning, ModalityError
from .impute import FlowImputer
from .neural import MultimodalNetClassifier
from .selection import ModalitySelector

__version__ = "0.1.0.dev0"

__all__ = [
    "AcquisitionPlan",
    "BudgetError",
    "BudgetedMultimodalClassifier",
    "CooperationWarning",
    "FlowImputer",
    "ModalityError",
    "ModalitySelector",
    "MultimodalNetClassifier",
    "make_plan",
    "observed_modalities",
    "resolve_modalities",
    "__version__",
]
