"""Writes the labelled evaluation set of engagement authenticity (`authenticity_eval.json`):
accounts with a follower series, posts and comments, half of them clean and half with fakes
injected. Deterministic (one seeded generator), so the committed file is what this script
writes: `.venv/bin/python bench/data/make_authenticity_eval.py` regenerates it byte for byte.

Clean accounts grow by a noisy daily rate, post with engagement around their tier's norm
(log-normal), get 5-60 likes per comment, and comments composed from a phrase pool by
commenters with accounts of every age. Some clean accounts are hard on purpose: a post that
went viral with the follower jump it brought, a small account whose fans repeat short replies
(好看, 求链接), a quiet account with a low but real engagement rate.

Injected fakes, one or two per fake account:
- `follower_jump`: 12-40 % of the followers added in one day (bought followers);
- `dead_followers`: followers multiplied 6-10 times across the series, engagement unchanged;
- `like_inflation`: likes multiplied 8-20 times on most posts;
- `templated_comments`: 30-90 comments from one template with numbers varied, new authors;
- `comment_burst`: 40-80 comments within one hour from new accounts named user<digits>.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20261130
ACCOUNTS = 120
DAYS = 45
POSTS = 12
OUT = Path(__file__).with_name("authenticity_eval.json")
START = date(2026, 9, 1)
TIERS = {
    "head": (2_000_000, 0.015),
    "mid": (300_000, 0.03),
    "micro": (40_000, 0.05),
    "koc": (4_000, 0.08),
}
FAKES = ["follower_jump", "dead_followers", "like_inflation", "templated_comments", "comment_burst"]
OPENERS = ["这个", "姐妹们", "真的", "刚买了", "蹲一个", "我也", "上次", "看完", "请问", "终于"]
MIDDLES = [
    "颜色好温柔",
    "质地很清爽",
    "物流挺快的",
    "包装有点简陋",
    "味道还可以",
    "性价比不错",
    "比专柜便宜",
    "用了一周",
    "敏感肌能用吗",
    "已经回购三次",
    "和图片一样",
    "有点贵",
]
ENDINGS = ["", "！", "～", "吧", "哈哈哈", "，推荐", "，再观望下", "？", "👍", "😂"]
SHORT = ["好看", "求链接", "冲", "种草了", "已买", "哈哈哈"]
TEMPLATES = [
    "宝子们这款真的绝绝子{n}号色闭眼入",
    "已下单{n}件，效果太好了强烈推荐",
    "亲测有效{n}天见效，买它买它",
]


def _at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def _comment(rng: np.random.Generator) -> str:
    if rng.random() < 0.15:
        return str(rng.choice(SHORT))
    return str(rng.choice(OPENERS) + rng.choice(MIDDLES) + rng.choice(ENDINGS))


def _account(rng: np.random.Generator, index: int, fakes: list[str], hard: str | None) -> dict:
    tier = str(rng.choice(list(TIERS)))
    base, norm = TIERS[tier]
    followers0 = int(base * rng.uniform(0.5, 1.5))
    growth = rng.normal(0.002, 0.001, DAYS).clip(-0.001, 0.006)
    counts = followers0 * np.cumprod(1 + growth)
    posts: list[dict[str, Any]] = []
    post_days = sorted(rng.choice(np.arange(2, DAYS - 3), POSTS, replace=False).tolist())
    rate_scale = 0.35 if hard == "quiet" else 1.0
    for number, offset in enumerate(post_days):
        followers = float(counts[offset])
        engagement = followers * norm * rate_scale * float(rng.lognormal(0.0, 0.35))
        likes_per_comment = float(rng.uniform(5, 60))
        comments = max(1.0, engagement / (1 + likes_per_comment + 0.1))
        posts.append(
            {
                "post_id": f"a{index}-p{number}",
                "day": offset,
                "likes": int(comments * likes_per_comment),
                "comments": int(comments),
                "shares": int(comments * 0.1),
            }
        )
    if hard == "viral":
        post = posts[len(posts) // 2]
        for key in ("likes", "comments", "shares"):
            post[key] *= 8
        jump_day = post["day"] + 1
        counts[jump_day:] += counts[jump_day] * 0.18
    if "follower_jump" in fakes:
        jump_day = int(rng.integers(10, DAYS - 5))
        counts[jump_day:] += counts[jump_day] * rng.uniform(0.12, 0.4)
    if "dead_followers" in fakes:
        counts *= rng.uniform(6, 10)
    if "like_inflation" in fakes:
        factor = rng.uniform(8, 20)
        for post in posts:
            if rng.random() < 0.8:
                post["likes"] = int(post["likes"] * factor)
    comments: list[dict[str, Any]] = []
    authors = 0
    for post in posts:
        day = START + timedelta(days=post["day"])
        for _ in range(int(rng.integers(3, 7))):
            authors += 1
            text = (
                str(rng.choice(SHORT)) if hard == "fans" and rng.random() < 0.6 else _comment(rng)
            )
            age_days = float(rng.exponential(500))
            at = _at(day, float(rng.uniform(1, 72)))
            comments.append(
                {
                    "post_id": post["post_id"],
                    "author_id": f"fan{index}x{authors}a",
                    "text": text,
                    "at": at.isoformat(timespec="minutes"),
                    "author_created_at": (at - timedelta(days=age_days + 1)).isoformat(
                        timespec="minutes"
                    ),
                }
            )
    if "templated_comments" in fakes:
        template = str(rng.choice(TEMPLATES))
        post = posts[int(rng.integers(0, len(posts)))]
        day = START + timedelta(days=post["day"])
        for n in range(int(rng.integers(30, 90))):
            at = _at(day, float(rng.uniform(1, 48)))
            comments.append(
                {
                    "post_id": post["post_id"],
                    "author_id": f"buyer{index}x{n}q",
                    "text": template.format(n=int(rng.integers(1, 40))),
                    "at": at.isoformat(timespec="minutes"),
                    "author_created_at": (at - timedelta(days=float(rng.uniform(1, 20)))).isoformat(
                        timespec="minutes"
                    ),
                }
            )
    if "comment_burst" in fakes:
        post = posts[int(rng.integers(0, len(posts)))]
        hour = _at(START + timedelta(days=post["day"]), 20.0)
        for n in range(int(rng.integers(40, 80))):
            at = hour + timedelta(minutes=float(rng.uniform(0, 59)))
            comments.append(
                {
                    "post_id": post["post_id"],
                    "author_id": f"user{8000 + index * 100 + n}",
                    "text": _comment(rng),
                    "at": at.isoformat(timespec="minutes"),
                    "author_created_at": (at - timedelta(days=float(rng.uniform(0, 10)))).isoformat(
                        timespec="minutes"
                    ),
                }
            )
    return {
        "account": f"a{index}",
        "tier": tier,
        "label": "fake" if fakes else "clean",
        "injected": fakes,
        "hard_case": hard,
        "followers": [
            [(START + timedelta(days=d)).isoformat(), int(c)] for d, c in enumerate(counts)
        ],
        "posts": [
            {
                **{k: v for k, v in p.items() if k != "day"},
                "posted_at": _at(START + timedelta(days=p["day"]), 12.0).isoformat(
                    timespec="minutes"
                ),
            }
            for p in posts
        ],
        "comments": comments,
    }


def generate() -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    accounts = []
    for index in range(ACCOUNTS):
        fakes: list[str] = []
        hard: str | None = None
        if index % 2:
            fakes = [FAKES[index // 2 % len(FAKES)]]
            if rng.random() < 0.3:
                fakes.append(str(rng.choice([f for f in FAKES if f != fakes[0]])))
        elif index % 8 == 0:
            hard = ("viral", "fans", "quiet")[index // 8 % 3]
        accounts.append(_account(rng, index, fakes, hard))
    return {"seed": SEED, "generator": "bench/data/make_authenticity_eval.py", "accounts": accounts}


if __name__ == "__main__":
    OUT.write_text(json.dumps(generate(), ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")
