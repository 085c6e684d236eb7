"""Per-sample acquisition: which rows should get which missing modality."""

from ._ranker import CRITERIA, AcquisitionRanker

__all__ = ["CRITERIA", "AcquisitionRanker"]
