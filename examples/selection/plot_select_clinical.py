"""
Which biomarkers should new patients carry?
===========================================

The bundled ``alzheimers`` table has four modalities per patient: a panel of
124 plasma proteins, three cerebrospinal-fluid (CSF) markers, the APOE
genotype and demographics. Collecting a CSF sample needs a lumbar puncture;
a protein panel needs an assay; demographics are free. Before paying for new
patients, :class:`~sklearn_skll.ModalitySelector` scores every modality
subset by what it adds to a classifier over the constant predictor.
"""

# %%
# Score every subset
# ------------------
# A standardized logistic regression is refit on each of the 15 subsets and
# 5 folds; the utility is its cross-validated accuracy minus the majority-class
# accuracy, and 200 bootstrap resamples of the held-out predictions give
# intervals.
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll import ModalitySelector
from sklearn_skll.datasets import load

data = load("alzheimers")
X, y, modalities = data.data, data.target, data.modalities
print({name: len(cols) for name, cols in modalities.items()})

clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
selector = ModalitySelector(
    clf, modalities=modalities, cv=5, n_bootstrap=200, random_state=0
).fit(X, y)
selector.utilities_.round(3)

# %%
# Shapley values and interactions
# -------------------------------
# The Shapley values add up to the utility of all modalities together; the
# pairwise interaction index is positive for synergy, negative for redundancy.
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
selector.plot(kind="shapley", ax=axes[0])
selector.plot(kind="interactions", ax=axes[1])
fig.tight_layout()

# %%
# The key subset and what a budget buys
# -------------------------------------
# With the paper's criterion (highest cooperation C(S) among subsets of
# ``|M| - 1`` modalities) and the greedy path of Algorithm 1:
print("selected:", selector.selected_modalities_)
print("greedy path:", selector.greedy_path_)

# %%
# A 10 % budget spent on the key subset buys more patients than the same
# budget spread over every modality. With unequal costs (a lumbar puncture
# costs more than a questionnaire), the plan weighs utility against cost.
print(selector.plan(0.1))
print(
    selector.plan(
        0.1, costs={"proteins": 3.0, "csf": 5.0, "apoe": 1.0, "demographics": 0.1}
    )
)
