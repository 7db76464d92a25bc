"""A workspace's allow list (brand names) and deny list (its own banned terms)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from content_review.db import ROW_ID, Base


class ListEntry(Base):
    __tablename__ = "workspace_list_entries"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    list_kind: Mapped[str] = mapped_column(String(8))  # allow | deny
    term: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str | None] = mapped_column(String(16))  # deny entries only
    suggestion: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("workspace_id", "list_kind", "term"),)
