"""Fixtures: a creator's registry entry, and follower counts, posts and comments of a clean
creator or of one with bought followers and templated comments, as the API takes them."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

START = date(2026, 10, 1)
OPENERS = ["这个", "姐妹们", "真的", "刚买了", "我也", "上次", "看完"]
ENDINGS = [
    "质地很清爽",
    "物流挺快的",
    "敏感肌能用吗",
    "已经回购三次",
    "颜色好温柔",
    "有点贵但是好用",
    "请问油皮适合吗",
    "和图片一样",
    "性价比不错",
    "味道还可以",
    "比专柜便宜",
]


def followers(platform: str, *, start: int = 40_000, bought: int = 0) -> dict[str, Any]:
    points, value = [], start
    for day in range(30):
        value += 80 + (day % 3) * 10 + (bought if day == 14 else 0)
        points.append({"day": (START + timedelta(days=day)).isoformat(), "followers": value})
    return {"platform": platform, "points": points}


def posts(platform: str, prefix: str, *, templated: bool = False) -> dict[str, Any]:
    items = []
    for n in range(8):
        day = START + timedelta(days=2 + 3 * n)
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        comments = [
            {
                "comment_id": f"{prefix}-{n}-{k}",
                "author_id": f"fan-{prefix}-{n}-{k}",
                "author_created_at": (at - timedelta(days=400 + k)).isoformat(),
                "text": OPENERS[(n + k) % 7] + ENDINGS[(3 * n + k) % 11],
                "at": (at + timedelta(hours=k)).isoformat(),
            }
            for k in range(5)
        ]
        if templated and n == 1:
            comments += [
                {
                    "comment_id": f"{prefix}-{n}-t{k}",
                    "author_id": f"buyer{k}",
                    "author_created_at": (at - timedelta(days=2)).isoformat(),
                    "text": f"已下单{k}件，效果太好了强烈推荐",
                    "at": (at + timedelta(minutes=k)).isoformat(),
                }
                for k in range(40)
            ]
        items.append(
            {
                "platform": platform,
                "post_id": f"{prefix}-post-{n}",
                "posted_at": at.isoformat(),
                "likes": 1_800 + 37 * n,
                "comments": 60 + n,
                "shares": 20,
                "comment_samples": comments,
            }
        )
    return {"posts": items}


def creator(external_id: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "name": f"达人{external_id}",
        "tier": "micro",
        "accounts": [{"platform": "xiaohongshu", "account_id": external_id, "followers": 48_000}],
        "prices": [{"platform": "xiaohongshu", "deliverable": "image_post", "price": "8000"}],
        "audience": {"gender": {"female": 0.8, "male": 0.2}},
    }


@pytest.fixture
def series() -> Any:
    """The builders, as one object (tests import no modules of their own directory)."""

    class Series:
        pass

    builders = Series()
    builders.creator = creator  # type: ignore[attr-defined]
    builders.followers = followers  # type: ignore[attr-defined]
    builders.posts = posts  # type: ignore[attr-defined]
    return builders
