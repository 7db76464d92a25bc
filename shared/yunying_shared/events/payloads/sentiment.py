"""Events the sentiment-alert service publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class FeedbackClassified(BaseModel):
    """A known user's message was classified as feedback (topic `sentiment.feedback.v1`)."""

    user_id: str = Field(min_length=1, max_length=128, description="The CRM's user id")
    reason: str = Field(
        min_length=1, max_length=64, description="Category: delivery, price, quality, service, ..."
    )
    excerpt: str = Field(default="", max_length=500, description="Text excerpt, e.g. 配送太慢")
    churn_related: bool = Field(default=False, description="The user says they are leaving")
    classified_at: datetime | None = None


class MentionScored(BaseModel):
    """A mention was stored, scored and matched against the workspace's monitoring rules
    (topic `sentiment.mention.v1`, key: mention id)."""

    mention_id: str
    platform: str
    platform_id: str
    label: Literal["pos", "neu", "neg"]
    score: float = Field(ge=-1, le=1, allow_inf_nan=False)
    language: str = Field(description="zh, en or other")
    keywords: list[str] = Field(default_factory=list, description="Monitoring rules it matched")
    user_id: str | None = None
    posted_at: datetime


class CrisisCase(BaseModel):
    """A crisis case's state (topic `sentiment.crisis.v1`, key: case id). The four crisis
    events share it: opened, escalated, statement_published, resolved."""

    case_id: str
    level: Literal["blue", "yellow", "orange", "red"]
    state: Literal["warning", "responding", "repairing", "closed"]
    title: str = Field(max_length=200)
    keyword: str | None = Field(default=None, description="The monitoring rule that spiked")
    opened_at: datetime
    occurred_at: datetime
