"""
=================================================
Which modality drove this prediction? Per-patient
=================================================

:class:`~sklearn_skll.ModalitySelector` says which modalities matter *on
average*, for the score of a model trained on them. For one patient, the
question is different: which of her modalities pushed *her* prediction up or
down? :func:`~sklearn_skll.explain.modality_shap_values` answers it with
Shapley values in which each modality (a group of columns) is one player,
computed by ``shap``'s own explainers. The result is a
:class:`shap.Explanation`, so shap's plots work on it unchanged.

We use the bundled Alzheimer's data: 333 participants, four modalities
measured in cerebrospinal fluid or at the visit (124 proteins, 3 CSF
biomarkers, the APOE genotype, age and sex).
"""

# %%
# Data and model
# --------------
# :class:`~sklearn.ensemble.HistGradientBoostingClassifier` accepts NaN, so a
# modality can be *missing* (its whole block NaN), as in the rest of
# ``sklearn_skll``.
import matplotlib.pyplot as plt
import numpy as np
import shap
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll.datasets import load
from sklearn_skll.explain import modality_shap_values

bunch = load("alzheimers")
X, y, modalities = bunch.data, bunch.target, bunch.modalities
print({name: len(columns) for name, columns in modalities.items()})
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, random_state=0)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# Attributions with missing modalities
# ------------------------------------
# With ``missing="nan"`` (what ``"auto"`` picks for a model that accepts NaN),
# hiding a modality sets its block to NaN. The base value is the prediction
# when every modality is missing; the four values of a row add up to the gap
# between it and the row's prediction. Four players: all ``2**4 = 16``
# coalitions are evaluated exactly.
explanation = modality_shap_values(model, X_test, modalities)
print(explanation.values.shape)  # (rows, modalities, classes)
impaired = explanation[:, :, 1]  # the probability of "Impaired"
gap = impaired.values.sum(axis=1) + impaired.base_values
print("efficiency holds:", np.allclose(gap, model.predict_proba(X_test)[:, 1]))

# %%
# The mean absolute value ranks the modalities for this model's predictions.
shap.plots.bar(impaired, show=False)
plt.title("Mean |Shapley value| per modality, P(Impaired)")
plt.tight_layout()
plt.show()

# %%
# The beeswarm shows one point per patient. The colour is the explanation's
# ``data``: the mean z-score of the modality's columns in that row (against
# the explained rows), so red means "this patient's values of the modality
# are, on average, above the usual ones". A mean over 124 proteins is a rough
# summary; the horizontal position is what the Shapley values say.
shap.plots.beeswarm(impaired, show=False)
plt.tight_layout()
plt.show()

# %%
# One patient
# -----------
# The waterfall explains the test patient with the highest risk.
row = int(np.argmax(model.predict_proba(X_test)[:, 1]))
shap.plots.waterfall(impaired[row], show=False)
plt.show()

# %%
# If the CSF biomarkers of that patient had not been collected, the block is
# all NaN: the CSF modality gets exactly 0 and the prediction is shared by the
# three others. The patient's observed values are never changed.
X_no_csf = X_test.iloc[[row]].copy()
X_no_csf[modalities["csf"]] = np.nan
without = modality_shap_values(model, X_no_csf, modalities)[:, :, 1]
print(
    {
        name: round(float(value), 3)
        for name, value in zip(without.feature_names, without.values[0])
    }
)

# %%
# Background rows instead of missing modalities
# ---------------------------------------------
# A model that does not accept NaN is explained by taking each hidden
# modality from background rows and averaging (interventional Shapley
# values). For a linear logit the answer is known in closed form, the sum over
# the modality's columns of ``coef * (x - mean(background))``; the values
# match it.
linear = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
linear.fit(X_train, y_train)
background = X_train.sample(100, random_state=0)
logit = modality_shap_values(
    linear, X_test, modalities, background=background, response="decision_function"
)
coef = linear[-1].coef_[0] / linear[0].scale_
centred = (X_test - background.mean()).to_numpy()
closed_form = np.column_stack(
    [
        centred[:, X.columns.get_indexer(columns)]
        @ coef[X.columns.get_indexer(columns)]
        for columns in modalities.values()
    ]
)
print("closed form matches:", np.allclose(logit.values, closed_form))
shap.plots.bar(logit, show=False)
plt.title("Mean |Shapley value| per modality, logit of a linear model")
plt.show()
