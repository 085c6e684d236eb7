"""Device resolution shared by every torch part."""

from ._compat import StrOptions

__all__ = ["DEVICES", "resolve_device"]

#: The ``device`` values every torch part accepts (``_parameter_constraints``).
DEVICES = StrOptions({"cpu", "cuda", "auto"})


def resolve_device(device, param="device"):
    """Turn ``"cpu"``, ``"cuda"`` or ``"auto"`` into the device to train on.

    Raises
    ------
    ValueError
        If ``"cuda"`` is asked for and torch sees no CUDA device.
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"`{param}='cuda'` was requested, but this torch build or machine has "
            "no CUDA device. Use device='cpu' or device='auto'. Got "
            f"torch.cuda.is_available() == False (torch {torch.__version__}) "
            "instead."
        )
    return device
