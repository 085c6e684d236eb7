"""Multimodal datasets: synthetic data with known structure, bundled real data
and readers for common multimodal file layouts.

Every loader returns a :class:`~sklearn.utils.Bunch` with ``data`` (a
DataFrame with named columns), ``target``, ``target_names``, ``modalities``
(name -> list of column names, ready to pass as the ``modalities`` parameter
of any estimator) and ``DESCR`` (source, licence, citation), and accepts
``return_X_y=True``. Nothing is downloaded at run time.
"""

import importlib

# public name -> private module (imported on first use, so that listing the
# datasets does not import scikit-learn)
_LAZY = {
    "list_datasets": "._registry",
    "load": "._registry",
    "load_alzheimers": "._real",
    "load_breast_cancer_multimodal": "._real",
    "load_multiple_features": "._real",
    "make_multimodal_classification": "._synthetic",
    "read_clinical_table": "._readers",
    "read_mmsa_pickle": "._readers",
}

__all__ = [
    "list_datasets",
    "load",
    "load_alzheimers",
    "load_breast_cancer_multimodal",
    "load_multiple_features",
    "make_multimodal_classification",
    "read_clinical_table",
    "read_mmsa_pickle",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
