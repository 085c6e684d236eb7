"""Per-sample acquisition: which rows should get which missing modality."""

from ._ranker import CHECK_ATTR, CRITERIA, AcquisitionRanker

__all__ = ["CHECK_ATTR", "CRITERIA", "AcquisitionRanker"]
