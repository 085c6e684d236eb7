"""Saving fitted estimators: skops.io (no code run on load), pickle, joblib, and
a model fitted on CUDA loading on a CPU machine (CUDA mocked)."""

import io
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from sklearn_skll import (
    BudgetedMultimodalClassifier,
    FlowImputer,
    ModalitySelector,
    MultimodalNetClassifier,
    trusted_types,
)
from sklearn_skll.budget import fast_parts

sio = pytest.importorskip("skops.io")

MODS = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6]}
NET = dict(
    encoder_hidden=8,
    embed_dim=8,
    fusion_hidden=8,
    max_epochs=3,
    batch_size=32,
    random_state=0,
)


def _data(n=90, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    X = rng.randn(n, 7) + y[:, None]
    return X, y


def _with_missing(X):
    X = X.copy()
    X[:15, 3:5] = np.nan
    return X


def _skops_round_trip(estimator):
    data = sio.dumps(estimator)
    untrusted = set(sio.get_untrusted_types(data=data))
    assert untrusted <= set(trusted_types()), untrusted - set(trusted_types())
    return sio.loads(data, trusted=trusted_types())


def _assert_state_is_torch_free(value, where="state"):
    """No torch object anywhere in an estimator's saved state."""
    if isinstance(value, (torch.Tensor, torch.nn.Module)):
        raise AssertionError(f"torch object at {where}")
    if isinstance(value, dict):
        for k, v in value.items():
            _assert_state_is_torch_free(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for k, v in enumerate(value):
            _assert_state_is_torch_free(v, f"{where}[{k}]")
    elif hasattr(value, "__getstate__") and hasattr(value, "get_params"):
        _assert_state_is_torch_free(value.__getstate__(), f"{where}.state")


def test_trusted_types_are_the_packages_own():
    types = trusted_types()
    assert "sklearn_skll.neural._net.MultimodalNetClassifier" in types
    assert all(t.startswith("sklearn_skll.") for t in types)


def test_net_round_trips_with_skops_pickle_and_joblib(tmp_path):
    X, y = _data()
    net = MultimodalNetClassifier(modalities=MODS, **NET).fit(_with_missing(X), y)
    expected = net.predict_proba(_with_missing(X))
    _assert_state_is_torch_free(net.__getstate__())
    for again in (
        _skops_round_trip(net),
        pickle.loads(pickle.dumps(net)),
        joblib.load(joblib.dump(net, tmp_path / "net.joblib")[0]),
    ):
        np.testing.assert_array_equal(again.predict_proba(_with_missing(X)), expected)
        assert len(again.history_) == len(net.history_)
        assert again.history_[-1]["train_loss"] == net.history_[-1]["train_loss"]


def test_skops_file_on_disk(tmp_path):
    X, y = _data()
    net = MultimodalNetClassifier(modalities=MODS, **NET).fit(X, y)
    path = tmp_path / "net.skops"
    sio.dump(net, path)
    again = sio.load(path, trusted=trusted_types())
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_flow_imputer_round_trips_with_skops():
    X, y = _data()
    imputer = FlowImputer(
        modalities=MODS, max_epochs=3, n_flows=2, hidden_dim=8, random_state=0
    ).fit(X, y)
    expected = imputer.transform(_with_missing(X))
    _assert_state_is_torch_free(imputer.__getstate__())
    again = _skops_round_trip(imputer)
    np.testing.assert_array_equal(again.transform(_with_missing(X)), expected)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(imputer)).transform(_with_missing(X)), expected
    )


def test_selector_round_trips_with_skops():
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(7)])
    mods = {"a": ["x0", "x1", "x2"], "b": ["x3", "x4"], "c": ["x5", "x6"]}
    sel = ModalitySelector(
        LogisticRegression(), modalities=mods, cv=3, n_bootstrap=20, random_state=0
    ).fit(frame, y)
    again = _skops_round_trip(sel)
    pd.testing.assert_frame_equal(
        again.utilities_, sel.utilities_, check_index_type=False
    )
    pd.testing.assert_series_equal(again.shapley_values_, sel.shapley_values_)
    pd.testing.assert_frame_equal(again.interactions_, sel.interactions_)
    assert again.selected_modalities_ == sel.selected_modalities_
    assert again.utility_table() == sel.utility_table()
    assert list(again.feature_names_in_) == list(sel.feature_names_in_)
    assert again.plan(0.1).to_frame().equals(sel.plan(0.1).to_frame())


