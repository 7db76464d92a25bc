from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    keyword: str
    level: Literal["blue", "yellow", "orange", "red"]
    state: Literal["open", "closed"]
    signals: list[str]
    spike_started_at: datetime
    opened_at: datetime
    escalations: list[dict[str, Any]]
    closed_at: datetime | None
    peak_mentions: int
    top_mentions: list[dict[str, Any]]
    top_terms: list[dict[str, Any]]
    platforms: dict[str, int]
    sentiment_mix: dict[str, int]
    crisis_id: UUID | None
