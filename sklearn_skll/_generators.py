"""Torch modules whose random initial values come from a given generator.

torch's default generator belongs to the process. A fit that seeded it
(``torch.manual_seed`` inside ``torch.random.fork_rng``) would share it
with every other fit running in a thread of the same process (joblib's
threading backend, a Dask worker with several threads, a
``ThreadPoolExecutor``): their draws would interleave, and the same
``random_state`` would give another result from run to run. So the torch
parts of the package never seed nor draw from it: each fit makes its own
``torch.Generator`` from ``random_state`` and passes it to every draw.

The one draw torch makes on its own is a module's initialisation
(``nn.Linear.__init__`` draws its weights from the default generator).
:func:`build_module` builds a module on the ``meta`` device, where nothing
is drawn, and then draws its initial values from the fit's generator with
the module's ``reset_parameters(generator)``, which draws what its
``__init__`` draws, in the same order: on the CPU the values are those of
the module built right after ``torch.manual_seed(seed)``, bit for bit
(``torch.Generator().manual_seed(seed)`` gives the same stream).
"""

import math

import torch
from torch import nn

__all__ = ["build_module", "empty_module", "linear_init_"]


def linear_init_(linear, generator=None):
    """Draw ``linear``'s weights as ``nn.Linear.reset_parameters`` does.

    The same values as torch's own initialisation for the same stream,
    drawn from ``generator`` (None: torch's default generator).
    """
    nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=generator)
    if linear.bias is not None:
        fan_in = linear.weight.shape[1]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        nn.init.uniform_(linear.bias, -bound, bound, generator=generator)
    return linear


def empty_module(factory):
    """``factory()``'s module on the CPU, built without a random draw.

    Its parameters hold uninitialised memory: for a module whose values are
    set next (loaded from a state dict, or drawn by :func:`build_module`).
    """
    with torch.device("meta"):
        module = factory()
    return module.to_empty(device="cpu")


def build_module(factory, generator):
    """``factory()``'s module on the CPU, its initial values drawn from ``generator``.

    The module must have a ``reset_parameters(generator)`` that sets every
    parameter and buffer, drawing from ``generator`` what its ``__init__``
    draws from torch's default generator, in the same order.
    """
    module = empty_module(factory)
    with torch.no_grad():
        module.reset_parameters(generator=generator)
    return module
