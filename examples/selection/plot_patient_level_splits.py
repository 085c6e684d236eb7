"""
Several visits per patient: split by patient, not by row
========================================================

Clinical tables such as ADNI often hold several visits of each patient. Two
visits of one patient are nearly the same row, so a model scored on a fold
that holds another visit of a training patient recognises the patient rather
than the disease, and every utility looks better than it is.

:class:`~sklearn_skll.ModalitySelector` takes the patient of each row as
``groups``: its folds then keep each patient on one side (a
``StratifiedGroupKFold``), as :func:`~sklearn.model_selection.cross_validate`
does with ``groups``. This example makes three visits of every patient of the
bundled ``alzheimers`` table and scores the modalities both ways.
"""

# %%
# Three visits per patient
# ------------------------
# Each visit is the patient's row with 5 % of each column's spread added as
# measurement noise; the diagnosis stays the patient's.
import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from sklearn_skll import CooperationWarning, ModalitySelector
from sklearn_skll.datasets import load

data = load("alzheimers")
X, y, modalities = data.data, data.target, data.modalities
rng = np.random.RandomState(0)
n_visits = 3
patient = np.repeat(np.arange(len(y)), n_visits)
spread = X.std().to_numpy()
X_visits = X.iloc[patient].reset_index(drop=True)
X_visits += 0.05 * spread * rng.standard_normal(X_visits.shape)
y_visits = np.asarray(y)[patient]
print(f"{len(y)} patients, {len(y_visits)} visits")

# %%
# Score the subsets with row folds, then with patient folds
# ---------------------------------------------------------
# A random forest, a usual choice for such tables, can learn a patient by
# heart: a held-out visit then falls in the leaves of its training visits.
clf = RandomForestClassifier(n_estimators=25, random_state=0)


def utilities(**fit_params):
    selector = ModalitySelector(clf, modalities=modalities, cv=5, random_state=0)
    with warnings.catch_warnings():
        # Subsets no better than the constant predictor: C(S) is NaN.
        warnings.simplefilter("ignore", CooperationWarning)
        selector.fit(X_visits, y_visits, **fit_params)
    return selector.utilities_.set_index("subset")["utility"]


table = pd.DataFrame(
    {
        "rows split (inflated)": utilities(),
        "patients split (honest)": utilities(groups=patient),
    }
)
table["inflation"] = table.iloc[:, 0] - table.iloc[:, 1]
table = table.sort_values("patients split (honest)", ascending=False)
print(table.round(3).to_string())

# %%
# The honest utilities are those of new patients. The inflation is largest for
# the modalities with many columns (the protein panel), which identify a
# patient best: a row split would make them look far more useful than they
# are.
ax = table.iloc[:, :2].sort_values("patients split (honest)").plot.barh(figsize=(7, 6))
ax.set_xlabel("utility f_u(S): accuracy over the majority class")
ax.set_title("Utility of each modality subset, 3 visits per patient")
ax.figure.tight_layout()
