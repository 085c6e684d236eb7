"""
Real versus generated features, seen with t-SNE
===============================================

Like Figure 3 of the SK-LL paper: a :class:`~sklearn_skll.impute.FlowImputer`
learns from complete rows of ``multiple_features`` (six views of handwritten
digits), then generates one view of held-out rows from their other views. A
t-SNE map of the real and the generated features shows whether the generated
ones fall where the real ones of the same digit lie.
"""

# %%
# Fit on complete rows
# --------------------
# 600 complete rows train the flows; 200 other rows get their ``fac`` view
# (216 profile correlations) and, separately, their ``kar`` view (64
# Karhunen-Loeve coefficients) hidden and generated from the other five.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.manifold import TSNE
from sklearn.metrics import r2_score

from sklearn_skll.datasets import load
from sklearn_skll.impute import FlowImputer

data = load("multiple_features")
X, y, modalities = data.data, np.asarray(data.target), data.modalities
rng = np.random.RandomState(0)
order = rng.permutation(len(X))
train, test = order[:600], order[600:800]

imputer = FlowImputer(modalities=modalities, max_epochs=40, random_state=0)
imputer.set_output(transform="pandas")  # keeps column names and index
imputer.fit(X.iloc[train], y[train])
print(f"trained {imputer.n_iter_} epochs")

# %%
# Generate each view from the others, then map real and generated together
# -------------------------------------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, view in zip(axes, ["fac", "kar"]):
    X_test = X.iloc[test].copy()
    X_test[modalities[view]] = np.nan
    generated = imputer.transform(X_test)[modalities[view]].to_numpy()
    real = X.iloc[test][modalities[view]].to_numpy()
    print(f"{view}: R^2 of generated vs real = {r2_score(real, generated):.2f}")
    both = np.vstack([real, generated])
    both = (both - real.mean(0)) / (real.std(0) + 1e-12)
    emb = TSNE(perplexity=30, random_state=0, init="pca").fit_transform(both)
    n = len(test)
    for marker, part, label in [
        ("o", slice(0, n), "real"),
        ("x", slice(n, 2 * n), "generated"),
    ]:
        ax.scatter(
            emb[part, 0],
            emb[part, 1],
            c=y[test],
            cmap="tab10",
            marker=marker,
            s=18,
            alpha=0.8,
            label=label,
            vmin=0,
            vmax=9,
        )
    ax.set_title(f"view `{view}`: real (o) and generated (x)")
    ax.set_xticks([])
    ax.set_yticks([])
axes[0].legend(loc="lower left")
fig.suptitle("t-SNE of real and FlowImputer-generated features, coloured by digit")
fig.tight_layout()
plt.show()

# %%
# Generated points sit inside the clusters of real points of the same digit
# when the transfer works; generated points are smoother than real ones (the
# deterministic transfer returns a conditional mean), so they gather nearer
# the cluster centres. ``sample_posterior=True`` adds the held-out spread of
# the transfer back, for multiple imputation.
