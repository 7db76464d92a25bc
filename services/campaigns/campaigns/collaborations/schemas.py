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
    model_config = ConfigDict(extra="forbid")

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
    model_config = ConfigDict(extra="forbid")

    content_id: Identifier = Field(min_length=1, max_length=64)


class MetricsIn(BaseModel):
    """What the platform reports for the collaboration's post (the latest totals)."""

    model_config = ConfigDict(extra="forbid")

    exposure: int = Field(ge=0, le=2_000_000_000, description="Impressions or views")
    engagement: int = Field(ge=0, le=2_000_000_000, description="Likes + comments + shares")


class ApprovalOut(BaseModel):
    score: float | None
    verdict: str
    report_id: int
    checked_at: datetime


class CollaborationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    campaign_id: UUID
    creators: list[CreatorResult]
    total_cost: Decimal
    total_revenue: Decimal
    roi: float | None
