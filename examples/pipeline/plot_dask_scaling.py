"""
Scaling subset evaluation out with Dask
=======================================

The retrain engine fits one model per (subset, fold): 2^M - 1 subsets times
the folds. Those fits run through :class:`sklearn.utils.parallel.Parallel`, so
``joblib.parallel_config(backend="dask")`` sends them to a Dask cluster with
no change to the code. Here the cluster is local; point
:class:`dask.distributed.Client` at a scheduler address to use a real one.
"""

# %%
import time

import joblib
from dask.distributed import Client, LocalCluster
from sklearn.ensemble import HistGradientBoostingClassifier

from sklearn_skll import ModalitySelector
from sklearn_skll.datasets import make_multimodal_classification

data = make_multimodal_classification(n_samples=600, random_state=0)
X, y, mods = data.data, data.target, data.modalities
selector = ModalitySelector(
    HistGradientBoostingClassifier(max_iter=50, random_state=0),
    modalities=mods,
    cv=3,
    n_jobs=-1,
    random_state=0,
)

# %%
start = time.perf_counter()
local = selector.fit(X, y).utilities_
print(f"loky, local processes: {time.perf_counter() - start:.1f} s")

# %%
with (
    LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
    Client(cluster) as client,
):
    start = time.perf_counter()
    with joblib.parallel_config(backend="dask"):
        remote = selector.fit(X, y).utilities_
    print(f"dask: {time.perf_counter() - start:.1f} s on {client}")

# %%
# Same seed, same folds, same models: the two tables agree.
assert (local["utility"].round(12) == remote["utility"].round(12)).all()
remote[["modalities", "utility", "cooperation", "rank"]]
