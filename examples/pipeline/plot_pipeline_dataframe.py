"""
Select, impute and classify in one scikit-learn Pipeline
========================================================

New rows collected under an acquisition plan lack some modalities (their
blocks are NaN). A :class:`~sklearn.pipeline.Pipeline` of
:class:`~sklearn_skll.ModalitySelector`, :class:`~sklearn_skll.FlowImputer`
and :class:`~sklearn_skll.MultimodalNetClassifier` learns from them directly,
on a pandas DataFrame, and every step keeps the column names.
"""

# %%
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from sklearn_skll import (
    FlowImputer,
    ModalityError,
    ModalitySelector,
    MultimodalNetClassifier,
)
from sklearn_skll.datasets import load

data = load("breast_cancer")
X, y, mods = data.data, data.target, data.modalities
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# Half of the training rows were collected without the ``se`` modality.
rng = np.random.RandomState(0)
X_train = X_train.copy()
rows = rng.rand(len(X_train)) < 0.5
X_train.loc[rows, mods["se"]] = np.nan
print(f"{rows.sum()} of {len(X_train)} training rows lack `se`")

# %%
pipe = Pipeline(
    [
        (
            "select",
            ModalitySelector(
                LogisticRegression(max_iter=1000), modalities=mods, cv=3, random_state=0
            ),
        ),
        ("impute", FlowImputer(modalities=mods, max_epochs=30, random_state=0)),
        (
            "clf",
            MultimodalNetClassifier(modalities=mods, max_epochs=40, random_state=0),
        ),
    ]
).set_output(transform="pandas")
pipe.fit(X_train, y_train)
print("key subset:", pipe.named_steps["select"].selected_modalities_)
print(f"test accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# The imputer filled only the missing blocks; observed values are untouched.
filled = pipe[:-1].transform(X_train)
observed = ~np.isnan(X_train.to_numpy())
assert np.array_equal(filled.to_numpy()[observed], X_train.to_numpy()[observed])
filled.loc[rows, mods["se"]].head()

# %%
# With ``drop_unselected=True`` the selector passes on only the key's columns
# and records, in the DataFrame it returns, which modalities it dropped: the
# later steps keep the same ``modalities`` and leave out exactly those.
pipe.set_params(select__drop_unselected=True).fit(X_train, y_train)
print("key:", pipe.named_steps["select"].key_subset_)
print("the classifier's modalities:", list(pipe.named_steps["clf"].modalities_))

# %%
# Any other absent modality is an error that names it: a typo never drops
# data silently.
typo = {**mods, "se": [c + "_typo" for c in mods["se"]]}
try:
    FlowImputer(modalities=typo).fit(X_train, y_train)
except ModalityError as exc:
    print(str(exc)[:160], "...")
