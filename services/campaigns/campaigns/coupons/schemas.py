from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

CouponKind = Literal["amount_off", "discount", "threshold", "free_item"]


class TemplateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "双11 满299减50",
                    "kind": "threshold",
                    "amount_off": "50.00",
                    "threshold_amount": "299.00",
                    "validity_days": 7,
                    "per_user_limit": 1,
                    "total_limit": 10000,
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "name": "双11 满299减50",
                    "kind": "threshold",
                    "amount_off": "50.00",
                    "discount_percent": None,
                    "threshold_amount": "299.00",
                    "free_item": None,
                    "unit_cost": "50.00",
                    "validity_days": 7,
                    "valid_until": "2026-11-12T00:00:00+08:00",
                    "per_user_limit": 1,
                    "total_limit": 10000,
                    "issued_count": 1288,
                    "created_at": "2026-10-20T09:00:00+08:00",
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "user_id": "wx_o6a8s1Kq",
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "reason": "service recovery",
                }
            ]
        },
    )

    template_id: UUID
    user_id: str = Field(min_length=1, max_length=128)
    campaign_id: UUID | None = None
    reason: str = Field(min_length=1, max_length=200, examples=["service recovery"])


class CouponOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
                    "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "user_id": "wx_o6a8s1Kq",
                    "reason": "campaign",
                    "code": "D11-7KQ2-M9XA",
                    "issued_at": "2026-11-04T10:02:11+08:00",
                    "expires_at": "2026-11-11T10:02:11+08:00",
                    "redeemed_at": None,
                    "redeemed_order_id": None,
                    "clawed_back_at": None,
                    "claw_back_reason": None,
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "coupon": {
                        "id": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
                        "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                        "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                        "user_id": "wx_o6a8s1Kq",
                        "reason": "campaign",
                        "code": "D11-7KQ2-M9XA",
                        "issued_at": "2026-11-04T10:02:11+08:00",
                        "expires_at": "2026-11-11T10:02:11+08:00",
                        "redeemed_at": None,
                        "redeemed_order_id": None,
                        "clawed_back_at": None,
                        "claw_back_reason": None,
                    },
                    "created": True,
                }
            ]
        }
    )

    coupon: CouponOut
    created: bool = Field(description="False when this (campaign, user, reason) had its coupon")


class RedeemIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"code": "D11-7KQ2-M9XA", "order_id": "TB20261111000123", "user_id": "wx_o6a8s1Kq"}
            ]
        },
    )

    code: str = Field(min_length=4, max_length=32)
    order_id: str | None = Field(default=None, min_length=1, max_length=128)
    user_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="When given, must be the holder"
    )


class ClawBackIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "订单全额退款"}]}
    )

    reason: str = Field(min_length=1, max_length=200)
