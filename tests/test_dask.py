"""Subset jobs and protocol runs on a Dask cluster give joblib's results."""

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.linear_model import LogisticRegression

from sklearn_skll import ClassConditionalGaussianImputer, ModalitySelector
from sklearn_skll.budget import run_protocol
from sklearn_skll.datasets import make_multimodal_classification
from sklearn_skll.exceptions import CooperationWarning
from sklearn_skll.neural import MultimodalNetClassifier
from sklearn_skll.selection._selector import SMALL_NET

distributed = pytest.importorskip("dask.distributed")

pytestmark = pytest.mark.dask


@contextlib.contextmanager
def dask_cluster(n_workers, threads_per_worker=1):
    # threads of this process (processes=False): no worker start-up, and the
    # jobs still travel through the scheduler as they would to remote workers
    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        yield


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CooperationWarning)
        yield


def data(n):
    bunch = make_multimodal_classification(n, random_state=0, as_frame=False)
    return bunch.data, bunch.target, bunch.modalities


def test_run_protocol_on_dask_equals_joblib():
    X, y, mods = data(240)
    kwargs = dict(
        available=(0.3,),
        strategies=("uniform", "skll"),
        seeds=2,
        estimator_params={
            "selector": ModalitySelector(cv=3),
            "imputer": ClassConditionalGaussianImputer(),
            "classifier": LogisticRegression(max_iter=300),
        },
    )
    local = run_protocol(X, y, mods, **kwargs)
    with dask_cluster(n_workers=2):
        remote = run_protocol(X, y, mods, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(
        remote.drop(columns="fit_time"), local.drop(columns="fit_time")
    )


def test_masked_engine_folds_on_dask_equal_joblib():
    # One net per fold: the fold jobs spread out, the subsets of a fold do
    # not. One worker with two threads: the two fold nets train at once in
    # one process, each drawing from generators of its own, run after run.
    X, y, mods = data(600)
    net = MultimodalNetClassifier(**dict(SMALL_NET, max_epochs=3), random_state=0)
    params = dict(modalities=mods, utility="masked", cv=2, random_state=0)
    local = ModalitySelector(net, **params).fit(X, y)
    with dask_cluster(n_workers=1, threads_per_worker=2):
        for _ in range(2):
            remote = ModalitySelector(net, n_jobs=2, **params).fit(X, y)
            pd.testing.assert_frame_equal(remote.utilities_, local.utilities_)
            np.testing.assert_array_equal(
                remote.utility_replicates_, local.utility_replicates_
            )
