"""One profile per (workspace, CRM user id): attributes, running aggregates, scores, stage."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.db import ROW_ID, Base

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

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
