from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class AlertOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f",
                    "keyword": "过敏",
                    "level": "orange",
                    "state": "open",
                    "signals": ["volume_spike", "negative_share"],
                    "spike_started_at": "2026-11-11T22:00:00+08:00",
                    "opened_at": "2026-11-11T22:35:00+08:00",
                    "escalations": [{"at": "2026-11-11T22:35:00+08:00", "level": "orange"}],
                    "closed_at": None,
                    "peak_mentions": 342,
                    "top_mentions": [
                        {
                            "mention_id": "m-4962134170108571",
                            "platform": "weibo",
                            "author": "敏感肌小王",
                            "text": "用了双11 礼盒里的精华，脸上泛红刺痛，有人一样吗？",
                            "url": "https://weibo.com/1234567890/4962134170108571",
                            "label": "neg",
                            "engagement": 186,
                            "posted_at": "2026-11-11T22:31:00+08:00",
                        }
                    ],
                    "top_terms": [{"term": "刺痛", "count": 97}, {"term": "泛红", "count": 81}],
                    "platforms": {"weibo": 211, "xiaohongshu": 131},
                    "sentiment_mix": {"neg": 251, "neu": 70, "pos": 21},
                    "crisis_id": "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
                }
            ]
        },
    )

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