def test_budgeted_classifier_round_trips_with_skops():
    X, y = _data(120)
    parts = fast_parts(MODS)  # the selector is linear at these sizes
    parts["imputer"].set_params(max_epochs=2)
    parts["classifier"].set_params(max_epochs=2)
    clf = BudgetedMultimodalClassifier(
        modalities=MODS, available=0.5, budget=0.2, random_state=0, **parts
    ).fit(X, y)
    expected = clf.predict_proba(X)
    _assert_state_is_torch_free(clf.__getstate__())
    again = _skops_round_trip(clf)
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    assert again.plan_ == clf.plan_


class _CudaTensor:
    """Stands in for a tensor on a GPU: it must be moved before ``numpy()``."""

    def __init__(self, tensor):
        self._tensor = tensor
        self.device = torch.device("cuda", 0)

    def detach(self):
        return self

    def cpu(self):
        return self._tensor.detach().clone()

    def numpy(self):
        raise TypeError("can't convert cuda:0 device type tensor to numpy")


def _on_mock_cuda(module):
    real = module.state_dict
    module.state_dict = lambda *a, **k: {n: _CudaTensor(t) for n, t in real().items()}


def test_models_fitted_on_cuda_load_on_the_cpu(monkeypatch):
    """The saved state moves every weight to the CPU and says device 'cpu'.

    A CPU fit stands in for a CUDA one: the module hands out tensors that
    refuse ``numpy()`` until moved with ``cpu()``, as CUDA tensors do, and
    the estimator's device is relabelled. Loading then never asks for CUDA.
    """
    X, y = _data()
    net = MultimodalNetClassifier(modalities=MODS, **NET).fit(X, y)
    imputer = FlowImputer(
        modalities=MODS, max_epochs=2, n_flows=2, hidden_dim=8, random_state=0
    ).fit(X, y)
    expected = net.predict_proba(X), imputer.transform(_with_missing(X))
    _on_mock_cuda(net.net_.module_)
    _on_mock_cuda(imputer.module_)
    net.device_ = imputer.device_ = "cuda"
    buffers = [io.BytesIO(sio.dumps(net)), io.BytesIO(sio.dumps(imputer))]
    pickled = pickle.dumps(net), pickle.dumps(imputer)
    assert net.device_ == "cuda"  # the live estimator is left alone

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for net_again, imputer_again in (
        (
            sio.loads(buffers[0].getvalue(), trusted=trusted_types()),
            sio.loads(buffers[1].getvalue(), trusted=trusted_types()),
        ),
        tuple(pickle.loads(p) for p in pickled),
    ):
        assert net_again.device_ == "cpu" and imputer_again.device_ == "cpu"
        assert all(p.device.type == "cpu" for p in net_again.net_.module_.parameters())
        np.testing.assert_array_equal(net_again.predict_proba(X), expected[0])
        np.testing.assert_array_equal(
            imputer_again.transform(_with_missing(X)), expected[1]
        )


# --------------------------------------------------------------------------- #
# Every public estimator, from the package's one list (sklearn_skll._catalog):
# default and fast parts, fitted on arrays and on DataFrames, through skops
# and pickle. A new public estimator fails test_every_estimator_has_factories
# until it has its two factories here.
# --------------------------------------------------------------------------- #
FRAME_MODS = {"a": ["x0", "x1", "x2"], "b": ["x3", "x4"], "c": ["x5", "x6"]}
FAST_FLOW = dict(max_epochs=2, n_flows=2, hidden_dim=8, latent_dim=4)


