"""Every stage and tier transition, with when and why."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.db import ROW_ID, Base
from segmentation.records.models import USER_ID_LENGTH


class StageChange(Base):
    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_user", "workspace_id", "user_id", "changed_at"),
        Index("ix_stage_changes_workspace_time", "workspace_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(8))  # "stage" or "tier"
    from_value: Mapped[str | None] = mapped_column(String(32))
    to_value: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]
