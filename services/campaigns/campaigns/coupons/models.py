"""Coupon templates and the coupons issued from them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import USER_ID_LENGTH, Base

CODE_LENGTH = 16
REASON_LENGTH = 200


class CouponTemplate(Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(100))
    # amount_off, discount, threshold (amount off above a spend), free_item
    kind: Mapped[str] = mapped_column(String(16))
    amount_off: Mapped[Decimal | None]
    discount_percent: Mapped[int | None]
    threshold_amount: Mapped[Decimal | None]
    free_item: Mapped[str | None] = mapped_column(String(200))
    # What one coupon costs the brand at most: checked against a campaign's budget.
    unit_cost: Mapped[Decimal]
    validity_days: Mapped[int]
    valid_until: Mapped[datetime | None]
    per_user_limit: Mapped[int | None]
    total_limit: Mapped[int | None]
    # Counted by a conditional UPDATE, so the total limit holds under concurrent issuance.
    issued_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        # Issuance is idempotent per (campaign, user, reason); "" stands for "no campaign"
        # because NULLs never collide in a unique constraint.
        UniqueConstraint("workspace_id", "campaign_key", "user_id", "reason"),
        UniqueConstraint("code"),
        Index("ix_coupons_workspace_user", "workspace_id", "user_id"),
        Index("ix_coupons_template_user", "template_id", "user_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    template_id: Mapped[UUID] = mapped_column(ForeignKey("coupon_templates.id"))
    campaign_id: Mapped[UUID | None]
    campaign_key: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    redeemed_order_id: Mapped[str | None] = mapped_column(String(128))
    clawed_back_at: Mapped[datetime | None]
    claw_back_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))
