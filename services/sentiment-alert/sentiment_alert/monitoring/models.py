from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import ROW_ID, Base

RULE_KINDS = ("brand", "risk", "competitor")


class MonitoringRule(Base):
    """One keyword a workspace watches: a brand (with aliases and product names), a risk term
    or a competitor. Mentions are counted per rule `keyword`."""

    __tablename__ = "monitoring_rules"
    __table_args__ = (UniqueConstraint("workspace_id", "keyword"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(16))
    keyword: Mapped[str] = mapped_column(String(64))
    # Aliases and product names: any of them counts as a mention of the keyword.
    terms: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
