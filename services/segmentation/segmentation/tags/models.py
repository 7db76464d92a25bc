"""Tags on users (敏感肌, 职场妈妈, ...) and the per-workspace rules that set them from events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.db import ROW_ID, Base
from segmentation.profiles.models import USER_ID_LENGTH


class UserTag(Base):
    __tablename__ = "user_tags"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", "tag"),
        Index("ix_user_tags_workspace_tag", "workspace_id", "tag"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    tag: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # attribute, behaviour, need
    source: Mapped[str] = mapped_column(String(16))  # rule, manual, import, model
    confidence: Mapped[float] = mapped_column(default=1.0)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TagRule(Base):
    __tablename__ = "tag_rules"
    __table_args__ = (Index("ix_tag_rules_workspace_event_type", "workspace_id", "event_type"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(64))
    # property name -> required value; every one must match
    match_properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tag: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(default=1.0)
    ttl_days: Mapped[int | None]
    created_at: Mapped[datetime]
