"""Raw events live with the other per-user records (segmentation.records.models)."""

from segmentation.records.models import UserEvent

__all__ = ["UserEvent"]
