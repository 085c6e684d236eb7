"""``imputer="auto"``: choose the imputer by a held-out score on available rows."""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from .._modalities import hide_modalities
from ..impute import ClassConditionalGaussianImputer

__all__ = [
    "AUTO_CANDIDATES",
    "MIN_ROWS_PER_CLASS",
    "choose_imputer",
    "rarest_class_rows",
]

#: Candidates of ``imputer="auto"``, in the order that breaks exact ties
#: (cheapest first). "none" leaves NaN to a classifier that accepts it.
AUTO_CANDIDATES = ("none", "gaussian", "iterative", "flow")


def candidate_imputers(modalities, n_features, flow, seed):
    """Name -> unfitted imputer (None for "none"), before the NaN rule."""
    # keep_empty_features stays False: with it, IterativeImputer writes into
    # its validated input, which pandas hands over read-only (it fails on
    # every DataFrame). No column is ever empty here: the rows an imputer
    # fits on always include complete ones.
    iterative = IterativeImputer(
        max_iter=5,
        random_state=seed,
        n_nearest_features=30 if n_features > 50 else None,
    )
    return {
        "none": None,
        "gaussian": ClassConditionalGaussianImputer(modalities=modalities),
        "iterative": iterative,
        "flow": flow,
    }


#: Complete rows of each class ``imputer="auto"`` needs: two folds, each
#: training part split into a complete and an incomplete half.
MIN_ROWS_PER_CLASS = 4


def rarest_class_rows(y):
    """Rows of the rarest class of ``y``."""
    return int(np.unique(np.asarray(y), return_counts=True)[1].min())


def choose_imputer(candidates, classifier, X, y, modalities_, hidden, seed, cv=3):
    """Score each candidate imputer by the classifier it lets train.

    Per fold of the reference rows ``X`` (complete): the fold is the test
    set; the other rows are split in half (stratified), one half keeps every
    modality, the other has the modalities ``hidden`` hidden (``hidden``
    None: one modality drawn at random per row), as new rows would. Each
    imputer fills the hidden blocks (with the rows' labels, through
    ``fit_transform(X, y)``), a clone of ``classifier`` trains on both
    halves and is scored (its ``score``) on the complete test fold.

    Returns
    -------
    choice : str
    table : DataFrame
        One row per candidate: mean and std of the fold scores, and whether
        it was chosen.
    """
    y = np.asarray(y)
    n_rarest = rarest_class_rows(y)
    n_splits = min(cv, n_rarest // 2)
    if n_rarest < MIN_ROWS_PER_CLASS:
        raise ValueError(
            "`imputer='auto'` compares imputers on held-out complete rows and "
            f"needs at least {MIN_ROWS_PER_CLASS} complete rows of each class. "
            f"Got {n_rarest} rows of the rarest class instead."
        )
    rng = np.random.RandomState(seed)
    names = list(modalities_)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    scores = {name: [] for name in candidates}
    for train, test in folds.split(np.zeros(len(y)), y):
        keep, new = train_test_split(
            train, test_size=0.5, stratify=y[train], random_state=rng.randint(2**31 - 1)
        )
        rows = np.concatenate([keep, new])
        mask = np.zeros((rows.size, len(names)), dtype=bool)
        if hidden is None:
            which = rng.randint(len(names), size=new.size)
            mask[np.arange(keep.size, rows.size), which] = True
        else:
            lacking = [k for k, name in enumerate(names) if name in hidden]
            mask[np.ix_(np.arange(keep.size, rows.size), lacking)] = True
        X_rows = _take(X, rows)
        X_train = hide_modalities(np.asarray(X_rows, dtype=float), modalities_, mask)
        if isinstance(X_rows, pd.DataFrame):
            X_train = pd.DataFrame(X_train, columns=X_rows.columns)
        y_train = y[rows]
        for name, imputer in candidates.items():
            X_fit = X_train
            if imputer is not None:
                X_fit = clone(imputer).fit_transform(X_train, y_train)
                if isinstance(X_train, pd.DataFrame) and not isinstance(
                    X_fit, pd.DataFrame
                ):
                    X_fit = pd.DataFrame(np.asarray(X_fit), columns=X_train.columns)
            clf = clone(classifier).fit(X_fit, y_train)
            scores[name].append(clf.score(_take(X, test), y[test]))
    table = pd.DataFrame(
        {
            "score": [np.mean(s) for s in scores.values()],
            "std": [np.std(s) for s in scores.values()],
            "n_folds": [len(s) for s in scores.values()],
        },
        index=pd.Index(list(scores), name="imputer"),
    )
    choice = table["score"].idxmax()  # first of the tied ones: cheapest
    table["chosen"] = table.index == choice
    return choice, table


def accepts_nan(classifier):
    """Whether the classifier's tags say it accepts NaN.

    A ``Pipeline`` does not tag ``allow_nan``: it accepts NaN when its steps
    pass NaN on (``allow_nan``) up to an imputer, or up to a last step that
    accepts NaN.
    """
    if isinstance(classifier, Pipeline):
        steps = [s for _, s in classifier.steps if s not in (None, "passthrough")]
        for step in steps:
            if not accepts_nan(step):
                return False
            if type(step).__name__.endswith("Imputer"):
                return True
        return bool(steps)
    try:
        return bool(get_tags(classifier).input_tags.allow_nan)
    except (AttributeError, TypeError, ValueError):
        return False


def _take(X, rows):
    return X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]
