"""Modality selection: score modality subsets and select the key subset."""

from ._selector import ModalitySelector

__all__ = ["ModalitySelector"]
