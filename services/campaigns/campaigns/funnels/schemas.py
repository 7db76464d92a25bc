from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

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


class TouchResult(BaseModel):
    index: int
    status: Literal["recorded", "duplicate", "rejected"]
    variant: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class TouchBatchResult(BaseModel):
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
