from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import ROW_ID, Base


class FeedbackRecord(Base):
    """A known user's classified message (a survey answer or a mention with a user id)."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_workspace_user", "workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))  # survey or mention
    excerpt: Mapped[str] = mapped_column(String(500))
    aspect: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(3))
    churn_related: Mapped[bool]
    published: Mapped[bool]
    created_at: Mapped[datetime]
