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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "双11 老客召回 · 满299减50",
                    "type": "churn_recall",
                    "platforms": ["wechat", "sms"],
                    "target": {"kind": "lifecycle_stage", "values": ["churned"]},
                    "holiday": {
                        "key": "double_11",
                        "year": 2030,
                        "days_before": 7,
                        "days_after": 1,
                    },
                    "budget": "50000.00",
                    "reward_limit": 5000,
                    "priority": 10,
                    "promotional": True,
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"budget": "80000.00", "reward_limit": 8000}]},
    )

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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"to_state": "scheduled", "reason": "预算与券模板已确认"}]},
    )

    to_state: State
    reason: str | None = Field(default=None, max_length=200)


class ContentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"content_id": "3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a"}]},
    )

    content_id: str = Field(min_length=1, max_length=64)


class CampaignOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "name": "双11 老客召回 · 满299减50",
                    "type": "churn_recall",
                    "platforms": ["wechat", "sms"],
                    "target": {"kind": "lifecycle_stage", "values": ["churned"]},
                    "holiday": "double_11",
                    "starts_at": "2026-11-04T00:00:00+08:00",
                    "ends_at": "2026-11-12T00:00:00+08:00",
                    "budget": "50000.00",
                    "reward_limit": 5000,
                    "rewards_issued": 1288,
                    "coupon_template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "priority": 10,
                    "promotional": True,
                    "content_ids": ["3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a"],
                    "state": "running",
                    "state_reason": None,
                    "created_at": "2026-10-20T09:12:00+08:00",
                    "updated_at": "2026-11-04T00:00:05+08:00",
                }
            ]
        },
    )

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
