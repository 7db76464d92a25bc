"""Imports every mapped model, so the metadata is complete for migrations and tests."""

from segmentation.events.models import UserEvent
from segmentation.lifecycle.models import StageChange
from segmentation.profiles.models import Profile
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.settings.models import SegmentationSettings
from segmentation.tags.models import TagRule, UserTag

__all__ = [
    "Profile",
    "Segment",
    "SegmentMembership",
    "SegmentationSettings",
    "StageChange",
    "TagRule",
    "UserEvent",
    "UserTag",
]
