"""Messages to send, the workspace's sending rules, and every delivery attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import ROW_ID, USER_ID_LENGTH, Base

CHANNEL_KINDS = ("wechat_template", "sms", "email", "app_push")
# Not a message: a tag to apply, delivered like one (retries, signing, log) but never capped,
# deferred or paused.
TAG_CHANNEL = "tag"
SEND_STATES = ("pending", "sending", "sent", "failed", "capped", "paused")


class SendingRules(Base):
    """Quiet hours (local time) and the one frequency cap per user across all campaigns."""

    __tablename__ = "sending_rules"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    quiet_start_minute: Mapped[int | None]
    quiet_end_minute: Mapped[int | None]
    cap_count: Mapped[int]
    cap_window_hours: Mapped[int]
    updated_at: Mapped[datetime]


class Send(Base):
    __tablename__ = "sends"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key"),
        Index("ix_sends_state_due", "state", "due_at"),
        Index("ix_sends_workspace_user_sent", "workspace_id", "user_id", "sent_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID | None]
    enrollment_id: Mapped[UUID | None]
    dedupe_key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    channel: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(default=0)
    promotional: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(16))
    # Why it is capped, paused, deferred or failed; kept for operators to read.
    reason: Mapped[str | None] = mapped_column(String(300))
    due_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class DeliveryAttempt(Base):
    __tablename__ = "delivery_log"
    __table_args__ = (Index("ix_delivery_log_send", "send_id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    send_id: Mapped[UUID]
    workspace_id: Mapped[UUID]
    channel: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int]
    status_code: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[float]
    at: Mapped[datetime]


@dataclass(frozen=True)
class NewSend:
    """A message to put in line (not yet a row): what `enqueue` stores as a pending send."""

    workspace_id: UUID
    dedupe_key: str
    user_id: str
    channel: str
    body: str
    campaign_id: UUID | None = None
    enrollment_id: UUID | None = None
    priority: int = 0
    promotional: bool = True
