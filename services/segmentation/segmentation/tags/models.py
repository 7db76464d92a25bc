"""Tags and tag rules live with the other per-user records (segmentation.records.models)."""

from segmentation.records.models import TagRule, UserTag

__all__ = ["TagRule", "UserTag"]
