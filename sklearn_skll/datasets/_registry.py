"""One entry point to every dataset: :func:`list_datasets` and :func:`load`."""

import importlib

__all__ = ["list_datasets", "load"]

# Static facts about each dataset, so that listing loads (and imports) nothing.
# A test checks them against the loaders (default parameters). Loaders are
# named as "module:function" and imported by `load`.
_REGISTRY = {
    "alzheimers": {
        "loader": "_real:load_alzheimers",
        "n_samples": 333,
        "n_classes": 2,
        "modalities": {"proteins": 124, "csf": 3, "apoe": 6, "demographics": 2},
        "licence": "MIT (modeldata)",
        "description": "CSF biomarkers, impaired vs control (Craig-Schapiro 2011)",
    },
    "breast_cancer": {
        "loader": "_real:load_breast_cancer_multimodal",
        "n_samples": 569,
        "n_classes": 2,
        "modalities": {"mean": 10, "se": 10, "worst": 10},
        "licence": "CC BY 4.0 (UCI)",
        "description": "Wisconsin diagnostic breast cancer, malignant vs benign",
    },
    "multiple_features": {
        "loader": "_real:load_multiple_features",
        "n_samples": 2000,
        "n_classes": 10,
        "modalities": {
            "fou": 76,
            "fac": 216,
            "kar": 64,
            "pix": 240,
            "zer": 47,
            "mor": 6,
        },
        "licence": "CC BY 4.0 (UCI)",
        "description": "handwritten digits 0-9, six feature views",
    },
    "synthetic": {
        "loader": "_synthetic:make_multimodal_classification",
        "defaults": {"random_state": 0},
        "n_samples": 500,
        "n_classes": 2,
        "modalities": {
            "informative": 8,
            "synergy_a": 4,
            "synergy_b": 4,
            "redundant": 8,
            "noise": 6,
        },
        "licence": "generated",
        "description": "known roles: informative, XOR pair, redundant copy, noise",
    },
}


def list_datasets():
    """List the datasets :func:`load` knows, with their modalities and sizes.

    Nothing is loaded: the table comes from static facts (checked against
    the loaders by the test suite).

    Returns
    -------
    table : DataFrame
        One row per dataset, columns ``name``, ``n_samples``, ``n_features``,
        ``n_classes``, ``n_modalities``, ``modalities`` (``"name (width)"``
        joined by ``", "``), ``licence`` and ``description``.

    Examples
    --------
    >>> from sklearn_skll.datasets import list_datasets
    >>> list_datasets()[["name", "n_samples", "n_modalities"]]
                    name  n_samples  n_modalities
    0         alzheimers        333             4
    1      breast_cancer        569             3
    2  multiple_features       2000             6
    3          synthetic        500             5
    """
    import pandas as pd

    return pd.DataFrame(dataset_rows())


def dataset_rows():
    """The rows of :func:`list_datasets` as a list of dicts (imports nothing)."""
    rows = []
    for name, info in _REGISTRY.items():
        widths = info["modalities"]
        rows.append(
            {
                "name": name,
                "n_samples": info["n_samples"],
                "n_features": sum(widths.values()),
                "n_classes": info["n_classes"],
                "n_modalities": len(widths),
                "modalities": ", ".join(f"{m} ({w})" for m, w in widths.items()),
                "licence": info["licence"],
                "description": info["description"],
            }
        )
    return rows


def load(name, **kwargs):
    """Load a dataset by name.

    Parameters
    ----------
    name : str
        One of the names of :func:`list_datasets`: ``"alzheimers"``,
        ``"breast_cancer"``, ``"multiple_features"`` or ``"synthetic"``
        (:func:`make_multimodal_classification` with ``random_state=0`` unless
        given, so that ``load("synthetic")`` always gives the same data).
    **kwargs
        Passed to the loader, e.g. ``return_X_y=True``, ``as_frame=False``,
        or ``random_state`` for ``"synthetic"``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        What the loader returns.

    Raises
    ------
    ValueError
        If ``name`` is not a known dataset.

    Examples
    --------
    >>> from sklearn_skll.datasets import load
    >>> list(load("breast_cancer").modalities)
    ['mean', 'se', 'worst']
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        known = ", ".join(repr(n) for n in _REGISTRY)
        raise ValueError(
            f"Unknown dataset `name`; the known datasets are {known}. "
            f"Got {name!r} instead."
        )
    entry = _REGISTRY[name]
    module, _, function = entry["loader"].partition(":")
    loader = getattr(importlib.import_module(f".{module}", __package__), function)
    return loader(**{**entry.get("defaults", {}), **kwargs})
