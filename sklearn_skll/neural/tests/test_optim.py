import functools
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from sklearn_skll.neural import MultimodalNetClassifier, _net
from sklearn_skll.neural._optim import FusedAdamW

MODALITIES = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_data(n=200, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(3, size=n)
    X = rng.normal(size=(n, 9))
    X[:, 0] += 2 * y
    X[:, 5] += 2 * y
    X[:50, 5:] = np.nan
    X[50:80, :3] = np.nan
    return X, y


def _torch_adamw(monkeypatch):
    monkeypatch.setattr(
        _net, "FusedAdamW", functools.partial(torch.optim.AdamW, fused=True)
    )


@pytest.mark.parametrize("fusion", ["concat", "attention"])
def test_net_trains_bit_identically_to_torch_fused_adamw(fusion, monkeypatch):
    X, y = make_data()
    params = dict(
        modalities=MODALITIES,
        fusion=fusion,
        max_epochs=6,
        lr=1e-2,
        weight_decay=0.05,
        batch_size=32,
        random_state=0,
    )
    ours = MultimodalNetClassifier(**params).fit(X, y)
    assert isinstance(ours.net_.optimizer_, FusedAdamW)
    with monkeypatch.context() as patch:
        _torch_adamw(patch)
        theirs = MultimodalNetClassifier(**params).fit(X, y)
    assert isinstance(theirs.net_.optimizer_, torch.optim.AdamW)
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))
    for key in ("train_loss", "valid_loss"):
        assert ours.net_.history[:, key] == theirs.net_.history[:, key]
    for a, b in zip(
        ours.net_.module_.state_dict().values(),
        theirs.net_.module_.state_dict().values(),
    ):
        assert torch.equal(a, b)


def _two_optimizers(**kwargs):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh())
    twin = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh())
    twin.load_state_dict(model.state_dict())
    ours = FusedAdamW(model.parameters(), **kwargs)
    theirs = torch.optim.AdamW(twin.parameters(), fused=True, **kwargs)
    return model, twin, ours, theirs


def _steps(model, optimizer, n, seed=1):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(n):
        x = torch.randn(8, 4, generator=gen)
        optimizer.zero_grad()
        model(x).square().sum().backward()
        optimizer.step()


def test_state_and_state_dict_match_torch():
    model, twin, ours, theirs = _two_optimizers(lr=0.05, weight_decay=0.1)
    _steps(model, ours, 5)
    _steps(twin, theirs, 5)
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert mine["param_groups"][0]["params"] == torchs["param_groups"][0]["params"]
    for key in ("lr", "betas", "eps", "weight_decay", "fused"):
        assert mine["param_groups"][0][key] == torchs["param_groups"][0][key]
    assert mine["state"].keys() == torchs["state"].keys()
    for index, state in torchs["state"].items():
        assert mine["state"][index].keys() == state.keys()
        for name, tensor in state.items():
            assert mine["state"][index][name].dtype == tensor.dtype
            assert torch.equal(mine["state"][index][name], tensor)
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.equal(a, b)
    assert all(p.grad is not None for p in model.parameters())
    ours.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_load_state_dict_resumes_like_torch():
    model, twin, ours, theirs = _two_optimizers(lr=0.05)
    _steps(model, ours, 3)
    _steps(twin, theirs, 3)
    # Resume from torch's state in a fresh FusedAdamW, and the reverse.
    resumed = FusedAdamW(model.parameters(), lr=0.05)
    resumed.load_state_dict(theirs.state_dict())
    back = torch.optim.AdamW(twin.parameters(), lr=0.05, fused=True)
    back.load_state_dict(ours.state_dict())
    _steps(model, resumed, 3, seed=2)
    _steps(twin, back, 3, seed=2)
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.equal(a, b)


def test_bad_arguments_raise():
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="`fused`"):
        FusedAdamW(params, fused=False)
    with pytest.raises(ValueError, match="`lr`"):
        FusedAdamW(params, lr=-1.0)
    with pytest.raises(ValueError, match="`params`"):
        FusedAdamW([])
    with pytest.raises(ValueError, match="floating point"):
        FusedAdamW([torch.zeros(2, dtype=torch.int64)])


def test_fit_in_a_fresh_interpreter_does_not_import_torch_dynamo():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        from sklearn_skll.neural import MultimodalNetClassifier

        rng = np.random.RandomState(0)
        X, y = rng.normal(size=(60, 4)), np.arange(60) % 2
        clf = MultimodalNetClassifier(
            modalities={"a": [0, 1], "b": [2, 3]}, max_epochs=2, random_state=0
        ).fit(X, y)
        clf.predict_proba(X)
        print("torch._dynamo" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
