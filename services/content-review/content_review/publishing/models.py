"""Publishing rules' state: per-workspace cadence overrides and the crisis cases that hold ads."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from content_review.db import Base


class CadenceRule(Base):
    __tablename__ = "cadence_rules"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(8))  # day | week
    minimum: Mapped[int]
    maximum: Mapped[int]


class CrisisCase(Base):
    __tablename__ = "crisis_cases"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
