"""Imports every mapped model, so the metadata is complete for migrations and tests."""

from segmentation.events.history_import import HistoryImport, HistoryImportPart
from segmentation.lifecycle.models import StageChange
from segmentation.records.models import Profile, TagRule, UserEvent, UserTag
from segmentation.segments.models import (
    Segment,
    SegmentDay,
    SegmentDayChange,
    SegmentMembership,
)
from segmentation.settings.models import SegmentationSettings

__all__ = [
    "HistoryImport",
    "HistoryImportPart",
    "Profile",
    "Segment",
    "SegmentDay",
    "SegmentDayChange",
    "SegmentMembership",
    "SegmentationSettings",
    "StageChange",
    "TagRule",
    "UserEvent",
    "UserTag",
]
