"""Multimodal neural classifiers trained through skorch."""

from ._net import MultimodalNetClassifier

__all__ = ["MultimodalNetClassifier"]
