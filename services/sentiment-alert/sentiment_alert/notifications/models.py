from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import ROW_ID, Base


class NotificationChannel(Base):
    """A webhook: a WeCom group robot, a DingTalk robot (with its signing secret) or a Slack
    incoming webhook."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str | None] = mapped_column(String(256))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class NotificationDelivery(Base):
    """One message to one channel: the delivery log. Written in the transaction that decided
    to notify (pending), sent by the delivery job, retried with back-off."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        Index("ix_notification_deliveries_pending", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_workspace", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    channel_id: Mapped[int]
    subject: Mapped[str] = mapped_column(String(64))  # alert:<id>, crisis:<id>:reminder, ...
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    response_status: Mapped[int | None]
    next_attempt_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
