from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import Base


class CrisisCaseRecord(Base):
    """A crisis case: warning → responding → repairing → closed. Opened by an orange or red
    alert or by a manual report; its timeline keeps every step for the post-mortem."""

    __tablename__ = "crisis_cases"
    __table_args__ = (Index("ix_crisis_cases_workspace_state", "workspace_id", "state"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    alert_id: Mapped[UUID | None]
    keyword: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(8))  # alert or manual
    level: Mapped[str] = mapped_column(String(8))
    rank: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(128))
    spokesperson: Mapped[str | None] = mapped_column(String(128))
    approver: Mapped[str | None] = mapped_column(String(128))
    opened_at: Mapped[datetime]
    statement_due_at: Mapped[datetime]
    statement_text: Mapped[str | None] = mapped_column(Text)
    statement_published_at: Mapped[datetime | None]
    reminders_sent: Mapped[list[Any]] = mapped_column(default=list)
    positive_content: Mapped[list[Any]] = mapped_column(default=list)
    timeline: Mapped[list[Any]] = mapped_column(default=list)  # [{at, kind, detail, actor}]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
