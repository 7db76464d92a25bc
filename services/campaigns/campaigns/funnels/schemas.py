from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from yunying_shared.http.batch import FieldError
from yunying_shared.storable import Identifier, StorableDatetime

MAX_BATCH = 1000


class TouchIn(BaseModel):
    user_id: Identifier = Field(min_length=1, max_length=128)
    kind: Literal["exposure", "click"]
    platform: Identifier = Field(
        default="", max_length=32, description="wechat, weibo, xiaohongshu, douyin, app, sms..."
    )
    variant: Identifier | None = Field(
        default=None,
        max_length=64,
        description="Omitted: the user's arm in the campaign's running experiment, if any",
    )
    touch_id: Identifier | None = Field(
        default=None, max_length=128, description="The sender's id: a resent touch counts once"
    )
    occurred_at: StorableDatetime | None = None


class TouchBatchIn(BaseModel):
    """Touches to record, each shaped like `TouchIn` (validated one by one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "user_id": "wx_o6a8s1Kq",
                            "kind": "exposure",
                            "platform": "wechat",
                            "touch_id": "tpl-msg-20261104-0001",
                        },
                        {
                            "user_id": "wx_o6a8s1Kq",
                            "kind": "click",
                            "platform": "wechat",
                            "touch_id": "tpl-click-20261104-0001",
                        },
                    ]
                }
            ]
        }
    )

    items: list[Any] = Field(max_length=MAX_BATCH)


class TouchResult(BaseModel):
    index: int
    status: Literal["recorded", "duplicate", "rejected"]
    variant: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class TouchBatchResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recorded": 2,
                    "duplicates": 0,
                    "rejected": 0,
                    "results": [
                        {"index": 0, "status": "recorded", "variant": "urgency", "errors": []},
                        {"index": 1, "status": "recorded", "variant": "urgency", "errors": []},
                    ],
                }
            ]
        }
    )

    recorded: int
    duplicates: int
    rejected: int
    results: list[TouchResult]


class FunnelRow(BaseModel):
    variant: str = Field(description='"" when the touch had none; "*" in the total row')
    platform: str = Field(description='"" when unknown; "*" in the total row')
    exposed_users: int
    clicked_users: int
    ctr: float = Field(description="clicked users / exposed users")
    converted_users: int
    conversion_rate: float = Field(description="converted users / exposed users")
    first_order_conversions: int
    first_order_rate: float
    repurchases: int = Field(description="Attributed purchases by users who had bought before")
    revenue: Decimal
    sharing_users: int
    share_rate: float = Field(description="sharing users / exposed users")


class Incrementality(BaseModel):
    experiment_id: UUID
    treated_exposures: int
    treated_conversions: int
    holdout_exposures: int
    holdout_conversions: int
    incremental_conversions: float = Field(
        description="treated conversions - treated exposures x holdout rate"
    )
    incremental_interval: tuple[float, float] = Field(description="95% Wald interval")
    lift: float = Field(description="treated rate - holdout rate")


class Funnel(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "attribution_window_days": 7,
                    "rows": [
                        {
                            "variant": "urgency",
                            "platform": "wechat",
                            "exposed_users": 18230,
                            "clicked_users": 2461,
                            "ctr": 0.135,
                            "converted_users": 912,
                            "conversion_rate": 0.05,
                            "first_order_conversions": 143,
                            "first_order_rate": 0.0078,
                            "repurchases": 769,
                            "revenue": "273600.00",
                            "sharing_users": 388,
                            "share_rate": 0.0213,
                        }
                    ],
                    "total": {
                        "variant": "*",
                        "platform": "*",
                        "exposed_users": 18230,
                        "clicked_users": 2461,
                        "ctr": 0.135,
                        "converted_users": 912,
                        "conversion_rate": 0.05,
                        "first_order_conversions": 143,
                        "first_order_rate": 0.0078,
                        "repurchases": 769,
                        "revenue": "273600.00",
                        "sharing_users": 388,
                        "share_rate": 0.0213,
                    },
                    "referral_signups": 2044,
                    "coupons_issued": 1288,
                    "coupons_redeemed": 641,
                    "coupon_cost": "32050.00",
                    "incrementality": [
                        {
                            "experiment_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                            "treated_exposures": 36334,
                            "treated_conversions": 1671,
                            "holdout_exposures": 4037,
                            "holdout_conversions": 129,
                            "incremental_conversions": 510.0,
                            "incremental_interval": [380.2, 640.1],
                            "lift": 0.44,
                        }
                    ],
                    "computed_at": "2026-11-12T09:00:00+08:00",
                }
            ]
        }
    )

    campaign_id: UUID
    attribution_window_days: int
    rows: list[FunnelRow]
    total: FunnelRow
    referral_signups: int = Field(description="New users from referrals, accepted and standing")
    coupons_issued: int
    coupons_redeemed: int
    coupon_cost: Decimal = Field(description="Unit cost of the redeemed coupons")
    incrementality: list[Incrementality]
    computed_at: datetime
