"""The registry's API shapes. Every limit the server enforces is in the schema; audience shares
of one dimension must add up to 1 (±0.01), else a 422 naming the dimension."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from yunying_shared.http.batch import FieldError as FieldError
from yunying_shared.storable import Identifier, StorableText

PLATFORMS = ("xiaohongshu", "douyin", "weibo", "bilibili", "wechat_channels")
TIERS = ("head", "mid", "micro", "koc")
DELIVERABLES = ("image_post", "video", "live", "repost")
Platform = Literal["xiaohongshu", "douyin", "weibo", "bilibili", "wechat_channels"]
Tier = Literal["head", "mid", "micro", "koc"]
Deliverable = Literal["image_post", "video", "live", "repost"]
SHARE_TOLERANCE = 0.01
MAX_SHARES = 64


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    account_id: Identifier = Field(min_length=1, max_length=128, examples=["5f1a2b3c"])
    handle: StorableText = Field(default="", max_length=100, examples=["小鹿爱护肤"])
    followers: int = Field(ge=0, le=2_000_000_000, examples=[48_000])


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    deliverable: Deliverable = Field(description="image_post (图文), video, live, repost")
    price: Decimal = Field(
        ge=0, le=100_000_000, max_digits=11, decimal_places=2, examples=["8000.00"]
    )


class AudienceProfile(BaseModel):
    """Who follows the creator, as shares per dimension (each dimension's shares add up to 1
    within 0.01). Dimensions left out are not compared."""

    model_config = ConfigDict(extra="forbid")

    gender: dict[StorableText, float] | None = Field(
        default=None, examples=[{"female": 0.82, "male": 0.18}]
    )
    age_band: dict[StorableText, float] | None = Field(
        default=None, examples=[{"18-24": 0.35, "25-34": 0.5, "35-44": 0.15}]
    )
    region: dict[StorableText, float] | None = Field(
        default=None, examples=[{"上海": 0.3, "北京": 0.2, "广东": 0.5}]
    )
    interests: dict[StorableText, float] | None = Field(
        default=None, examples=[{"护肤": 0.6, "彩妆": 0.4}]
    )

    @field_validator("gender", "age_band", "region", "interests")
    @classmethod
    def _shares(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        if not value or len(value) > MAX_SHARES:
            raise ValueError(f"give 1 to {MAX_SHARES} shares")
        for label, share in value.items():
            if not 0 < len(label) <= 64:
                raise ValueError("labels are 1 to 64 characters")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"the share of {label!r} must be between 0 and 1")
        total = sum(value.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(
                f"shares must add up to 1 (±{SHARE_TOLERANCE}); these add up to {total:.3f}"
            )
        return value


class PerformanceEntry(BaseModel):
    """One period of the creator's history on one platform."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    period: date = Field(description="First day of the period (a month)", examples=["2026-10-01"])
    posts: int = Field(ge=1, le=10_000)
    followers: int = Field(ge=0, le=2_000_000_000)
    avg_views: int | None = Field(default=None, ge=0, le=2_000_000_000)
    avg_engagements: float = Field(
        ge=0, le=2_000_000_000, description="Likes + comments + shares per post"
    )


# One creator as a frontend sends it; the answer's example adds what the service derives.
_CREATOR_EXAMPLE: JsonDict = {
    "external_id": "kol-xhs-0042",
    "name": "小鹿",
    "tier": "mid",
    "categories": ["护肤", "彩妆"],
    "accounts": [
        {
            "platform": "xiaohongshu",
            "account_id": "5f1a2b3c000000000100a1b2",
            "handle": "小鹿爱护肤",
            "followers": 486000,
        }
    ],
    "prices": [
        {
            "platform": "xiaohongshu",
            "deliverable": "image_post",
            "price": "18000.00",
        }
    ],
    "audience": {
        "gender": {"female": 0.86, "male": 0.14},
        "age_band": {"18-24": 0.38, "25-34": 0.49, "35-44": 0.13},
        "region": {"上海": 0.22, "广东": 0.31, "浙江": 0.47},
        "interests": {"护肤": 0.62, "彩妆": 0.38},
    },
    "performance": [
        {
            "platform": "xiaohongshu",
            "period": "2026-10-01",
            "posts": 12,
            "followers": 486000,
            "avg_views": 52000,
            "avg_engagements": 3150.5,
        }
    ],
}


class CreatorIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [_CREATOR_EXAMPLE]},
    )

    external_id: Identifier = Field(
        min_length=1,
        max_length=128,
        description="The workspace's own key; importing it again updates the creator",
        examples=["kol-0042"],
    )
    name: StorableText = Field(min_length=1, max_length=100, examples=["小鹿"])
    tier: Tier = Field(description="head (头部), mid (腰部), micro (尾部), koc")
    categories: list[StorableText] = Field(
        default_factory=list, max_length=20, examples=[["护肤", "彩妆"]]
    )
    accounts: list[Account] = Field(min_length=1, max_length=10)
    prices: list[Price] = Field(default_factory=list, max_length=40)
    audience: AudienceProfile = Field(default_factory=AudienceProfile)
    performance: list[PerformanceEntry] = Field(default_factory=list, max_length=120)

    @field_validator("categories")
    @classmethod
    def _short_categories(cls, value: list[str]) -> list[str]:
        if any(not 0 < len(c) <= 32 for c in value):
            raise ValueError("categories are 1 to 32 characters")
        return value


class CreatorOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_CREATOR_EXAMPLE,
                    "id": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
                    "engagement_rate": 0.0065,
                    "engagements_per_post": 3150.5,
                    "authenticity_score": 0.92,
                    "authenticity_verdict": "clean",
                    "authenticity_checked_at": "2026-10-28T11:00:00+08:00",
                    "created_at": "2026-10-15T14:20:00+08:00",
                    "updated_at": "2026-10-28T11:00:00+08:00",
                }
            ]
        },
    )

    id: UUID
    external_id: str
    name: str
    tier: Tier
    categories: list[str]
    accounts: list[Account]
    prices: list[Price]
    audience: AudienceProfile
    performance: list[PerformanceEntry]
    engagement_rate: float | None = Field(
        description="Engagements per follower per post over the history"
    )
    engagements_per_post: float | None
    authenticity_score: float | None = Field(description="0-100; None when never checked")
    authenticity_verdict: Literal["clean", "suspicious", "insufficient_data"] | None
    authenticity_checked_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ImportIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "external_id": "kol-xhs-0042",
                            "name": "小鹿",
                            "tier": "mid",
                            "categories": ["护肤", "彩妆"],
                            "accounts": [
                                {
                                    "platform": "xiaohongshu",
                                    "account_id": "5f1a2b3c000000000100a1b2",
                                    "handle": "小鹿爱护肤",
                                    "followers": 486000,
                                }
                            ],
                            "prices": [
                                {
                                    "platform": "xiaohongshu",
                                    "deliverable": "image_post",
                                    "price": "18000.00",
                                }
                            ],
                            "audience": {
                                "gender": {"female": 0.86, "male": 0.14},
                                "age_band": {"18-24": 0.38, "25-34": 0.49, "35-44": 0.13},
                                "region": {"上海": 0.22, "广东": 0.31, "浙江": 0.47},
                                "interests": {"护肤": 0.62, "彩妆": 0.38},
                            },
                            "performance": [
                                {
                                    "platform": "xiaohongshu",
                                    "period": "2026-10-01",
                                    "posts": 12,
                                    "followers": 486000,
                                    "avg_views": 52000,
                                    "avg_engagements": 3150.5,
                                }
                            ],
                        }
                    ]
                }
            ]
        }
    )

    items: list[Any] = Field(
        min_length=1,
        max_length=1000,
        description="Creators in the shape of `CreatorIn`; each is validated on its own",
    )


class ImportRejection(BaseModel):
    index: int
    external_id: str | None
    errors: list[FieldError]


class ImportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "created": 1,
                    "updated": 0,
                    "rejected": [
                        {
                            "index": 1,
                            "external_id": "kol-dy-0107",
                            "errors": [
                                {
                                    "field": "items.1.audience.gender",
                                    "message": "shares must add up to 1",
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )

    created: int
    updated: int
    rejected: list[ImportRejection]


LIFECYCLE_STAGES = ("potential", "new", "active", "loyal", "churned")


class MatchIn(BaseModel):
    """The target: a segment or a lifecycle stage from segmentation (exactly one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "segment_id": "4e5f6a7b-8c9d-4e0f-8a1b-2c3d4e5f6a7b",
                    "platform": "xiaohongshu",
                    "tier": "mid",
                    "sort": "overall",
                    "limit": 10,
                }
            ]
        },
    )

    segment_id: Identifier | None = Field(default=None, max_length=64, examples=["seg-young-moms"])
    lifecycle_stage: Literal["potential", "new", "active", "loyal", "churned"] | None = None
    platform: Platform | None = Field(
        default=None, description="Only creators with an account there; prices on it"
    )
    tier: Tier | None = None
    sort: Literal["overall", "match", "quality", "cost"] = Field(
        default="overall", description="cost: lowest cost per expected engagement first"
    )
    limit: int = Field(default=10, ge=1, le=100)


class TargetOut(BaseModel):
    segment_id: str | None
    lifecycle_stage: str | None
    members: int
    with_attributes: int = Field(description="Members whose attributes campaigns knows")
    make_up: dict[str, dict[str, float]] = Field(
        examples=[{"gender": {"female": 0.8, "male": 0.2}, "age_band": {"25-34": 1.0}}]
    )


class RankedOut(BaseModel):
    creator_id: UUID
    name: str
    tier: Tier
    score: float = Field(description="The overall score the default order uses")
    match: float = Field(description="Audience match, 0-1")
    match_by_dimension: dict[str, float]
    quality: float
    cost_per_engagement: float | None = Field(description="Yuan per expected engagement")
    cost_score: float
    authenticity_verdict: str | None
    explanation: str


class MatchOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": {
                        "segment_id": "4e5f6a7b-8c9d-4e0f-8a1b-2c3d4e5f6a7b",
                        "lifecycle_stage": None,
                        "members": 18230,
                        "with_attributes": 15102,
                        "make_up": {
                            "gender": {"female": 0.81, "male": 0.19},
                            "age_band": {"18-24": 0.3, "25-34": 0.55, "35-44": 0.15},
                        },
                    },
                    "method": "audience overlap x quality x cost",
                    "ranked": [
                        {
                            "creator_id": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
                            "name": "小鹿",
                            "tier": "mid",
                            "score": 0.83,
                            "match": 0.88,
                            "match_by_dimension": {"gender": 0.95, "age_band": 0.9, "region": 0.71},
                            "quality": 0.79,
                            "cost_per_engagement": 5.71,
                            "cost_score": 0.74,
                            "authenticity_verdict": "clean",
                            "explanation": "受众 25-34 岁女性占比高，与人群重合度 88%；互动真实",
                        }
                    ],
                    "candidates": 42,
                }
            ]
        }
    )

    target: TargetOut
    method: str
    ranked: list[RankedOut]
    candidates: int
