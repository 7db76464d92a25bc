"""What the funnel counts: exposures and clicks reported by senders, and the purchases and
shares that followed them (attributed from accepted CRM events)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import ROW_ID, USER_ID_LENGTH, Base


class FunnelTouch(Base):
    """An exposure or click of a campaign, by variant and platform ("" when none)."""

    __tablename__ = "funnel_touches"
    __table_args__ = (
        # A sender retrying a batch resends its touch ids: each is counted once.
        UniqueConstraint("workspace_id", "campaign_id", "kind", "touch_id"),
        Index("ix_funnel_touches_user_time", "workspace_id", "user_id", "occurred_at"),
        Index("ix_funnel_touches_campaign", "workspace_id", "campaign_id", "kind"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))  # exposure, click
    variant: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    touch_id: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime]


class FunnelOutcome(Base):
    """A purchase or share by a user the campaign touched within the attribution window."""

    __tablename__ = "funnel_outcomes"
    __table_args__ = (
        UniqueConstraint("workspace_id", "campaign_id", "event_id"),
        Index("ix_funnel_outcomes_campaign", "workspace_id", "campaign_id", "kind"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))  # purchase, share
    variant: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    first_order: Mapped[bool]
    amount: Mapped[Decimal | None]
    occurred_at: Mapped[datetime]


class CustomerOrders(Base):
    """Purchases campaigns has seen per user, to tell a first order from a repurchase."""

    __tablename__ = "funnel_customers"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    orders: Mapped[int]
    first_order_at: Mapped[datetime]
