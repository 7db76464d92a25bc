"""Events the content-review service publishes: `content.item.v1` (key: content id)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

PLATFORMS = ("xiaohongshu", "douyin", "wechat", "weibo", "bilibili")
CONTENT_STATES = (
    "draft",
    "submitted",
    "scanned",
    "operator_checked",
    "approved",
    "scheduled",
    "published",
    "expired",
    "held",
)


class ContentItemTransitioned(BaseModel):
    """A content item moved through the review workflow. `to_state == "approved"` means both
    human review stages passed (campaigns may attach it); `held` means an ad was held while a
    crisis is open."""

    content_id: str
    revision: int = Field(ge=1, description="The revision the transition applies to")
    from_state: str | None = Field(description="None when the item was just created")
    to_state: str = Field(description="One of CONTENT_STATES")
    kind: Literal["value", "ad"] = Field(description="Value content (干货/故事/互动) or an ad")
    platform: str = Field(description="One of PLATFORMS")
    title: str = Field(max_length=200)
    actor_id: str | None = Field(default=None, description="Who made the transition")
    reason: str | None = Field(default=None, max_length=500)
    planned_publish_at: datetime | None = None
    occurred_at: datetime
