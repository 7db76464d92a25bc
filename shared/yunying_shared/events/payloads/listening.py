"""Mentions that listening crawlers push (topic `listening.mentions.v1`, key: platform:id)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

MENTION_PLATFORMS = ("weibo", "xiaohongshu", "douyin", "wechat", "bilibili", "news", "other")


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
