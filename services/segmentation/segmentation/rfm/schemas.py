from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RescoreResult(BaseModel):
    profiles: int
    changed: int = Field(description="Profiles whose scores, class, segment, tier or stage moved")
    stage_changes: int
    tier_changes: int
    edges: dict[str, list[float]]
    scored_at: datetime


class Dimension(BaseModel):
    raw: float | None = Field(
        description="recency: days since last purchase; frequency: "
        "orders; monetary: net spend — as of the last re-score"
    )
    score: int | None
    edges: list[float] = Field(description="The 4 edges between scores 1..5")
    rule: str


class RfmExplanation(BaseModel):
    user_id: str
    scored_at: datetime | None
    window_days: int | None = Field(description="None: lifetime aggregates")
    recency: Dimension
    frequency: Dimension
    monetary: Dimension
    rfm_class: str | None
    rfm_segment: str | None
    tier: str | None
    note: str = ""
