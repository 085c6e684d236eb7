"""Fixtures shared by the tests under ``sklearn_skll/`` and ``tests/``."""

import pytest


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a test module, the caller's setting restored after.

    The tests' nets are tiny and the machines that run them are often
    shared: intra-op threads only cost time there. Use it with
    ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    import torch  # here: the suites that never train a net do not pay for it

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
