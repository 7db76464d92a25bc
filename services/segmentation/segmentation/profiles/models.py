"""Profiles live with the other per-user records (segmentation.records.models)."""

from segmentation.records.models import USER_ID_LENGTH, Profile

__all__ = ["USER_ID_LENGTH", "Profile"]
