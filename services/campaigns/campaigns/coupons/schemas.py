from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

CouponKind = Literal["amount_off", "discount", "threshold", "free_item"]


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: CouponKind
    amount_off: Decimal | None = Field(default=None, gt=0, max_digits=16, decimal_places=2)
    discount_percent: int | None = Field(
        default=None, ge=1, le=99, description="Percent off: 15 means the buyer pays 85%"
    )
    threshold_amount: Decimal | None = Field(
        default=None, gt=0, max_digits=16, decimal_places=2, description="满 X 减 Y: the X"
    )
    free_item: str | None = Field(default=None, min_length=1, max_length=200)
    unit_cost: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=16,
        decimal_places=2,
        description="What one coupon costs at most (checked against budgets); "
        "defaults to amount_off",
    )
    validity_days: int = Field(default=30, ge=1, le=3650)
    valid_until: datetime | None = Field(default=None, description="No coupon outlives this")
    per_user_limit: int | None = Field(default=None, ge=1)
    total_limit: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        required = {
            "amount_off": ("amount_off",),
            "discount": ("discount_percent", "unit_cost"),
            "threshold": ("amount_off", "threshold_amount"),
            "free_item": ("free_item", "unit_cost"),
        }[self.kind]
        missing = [name for name in required if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} coupon needs {', '.join(missing)}")
        below = self.amount_off is None or self.threshold_amount is None
        if self.kind == "threshold" and not below and self.amount_off >= self.threshold_amount:  # type: ignore[operator]
            raise ValueError("amount_off must be below threshold_amount")
        return self


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    kind: CouponKind
    amount_off: Decimal | None
    discount_percent: int | None
    threshold_amount: Decimal | None
    free_item: str | None
    unit_cost: Decimal
    validity_days: int
    valid_until: datetime | None
    per_user_limit: int | None
    total_limit: int | None
    issued_count: int
    created_at: datetime


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: UUID
    user_id: str = Field(min_length=1, max_length=128)
    campaign_id: UUID | None = None
    reason: str = Field(min_length=1, max_length=200, examples=["service recovery"])


class CouponOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    template_id: UUID
    campaign_id: UUID | None
    user_id: str
    reason: str
    code: str
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    redeemed_order_id: str | None
    clawed_back_at: datetime | None
    claw_back_reason: str | None


class IssuedOut(BaseModel):
    coupon: CouponOut
    created: bool = Field(description="False when this (campaign, user, reason) had its coupon")


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=4, max_length=32)
    order_id: str | None = Field(default=None, min_length=1, max_length=128)
    user_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="When given, must be the holder"
    )


class ClawBackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)
