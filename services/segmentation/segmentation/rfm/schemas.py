from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RescoreResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "profiles": 1048576,
                    "changed": 52340,
                    "stage_changes": 8120,
                    "tier_changes": 6033,
                    "edges": {
                        "recency": [7.0, 30.0, 90.0, 180.0],
                        "frequency": [1.0, 2.0, 4.0, 10.0],
                        "monetary": [199.0, 599.0, 1299.0, 2999.0],
                    },
                    "scored_at": "2026-11-12T03:00:00+08:00",
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "wx_o6a8s1Kq",
                    "scored_at": "2026-11-12T03:00:00+08:00",
                    "window_days": 365,
                    "recency": {
                        "raw": 1.0,
                        "score": 5,
                        "edges": [7.0, 30.0, 90.0, 180.0],
                        "rule": "days since last purchase; fewer scores higher",
                    },
                    "frequency": {
                        "raw": 9.0,
                        "score": 4,
                        "edges": [1.0, 2.0, 4.0, 10.0],
                        "rule": "orders in the window",
                    },
                    "monetary": {
                        "raw": 3280.5,
                        "score": 5,
                        "edges": [199.0, 599.0, 1299.0, 2999.0],
                        "rule": "amount in the window, refunds deducted",
                    },
                    "rfm_class": "重要价值",
                    "rfm_segment": "Champions",
                    "tier": "high_value",
                    "note": "",
                }
            ]
        }
    )

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
