"""Customer comments and direct messages, what was decided for each, and the reply."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import Base


class CustomerMessage(Base):
    """One comment or direct message. `status`:

    - `queued`: a person must answer (`reason` says why: low_confidence, no_match, negative,
      crisis, risk, reply_failed);
    - `proposed`: the FAQ answer waits for an operator to send it (mode `propose`);
    - `replying`: a reply is due, the dispatcher sends it;
    - `replied`: the platform took the reply (`reply_platform_id`);
    - `dismissed`: an operator decided it needs no reply.
    """

    __tablename__ = "customer_messages"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "platform_id"),
        Index("ix_customer_messages_queue", "workspace_id", "status", "received_at", "id"),
        Index("ix_customer_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # comment | direct_message
    reply_to: Mapped[str | None] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(String(128))
    posted_at: Mapped[datetime]
    received_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(3))
    sentiment_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    faq_entry_id: Mapped[int | None]
    confidence: Mapped[float | None] = mapped_column(Float)
    suggestion: Mapped[str | None] = mapped_column(Text)
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_by: Mapped[str | None] = mapped_column(String(128))  # "faq" or an operator
    reply_attempts: Mapped[int] = mapped_column(default=0)
    reply_error: Mapped[str | None] = mapped_column(String(500))
    reply_platform_id: Mapped[str | None] = mapped_column(String(128))
    next_attempt_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime]
