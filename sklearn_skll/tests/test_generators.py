"""Modules built from a generator: torch's values, no draw from its default one."""

import pytest
import torch
from torch import nn

from sklearn_skll._generators import build_module, empty_module, linear_init_
from sklearn_skll.impute._flows import FlowModule
from sklearn_skll.neural._modules import MultimodalNet

NET = dict(
    encoder_hidden=16,
    embed_dim=8,
    fusion_hidden=12,
    dropout=0.1,
    modality_dropout=0.0,
    n_heads=2,
    n_layers=2,
    n_experts=3,
    top_k=2,
)

FACTORIES = {
    **{
        f"net-{fusion}": lambda fusion=fusion: MultimodalNet(
            [3, 1, 5], 4, fusion=fusion, **NET
        )
        for fusion in ("concat", "attention", "moe")
    },
    "flow": lambda: FlowModule([3, 1, 5], 6, 3, 10, n_classes=2),
}


def test_linear_init_draws_what_nn_linear_draws():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        reference = nn.Linear(7, 5)
        after = torch.get_rng_state()
    gen = torch.Generator().manual_seed(3)
    linear = linear_init_(empty_module(lambda: nn.Linear(7, 5)), gen)
    assert torch.equal(linear.weight, reference.weight)
    assert torch.equal(linear.bias, reference.bias)
    assert torch.equal(gen.get_state(), after)  # as many draws


@pytest.mark.parametrize("name", FACTORIES)
def test_build_module_gives_the_weights_of_a_seeded_build(name):
    """Bit for bit the module built after torch.manual_seed, with as many
    draws, and without touching torch's default generator."""
    factory = FACTORIES[name]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        reference = factory()
        after = torch.get_rng_state()
        torch.manual_seed(5)
        untouched = torch.get_rng_state()
        gen = torch.Generator().manual_seed(11)
        module = build_module(factory, gen)
        assert torch.equal(torch.get_rng_state(), untouched)
    assert torch.equal(gen.get_state(), after)
    got, want = module.state_dict(), reference.state_dict()
    assert list(got) == list(want)
    for key, value in want.items():
        assert torch.equal(got[key], value), key


@pytest.mark.parametrize("name", FACTORIES)
def test_build_module_sets_every_value(name):
    """Nothing is left of the empty module's memory: a NaN written into every
    parameter and buffer before the reset is gone after it."""
    module = empty_module(FACTORIES[name])
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            tensor.fill_(float("nan"))
        module.reset_parameters(generator=torch.Generator().manual_seed(0))
    for key, value in module.state_dict().items():
        assert not value.isnan().any(), key
