"""Raw CRM events as received, kept for windowed counts and re-scoring."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.db import ROW_ID, Base
from segmentation.profiles.models import USER_ID_LENGTH


class UserEvent(Base):
    __tablename__ = "user_events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "event_id"),
        # Per-user counts and sums of one type within a time window.
        Index("ix_user_events_user_type_time", "workspace_id", "user_id", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    event_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    amount: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    order_id: Mapped[str | None] = mapped_column(String(128))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
