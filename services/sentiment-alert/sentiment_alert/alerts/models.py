from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import Base


class SpikeAlert(Base):
    """One ongoing spike of one keyword: opened once, escalated in place, closed after the
    detector's quiet period. At most one open alert per (workspace, keyword)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_workspace_keyword_state", "workspace_id", "keyword", "state"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    keyword: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))  # blue, yellow, orange, red
    rank: Mapped[int]  # 1-4, for ordering and escalation
    state: Mapped[str] = mapped_column(String(8))  # open, closed
    signals: Mapped[list[Any]] = mapped_column(default=list)
    spike_started_at: Mapped[datetime]  # start of the first hot bucket
    opened_at: Mapped[datetime]
    escalations: Mapped[list[Any]] = mapped_column(default=list)  # [{at, level}]
    closed_at: Mapped[datetime | None]
    peak_mentions: Mapped[int]
    top_mentions: Mapped[list[Any]] = mapped_column(default=list)
    top_terms: Mapped[list[Any]] = mapped_column(default=list)
    platforms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sentiment_mix: Mapped[dict[str, Any]] = mapped_column(default=dict)
    crisis_id: Mapped[UUID | None]
    updated_at: Mapped[datetime]
