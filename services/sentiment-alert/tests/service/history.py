"""A week of steady mentions of a keyword, then bursts: what the detector needs to see."""

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sentiment_alert.clock import hour_of

NEUTRAL = "花西子今天上新了"
NEGATIVE = "花西子的散粉用了过敏，太差了，要投诉"


def steady_week(now: datetime, *, per_hour: int = 2, days: int = 7) -> list[dict[str, Any]]:
    """`per_hour` neutral mentions by distinct authors in every past hour of `days` days."""
    items = []
    start = hour_of(now) - timedelta(days=days)
    moment = start
    while moment < hour_of(now):
        for n in range(per_hour):
            items.append(
                {
                    "platform": "weibo",
                    "platform_id": uuid4().hex,
                    "author": f"regular-{moment:%d%H}-{n}",
                    "text": NEUTRAL,
                    "posted_at": (moment + timedelta(minutes=10 + n)).isoformat(),
                }
            )
        moment += timedelta(hours=1)
    return items


def burst(now: datetime, count: int, *, prefix: str, text: str = NEGATIVE) -> list[dict[str, Any]]:
    """`count` mentions in the current hour, each by its own author."""
    return [
        {
            "platform": "xiaohongshu" if n % 3 else "douyin",
            "platform_id": f"{prefix}-{n}",
            "author": f"{prefix}-author-{n}",
            "text": text,
            "likes": n,
            "posted_at": (now - timedelta(minutes=5)).isoformat(),
        }
        for n in range(count)
    ]


async def ingest_all(session, ingest, workspace_id, items, now, size=1000):
    for start in range(0, len(items), size):
        await ingest(session, workspace_id=workspace_id, items=items[start : start + size], now=now)
