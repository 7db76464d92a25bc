from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from campaigns.creators.schemas import Deliverable, Platform
from yunying_shared.storable import Identifier, StorableDatetime, StorableText

State = Literal["proposed", "approved", "published", "cancelled"]


class CollaborationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "creator_id": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
                    "platform": "xiaohongshu",
                    "deliverable": "image_post",
                    "brief": "双11 限定礼盒开箱种草：突出温和不刺激，附使用前后对比",
                    "fee": "18000.00",
                    "publish_at": "2030-11-08T20:00:00+08:00",
                }
            ]
        },
    )

    creator_id: UUID
    platform: Platform = Field(description="The creator must have an account there")
    deliverable: Deliverable = "image_post"
    brief: StorableText = Field(
        min_length=1, max_length=4000, examples=["新品精华种草：突出温和不刺激，附使用前后对比"]
    )
    fee: Decimal | None = Field(
        default=None,
        ge=0,
        le=100_000_000,
        max_digits=11,
        decimal_places=2,
        description="Agreed fee; omitted: the creator's price for this platform and deliverable",
    )
    publish_at: StorableDatetime | None = None


class ContentAttachIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"content_id": "3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a"}]},
    )

    content_id: Identifier = Field(min_length=1, max_length=64)


class MetricsIn(BaseModel):
    """What the platform reports for the collaboration's post (the latest totals)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"exposure": 61000, "engagement": 3201}]}
    )

    exposure: int = Field(ge=0, le=2_000_000_000, description="Impressions or views")
    engagement: int = Field(ge=0, le=2_000_000_000, description="Likes + comments + shares")


class ApprovalOut(BaseModel):
    score: float | None
    verdict: str
    report_id: int
    checked_at: datetime


class CollaborationOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "2c3d4e5f-6a7b-4c8d-8e9f-0a1b2c3d4e5f",
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "creator_id": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
                    "platform": "xiaohongshu",
                    "deliverable": "image_post",
                    "brief": "双11 限定礼盒开箱种草：突出温和不刺激，附使用前后对比",
                    "fee": "18000.00",
                    "publish_at": "2030-11-08T20:00:00+08:00",
                    "state": "approved",
                    "code": "XL1111",
                    "tracking_link": "https://brand.example/r/XL1111",
                    "content_id": None,
                    "approval": {
                        "score": 0.92,
                        "verdict": "clean",
                        "report_id": 311,
                        "checked_at": "2026-10-28T11:00:00+08:00",
                    },
                    "exposure": 0,
                    "engagement": 0,
                    "created_at": "2026-10-28T10:00:00+08:00",
                    "updated_at": "2026-10-28T11:00:02+08:00",
                }
            ]
        },
    )

    id: UUID
    campaign_id: UUID
    creator_id: UUID
    platform: Platform
    deliverable: Deliverable
    brief: str
    fee: Decimal
    publish_at: datetime | None
    state: State
    code: str = Field(
        description="The creator's code: as a coupon or invite code, or the tracking link's "
        "`yy_c`, on a purchase or sign-up it attributes the conversion to this creator"
    )
    tracking_link: str
    content_id: str | None
    approval: ApprovalOut | None
    exposure: int
    engagement: int
    created_at: datetime
    updated_at: datetime


class CreatorResult(BaseModel):
    collaboration_id: UUID
    creator_id: UUID
    creator_name: str
    platform: Platform
    state: State
    exposure: int
    engagement: int
    conversions: int = Field(description="Purchases carrying the creator's code")
    signups: int = Field(description="Registrations and referral sign-ups carrying it")
    revenue: Decimal
    cost: Decimal
    roi: float | None = Field(description="(revenue − cost) / cost; None when the cost is 0")
    cost_per_conversion: Decimal | None


class ResultsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "creators": [
                        {
                            "collaboration_id": "2c3d4e5f-6a7b-4c8d-8e9f-0a1b2c3d4e5f",
                            "creator_id": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
                            "creator_name": "小鹿",
                            "platform": "xiaohongshu",
                            "state": "published",
                            "exposure": 61000,
                            "engagement": 3201,
                            "conversions": 318,
                            "signups": 96,
                            "revenue": "95082.00",
                            "cost": "18000.00",
                            "roi": 5.28,
                            "cost_per_conversion": "56.60",
                        }
                    ],
                    "total_cost": "18000.00",
                    "total_revenue": "95082.00",
                    "roi": 5.28,
                }
            ]
        }
    )

    campaign_id: UUID
    creators: list[CreatorResult]
    total_cost: Decimal
    total_revenue: Decimal
    roi: float | None
