"""The workspace's creator registry: KOLs and KOCs with their platform accounts, tier,
categories, price list, audience profile and performance history.

Lists and the audience profile are JSON (read whole, never queried into); what ranking and
filtering need per creator is kept in columns, derived on every write: the engagement rate
and engagements per post from the performance history, and the authenticity verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import Base


class Creator(Base):
    __tablename__ = "creators"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_creators_workspace_tier", "workspace_id", "tier"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    # The workspace's own key for the creator: imports update the creator it names.
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]]
    accounts: Mapped[list[Any]]
    prices: Mapped[list[Any]]
    audience: Mapped[dict[str, Any]]
    performance: Mapped[list[Any]]
    # Derived from `performance` (None without history).
    engagement_rate: Mapped[float | None]
    engagements_per_post: Mapped[float | None]
    # The latest authenticity check of the creator's accounts (None: never checked).
    authenticity_score: Mapped[float | None]
    authenticity_verdict: Mapped[str | None] = mapped_column(String(20))
    authenticity_checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
