"""A workspace's own days (brand day, store anniversary), beside the shipped holidays."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import Base


class WorkspaceDay(Base):
    __tablename__ = "workspace_days"
    __table_args__ = (UniqueConstraint("workspace_id", "key", "day"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
