from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

CampaignType = Literal[
    "first_order_coupon",
    "churn_recall",
    "referral",
    "holiday",
    "comment_lottery",
    "topic_challenge",
    "content_push",
]
Platform = Literal["xiaohongshu", "douyin", "wechat", "weibo", "bilibili", "sms", "app"]
State = Literal["draft", "scheduled", "running", "paused", "finished"]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["all", "segment", "lifecycle_stage", "rfm_tier", "users"]
    values: list[str] = Field(
        default_factory=list,
        max_length=10_000,
        description="Segment ids, stages, tiers or user ids (empty for `all`)",
    )


class HolidayWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, examples=["double_11", "spring_festival"])
    year: int = Field(ge=2024, le=2035)
    days_before: int = Field(default=7, ge=0, le=60)
    days_after: int = Field(default=1, ge=0, le=60)


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    type: CampaignType
    platforms: list[Platform] = Field(default_factory=list, max_length=10)
    target: Target = Field(default_factory=lambda: Target(kind="all"))
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    holiday: HolidayWindow | None = Field(
        default=None, description="Take start and end from the calendar around this day"
    )
    budget: Decimal | None = Field(default=None, gt=0, max_digits=16, decimal_places=2)
    reward_limit: int | None = Field(default=None, ge=1, description="Most rewards to issue")
    coupon_template_id: UUID | None = None
    priority: int = Field(default=0, ge=0, le=1000, description="Higher wins the frequency cap")
    promotional: bool = Field(default=True, description="Paused while a crisis is open")


class CampaignPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    platforms: list[Platform] | None = Field(default=None, max_length=10)
    target: Target | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    budget: Decimal | None = Field(default=None, gt=0, max_digits=16, decimal_places=2)
    reward_limit: int | None = Field(default=None, ge=1)
    coupon_template_id: UUID | None = None
    priority: int | None = Field(default=None, ge=0, le=1000)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_state: State
    reason: str | None = Field(default=None, max_length=200)


class ContentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_id: str = Field(min_length=1, max_length=64)


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    type: CampaignType
    platforms: list[str]
    target: Target
    holiday: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    budget: Decimal | None
    reward_limit: int | None
    rewards_issued: int
    coupon_template_id: UUID | None
    priority: int
    promotional: bool
    content_ids: list[str]
    state: State
    state_reason: str | None
    created_at: datetime
    updated_at: datetime
