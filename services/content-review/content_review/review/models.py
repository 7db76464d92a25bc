"""What happened to an item, by whom and on which revision: the audit trail and comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_review.db import ACTOR_LENGTH, ROW_ID, Base


class AuditEntry(Base):
    __tablename__ = "content_audit"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    item_id: Mapped[UUID]
    revision: Mapped[int]
    # None for the system (the scan, a crisis hold, expiry, the publishing job).
    actor_id: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    detail: Mapped[dict[str, Any]]
    at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(["item_id"], ["content_items.id"], ondelete="CASCADE"),
        Index("ix_content_audit_item", "workspace_id", "item_id", "id"),
    )


class Comment(Base):
    __tablename__ = "content_comments"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    item_id: Mapped[UUID]
    revision: Mapped[int]
    author_id: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(["item_id"], ["content_items.id"], ondelete="CASCADE"),
        Index("ix_content_comments_item", "workspace_id", "item_id", "id"),
    )
