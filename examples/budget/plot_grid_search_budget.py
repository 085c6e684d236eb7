"""
What would a budget buy? A grid search over budgets and strategies
==================================================================

:class:`~sklearn_skll.budget.BudgetedMultimodalClassifier` simulates the
paper's protocol on complete data: a stratified part of the training rows is
the data already collected (``available``), and the budget buys new rows from
the rest, either complete rows spread over every modality (``"uniform"``, the
paper's baseline) or rows carrying only the key subset with the rest
generated (``"skll"``). Because budget and strategy are ordinary parameters,
:class:`~sklearn.model_selection.GridSearchCV` compares them with
cross-validation.

To keep this example fast (about a minute and a half on one core), the selector scores
the subsets with one small masked net per fold, the flow is tiny and the
classifier is a logistic regression.
"""

# %%
# Data: the bundled ``alzheimers`` table, four modalities
# ---------------------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_skll.budget import BudgetedMultimodalClassifier
from sklearn_skll.datasets import load
from sklearn_skll.impute import FlowImputer
from sklearn_skll.neural import MultimodalNetClassifier
from sklearn_skll.selection import ModalitySelector

warnings.filterwarnings("ignore")  # small models on small folds
data = load("alzheimers")
X, y, mods = data.data, data.target, data.modalities
print(X.shape, {name: len(cols) for name, cols in mods.items()})

# %%
# The estimator: 20 % of the rows available, the rest a pool to buy from
# ----------------------------------------------------------------------
small_net = MultimodalNetClassifier(
    encoder_hidden=16, embed_dim=8, fusion_hidden=16, max_epochs=10, lr=3e-3
)
clf = BudgetedMultimodalClassifier(
    modalities=mods,
    available=0.2,
    selector=ModalitySelector(small_net, modalities=mods, utility="masked", cv=2),
    imputer=FlowImputer(modalities=mods, n_flows=2, hidden_dim=16, max_epochs=5),
    classifier=make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)),
    random_state=0,
)

# %%
# What one budget buys: the plan
# ------------------------------
# Budget 10 % of the training rows with four equal-cost modalities: uniform
# buys 10 / 4 = 2.5 % new complete rows, SK-LL 10 / ``|S|`` % rows of the key
# subset S, the upper bound 10 % complete rows.
clf.set_params(budget=0.1, strategy="skll").fit(X, y)
print(clf.plan_)
clf.plan_.to_frame()

# %%
# The grid search
# ---------------
grid = {
    "budget": [0.1, 0.5],
    "strategy": ["available_only", "uniform", "skll", "full"],
}
search = GridSearchCV(
    clf, grid, cv=StratifiedKFold(2, shuffle=True, random_state=0), n_jobs=1
)
search.fit(X, y)
results = pd.DataFrame(search.cv_results_)
table = results.pivot(
    index="param_budget", columns="param_strategy", values="mean_test_score"
)[grid["strategy"]]
table

# %%
# The plot: accuracy against budget, one line per strategy
# --------------------------------------------------------
fig, ax = plt.subplots(figsize=(6, 4))
for strategy in grid["strategy"]:
    rows = results[results["param_strategy"] == strategy]
    ax.errorbar(
        np.asarray(rows["param_budget"], dtype=float) * 100,
        rows["mean_test_score"],
        yerr=rows["std_test_score"],
        marker="o",
        capsize=3,
        label=strategy,
    )
ax.set_xlabel("new-data budget (% of the training rows)")
ax.set_ylabel("cross-validated accuracy")
ax.set_title("alzheimers, 20 % available")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# ``available_only`` does not depend on the budget (no new rows): it is the
# lower bound. ``full`` gives every modality its own budget: the upper bound.
# Where ``skll`` lies between ``uniform`` and ``full`` depends on the data:
# on this small table the differences are within the folds' spread, so read
# them with their error bars. ``search.best_params_`` picks the best cell.
print(search.best_params_)
