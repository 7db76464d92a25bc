"""Campaigns: what, for whom, when, with what budget, in which state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import Base

CAMPAIGN_TYPES = (
    "first_order_coupon",
    "churn_recall",
    "referral",
    "holiday",
    "comment_lottery",
    "topic_challenge",
    "content_push",
)
STATES = ("draft", "scheduled", "running", "paused", "finished")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_campaigns_state_times", "state", "starts_at", "ends_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(32))
    platforms: Mapped[list[str]]
    # {"kind": "segment" | "lifecycle_stage" | "rfm_tier" | "users" | "all", "values": [...]}
    target: Mapped[dict[str, Any]]
    holiday: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    budget: Mapped[Decimal | None]
    reward_limit: Mapped[int | None]
    coupon_template_id: Mapped[UUID | None]
    # Counted by a conditional UPDATE so that concurrent journeys never pass the limit.
    rewards_issued: Mapped[int] = mapped_column(default=0)
    priority: Mapped[int] = mapped_column(default=0)
    promotional: Mapped[bool] = mapped_column(default=True)
    content_ids: Mapped[list[str]]
    state: Mapped[str] = mapped_column(String(16))
    state_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
