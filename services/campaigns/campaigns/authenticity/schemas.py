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
    model_config = ConfigDict(extra="forbid")

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
    model_config = ConfigDict(extra="forbid")

    posts: list[PostIn] = Field(min_length=1, max_length=200)


class StoredOut(BaseModel):
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
    model_config = ConfigDict(from_attributes=True)

    subject: Literal["creator", "post"]
    subject_id: str
    score: float = Field(description="100: nothing found; below 75: suspicious")
    verdict: Literal["clean", "suspicious", "insufficient_data"]
    findings: list[FindingOut]
    checked: list[str] = Field(description="The checks that had enough data to run")
    checked_at: datetime
