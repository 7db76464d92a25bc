"""Mentions that listening crawlers push (topic `listening.mentions.v1`, key: platform:id)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

MENTION_PLATFORMS = ("weibo", "xiaohongshu", "douyin", "wechat", "bilibili", "news", "other")
MENTION_KINDS = ("post", "comment", "direct_message")


class MentionReceived(BaseModel):
    platform: str = Field(description="One of MENTION_PLATFORMS")
    platform_id: str = Field(min_length=1, max_length=128, description="The post's id there")
    author: str = Field(default="", max_length=128)
    text: str = Field(min_length=1, max_length=10_000)
    url: str | None = Field(default=None, max_length=2048)
    posted_at: datetime
    likes: int = Field(default=0, ge=0)
    comments: int = Field(default=0, ge=0)
    shares: int = Field(default=0, ge=0)
    user_id: str | None = Field(default=None, max_length=128, description="The CRM id, if known")
    # Added compatibly (defaults): events written before these fields are posts, as they were.
    kind: Literal["post", "comment", "direct_message"] = Field(
        default="post",
        description="post: a public post about the brand; comment: a comment on the brand's "
        "account (also a mention, and answered from the FAQ); direct_message: a private "
        "message to the brand (answered from the FAQ, never counted as a public mention)",
    )
    reply_to: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="comment: the post it is under; direct_message: the conversation to reply "
        "in (required for direct messages)",
    )
