"""Collaborations: a creator's part in a campaign, its tracking code, and the conversions
that carried the code."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import ROW_ID, USER_ID_LENGTH, Base

STATES = ("proposed", "approved", "published", "cancelled")
CODE_LENGTH = 16


class Collaboration(Base):
    __tablename__ = "collaborations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "campaign_id", "creator_id", "platform"),
        UniqueConstraint("code"),
        Index("ix_collaborations_campaign", "workspace_id", "campaign_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    creator_id: Mapped[UUID] = mapped_column(ForeignKey("creators.id"))
    platform: Mapped[str] = mapped_column(String(20))
    deliverable: Mapped[str] = mapped_column(String(16))
    brief: Mapped[str] = mapped_column(String(4000))
    fee: Mapped[Decimal]
    publish_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))
    # The creator's code: a coupon or invite code its audience enters, and the tracking link's
    # `yy_c` parameter; any of them on a purchase or sign-up attributes it to this creator.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    tracking_link: Mapped[str] = mapped_column(String(500))
    content_id: Mapped[str | None] = mapped_column(String(64))
    # The authenticity verdict the approval was decided on.
    approval: Mapped[dict[str, Any] | None]
    exposure: Mapped[int] = mapped_column(default=0)
    engagement: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CreatorConversion(Base):
    __tablename__ = "creator_conversions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "event_id"),
        Index("ix_creator_conversions_collaboration", "collaboration_id"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    collaboration_id: Mapped[UUID] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16))  # coupon_code | invite_code | tracking_link
    amount: Mapped[Decimal | None]
    occurred_at: Mapped[datetime]
