"""The scikit-learn internals the package builds on, imported in one place.

Third-party estimators follow scikit-learn's conventions with a few helpers
that scikit-learn has not made public yet (checked against 1.6, the oldest
version the package supports, and 1.9): parameter validation
(``Interval``, ``StrOptions``, ``HasMethods``, ``RealNotInt``,
``validate_params``, ``InvalidParameterError``), the ``_fit_context``
decorator, the ``ColumnTransformer`` column resolution behind ``modalities``,
and the feature-name check of ``get_feature_names_out``. Everything with a
public home is imported from there where it is used (``validate_data``,
``check_is_fitted``, ``get_tags``, ``Parallel``, metadata routing).

Importing them only here means a scikit-learn release that moves one changes
this file alone; CI runs the tests against the oldest supported
scikit-learn as well as the newest.
"""

from sklearn.base import _fit_context
from sklearn.utils._indexing import _get_column_indices
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import _check_feature_names_in

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "RealNotInt",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "_get_column_indices",
    "validate_params",
]
