from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from campaigns.creators.schemas import Platform
from yunying_shared.storable import Identifier, StorableDatetime, StorableText


class FollowerPointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date = Field(examples=["2026-11-01"])
    followers: int = Field(ge=0, le=2_000_000_000, examples=[48_000])


class FollowersIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "platform": "xiaohongshu",
                    "points": [
                        {"day": "2026-10-11", "followers": 466300},
                        {"day": "2026-10-12", "followers": 485400},
                    ],
                }
            ]
        },
    )

    platform: Platform
    points: list[FollowerPointIn] = Field(
        min_length=1, max_length=1000, description="One count per day; a day sent again is replaced"
    )


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment_id: Identifier = Field(min_length=1, max_length=128)
    author_id: Identifier = Field(min_length=1, max_length=128, examples=["user_83921"])
    author_created_at: StorableDatetime | None = Field(
        default=None, description="When the commenting account was created, if the platform says"
    )
    text: StorableText = Field(max_length=1000, examples=["质地很清爽，已经回购了"])
    at: StorableDatetime


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    post_id: Identifier = Field(min_length=1, max_length=128, examples=["64f0c2a1"])
    posted_at: StorableDatetime
    views: int | None = Field(default=None, ge=0, le=2_000_000_000)
    likes: int = Field(ge=0, le=2_000_000_000)
    comments: int = Field(ge=0, le=2_000_000_000, description="The platform's comment count")
    shares: int = Field(default=0, ge=0, le=2_000_000_000)
    followers: int | None = Field(
        default=None, ge=0, le=2_000_000_000, description="The account's followers when posted"
    )
    comment_samples: list[CommentIn] = Field(
        default_factory=list,
        max_length=2000,
        description="Comments as collected (all, or a sample); a comment sent again is ignored",
    )


class PostsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "posts": [
                        {
                            "platform": "xiaohongshu",
                            "post_id": "6560a1b2000000001f03c2d4",
                            "posted_at": "2026-10-20T19:30:00+08:00",
                            "views": 61000,
                            "likes": 2890,
                            "comments": 214,
                            "shares": 97,
                            "followers": 486000,
                            "comment_samples": [
                                {
                                    "comment_id": "c-7781",
                                    "author_id": "user_83921",
                                    "author_created_at": "2023-05-02T12:00:00+08:00",
                                    "text": "质地很清爽，敏感肌用了没泛红，已经回购了",
                                    "at": "2026-10-20T20:02:00+08:00",
                                }
                            ],
                        }
                    ]
                }
            ]
        },
    )

    posts: list[PostIn] = Field(min_length=1, max_length=200)


class StoredOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"points": 2, "posts": 0, "comments": 0}]}
    )

    points: int = 0
    posts: int = 0
    comments: int = Field(default=0, description="New comments stored (repeats ignored)")


class FindingOut(BaseModel):
    code: str = Field(examples=["follower_jump"])
    penalty: float
    message: str
    evidence: dict[str, Any]
    platform: str | None = None


class ReportOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "subject": "creator",
                    "subject_id": "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
                    "score": 0.92,
                    "verdict": "clean",
                    "findings": [
                        {
                            "code": "follower_jump",
                            "penalty": 0.08,
                            "message": "粉丝数 10 月 12 日单日增长 4.1%，高于同量级达人",
                            "evidence": {"day": "2026-10-12", "growth": 0.041},
                            "platform": "xiaohongshu",
                        }
                    ],
                    "checked": ["follower_growth", "engagement_rate", "comment_quality"],
                    "checked_at": "2026-10-28T11:00:00+08:00",
                }
            ]
        },
    )

    subject: Literal["creator", "post"]
    subject_id: str
    score: float = Field(description="100: nothing found; below 75: suspicious")
    verdict: Literal["clean", "suspicious", "insufficient_data"]
    findings: list[FindingOut]
    checked: list[str] = Field(description="The checks that had enough data to run")
    checked_at: datetime
