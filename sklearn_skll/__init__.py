"""sklearn_skll: select the key modalities, then generate the rest.

Multimodal learning on a limited data budget, as scikit-learn estimators:

- :class:`ModalitySelector` scores every modality subset (utility, Shapley
  values, cooperation C(S), greedy path) and plans acquisitions;
- :class:`FlowImputer` generates missing modalities with class-conditional
  normalizing flows;
- :class:`MultimodalNetClassifier` learns from rows with missing modalities;
- :class:`BudgetedMultimodalClassifier` ties them together and simulates
  budgets so that ``GridSearchCV`` can search them.

The public names are imported on first use (``from sklearn_skll import
FlowImputer`` imports torch; ``import sklearn_skll`` alone imports nothing
heavy), so the command line and light uses start quickly.
"""

import importlib

__version__ = "0.1.0.dev0"

# public name -> submodule that defines it (imported on first access)
_LAZY = {
    "AcquisitionPlan": ".planning",
    "BudgetError": ".exceptions",
    "BudgetedMultimodalClassifier": ".budget",
    "ClassConditionalGaussianImputer": ".impute",
    "CooperationWarning": ".exceptions",
    "FlowImputer": ".impute",
    "ModalityError": ".exceptions",
    "ModalitySelector": ".selection",
    "MultimodalNetClassifier": ".neural",
    "config_context": "._config",
    "get_config": "._config",
    "make_plan": ".planning",
    "hide_modalities": "._modalities",
    "observed_modalities": "._modalities",
    "resolve_modalities": "._modalities",
    "restrict_modalities": "._modalities",
    "set_config": "._config",
    "trusted_types": "._catalog",
}

__all__ = [
    "AcquisitionPlan",
    "BudgetError",
    "BudgetedMultimodalClassifier",
    "ClassConditionalGaussianImputer",
    "CooperationWarning",
    "FlowImputer",
    "ModalityError",
    "ModalitySelector",
    "MultimodalNetClassifier",
    "__version__",
    "config_context",
    "get_config",
    "hide_modalities",
    "make_plan",
    "observed_modalities",
    "resolve_modalities",
    "restrict_modalities",
    "set_config",
    "trusted_types",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
