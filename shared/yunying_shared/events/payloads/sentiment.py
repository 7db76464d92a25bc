"""Events the sentiment-alert service publishes."""

from __future__ import annotations

from datetime import datetime

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
