"""Multimodal datasets: synthetic data with known structure, bundled real data
and readers for common multimodal file layouts.

Every loader returns a :class:`~sklearn.utils.Bunch` with ``data`` (a
DataFrame with named columns), ``target``, ``target_names``, ``modalities``
(name -> list of column names, ready to pass as the ``modalities`` parameter
of any estimator) and ``DESCR`` (source, licence, citation), and accepts
``return_X_y=True``. Nothing is downloaded at run time.
"""

from ._real import (
    load_alzheimers,
    load_breast_cancer_multimodal,
    load_multiple_features,
)
from ._readers import read_clinical_table, read_mmsa_pickle
from ._registry import list_datasets, load
from ._synthetic import make_multimodal_classification

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
