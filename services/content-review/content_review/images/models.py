"""Perceptual hashes of uploaded images, per workspace. An image found without a valid licence
is marked, so the same picture uploaded again under another name is caught."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_review.db import Base


class ImageFingerprint(Base):
    __tablename__ = "image_fingerprints"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    # sha256 of the reference: references are URLs up to 2,000 characters, too long for a key.
    ref_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    ref: Mapped[str] = mapped_column(Text)
    # 64-bit pHash as 16 hex digits (an unsigned 64-bit value does not fit a signed BIGINT).
    phash: Mapped[str] = mapped_column(String(16))
    uploaded_at: Mapped[datetime]
    unlicensed_since: Mapped[datetime | None]