def _factories():
    from sklearn_skll.acquisition import AcquisitionRanker
    from sklearn_skll.impute import ClassConditionalGaussianImputer

    return {
        "ModalitySelector": {
            "default": lambda m: ModalitySelector(modalities=m, random_state=0),
            "fast": lambda m: ModalitySelector(
                LogisticRegression(), modalities=m, cv=2, random_state=0
            ),
        },
        "FlowImputer": {
            "default": lambda m: FlowImputer(modalities=m, random_state=0),
            "fast": lambda m: FlowImputer(modalities=m, random_state=0, **FAST_FLOW),
        },
        "ClassConditionalGaussianImputer": {
            "default": lambda m: ClassConditionalGaussianImputer(modalities=m),
            "fast": lambda m: ClassConditionalGaussianImputer(
                modalities=m, shrinkage=0.1, class_conditional=False
            ),
        },
        "MultimodalNetClassifier": {
            "default": lambda m: MultimodalNetClassifier(modalities=m, random_state=0),
            "fast": lambda m: MultimodalNetClassifier(modalities=m, **NET),
        },
        "BudgetedMultimodalClassifier": {
            "default": lambda m: BudgetedMultimodalClassifier(
                modalities=m, random_state=0
            ),
            "fast": lambda m: BudgetedMultimodalClassifier(
                modalities=m, available=0.5, budget=0.2, random_state=0, **fast_parts(m)
            ),
        },
        "AcquisitionRanker": {
            "default": lambda m: AcquisitionRanker(
                MultimodalNetClassifier(random_state=0),
                FlowImputer(random_state=0),
                modalities=m,
                n_draws=5,
                cv=2,  # the default criterion fits cv + 1 nets and flows
                random_state=0,
            ),
            "fast": lambda m: AcquisitionRanker(
                LogisticRegression(),
                ClassConditionalGaussianImputer(),
                modalities=m,
                n_draws=5,
                random_state=0,
            ),
        },
    }


def test_every_estimator_has_factories():
    from sklearn_skll._catalog import ESTIMATORS, public_estimators

    assert set(_factories()) == set(ESTIMATORS)
    types = set(trusted_types())
    for cls in public_estimators():
        assert f"{cls.__module__}.{cls.__qualname__}" in types


def _outputs(estimator, X):
    """What a fitted estimator gives back, to compare after loading."""
    import warnings

    X_missing = _with_missing(np.asarray(X, dtype=float))
    if isinstance(X, pd.DataFrame):
        X_missing = pd.DataFrame(X_missing, columns=X.columns)
    if hasattr(estimator, "predict_proba"):
        return [np.asarray(estimator.predict_proba(X_missing))]
    if hasattr(estimator, "rank"):
        return [estimator.rank(X_missing)]
    if hasattr(estimator, "utilities_"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = estimator.transform(X_missing)
        return [estimator.utilities_, estimator.selected_modalities_, np.asarray(out)]
    return [np.asarray(estimator.transform(X_missing))]


def _assert_same(got, expected):
    for a, b in zip(got, expected, strict=True):
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_index_type=False)
        elif isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b


@pytest.mark.parametrize("container", ["array", "frame"])
@pytest.mark.parametrize("parts", ["default", "fast"])
@pytest.mark.parametrize("name", sorted(_factories()))
def test_every_estimator_saves_and_loads(name, parts, container):
    import warnings

    X, y = _data(120)
    mods = MODS
    if container == "frame":
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(7)])
        mods = FRAME_MODS
    estimator = _factories()[name][parts](mods)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and C(S) notes
        estimator.fit(X, y)
    expected = _outputs(estimator, X)
    _assert_state_is_torch_free(estimator.__getstate__())
    for again in (_skops_round_trip(estimator), pickle.loads(pickle.dumps(estimator))):
        assert type(again) is type(estimator)
        _assert_same(_outputs(again, X), expected)


def test_mlflow_recipe_logs_and_loads_default_parts(tmp_path, monkeypatch):
    """The documented recipe, with a local SQLite tracking store."""
    mlflow = pytest.importorskip("mlflow")
    mlflow_sklearn = pytest.importorskip("mlflow.sklearn")

    import sklearn_skll

    monkeypatch.chdir(tmp_path)  # nothing is written outside the folder
    X, y = _data()
    model = BudgetedMultimodalClassifier(modalities=MODS, random_state=0).fit(X, y)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        experiment = mlflow.create_experiment(
            "sklearn_skll", artifact_location=(tmp_path / "artifacts").as_uri()
        )
        with mlflow.start_run(experiment_id=experiment):
            info = mlflow_sklearn.log_model(
                model,
                name="model",
                serialization_format="skops",
                skops_trusted_types=sklearn_skll.trusted_types(),
                # Given, so that MLflow does not infer them by loading the
                # model in a subprocess (most of the test's time otherwise).
                pip_requirements=["sklearn-skll"],
            )
        loaded = mlflow_sklearn.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(previous)
    assert type(loaded) is BudgetedMultimodalClassifier
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert any((tmp_path / "artifacts").rglob("*.skops"))
