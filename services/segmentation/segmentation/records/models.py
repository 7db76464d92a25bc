"""What segmentation keeps per user, read by every domain: the profile row, the raw events as
received, the tags on the user, and the rules that set tags from events.

The lowest layer of the service: the domains above (lifecycle, segments, tags, events, ...) read
and write these tables; this module imports none of them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.db import ROW_ID, Base

# One profile per (workspace, CRM user id): attributes, running aggregates, scores, stage.
USER_ID_LENGTH = 128


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id"),
        Index("ix_profiles_workspace_stage", "workspace_id", "stage"),
        Index("ix_profiles_workspace_tier", "workspace_id", "tier"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))

    gender: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(64))
    # wechat_openid, wechat_unionid, xiaohongshu_id, douyin_id, ...
    identities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    first_seen_at: Mapped[datetime | None]
    last_active_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    first_purchase_at: Mapped[datetime | None]
    last_purchase_at: Mapped[datetime | None]
    order_count: Mapped[int] = mapped_column(default=0)
    refund_count: Mapped[int] = mapped_column(default=0)
    monetary_total: Mapped[Decimal] = mapped_column(default=Decimal(0))  # net of refunds

    source: Mapped[str] = mapped_column(String(16), default="organic")
    referred_by: Mapped[str | None] = mapped_column(String(USER_ID_LENGTH))
    source_campaign: Mapped[str | None] = mapped_column(String(128))

    stage: Mapped[str] = mapped_column(String(16), default="potential")
    tier: Mapped[str | None] = mapped_column(String(32))
    r_score: Mapped[int | None] = mapped_column(SmallInteger)
    f_score: Mapped[int | None] = mapped_column(SmallInteger)
    m_score: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_class: Mapped[str | None] = mapped_column(String(16))
    rfm_segment: Mapped[str | None] = mapped_column(String(32))

    churn_reason: Mapped[str | None] = mapped_column(String(64))
    complaint_reasons: Mapped[list[Any]] = mapped_column(default=list)

    # The start of the last history import that stored events of this user (events.
    # history_import): how its finishing step finds its users without reading its events.
    imported_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# Raw CRM events as received, kept for windowed counts and re-scoring.
class UserEvent(Base):
    __tablename__ = "user_events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "event_id"),
        # Per-user counts and sums of one type within a time window.
        Index("ix_user_events_user_type_time", "workspace_id", "user_id", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    event_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    amount: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    order_id: Mapped[str | None] = mapped_column(String(128))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


# Tags on users (敏感肌, 职场妈妈, ...) and the per-workspace rules that set them from events.
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
