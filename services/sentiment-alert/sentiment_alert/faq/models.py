"""A workspace's FAQ entries and its reply settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import ROW_ID, Base


class FaqEntry(Base):
    """One answer and the ways customers ask for it; `platforms` empty means every platform."""

    __tablename__ = "faq_entries"
    __table_args__ = (Index("ix_faq_entries_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    questions: Mapped[list[Any]] = mapped_column(default=list)
    answer: Mapped[str] = mapped_column(Text)
    platforms: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FaqSettings(Base):
    """Per workspace: the confidence from which the FAQ answers, and whether it then proposes
    the answer or sends it. `revision` grows with every change to the entries, so a cached
    search index knows when it is stale. No row: the defaults (0.6, propose)."""

    __tablename__ = "faq_settings"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    threshold: Mapped[float] = mapped_column(Float)
    mode: Mapped[str] = mapped_column(String(16))  # propose | auto_send
    revision: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]
