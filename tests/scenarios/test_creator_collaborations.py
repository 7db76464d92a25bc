"""Scenario (issue #16): a campaign picks the three creators whose audience best matches a
segment, one of them is flagged as inauthentic and cannot be approved, and a purchase with a
creator's code is attributed to that creator.

The users' attributes are set on segmentation (`PATCH /v1/users/{id}`), which publishes
`user.profile_updated`; the segment is saved there and its members reach campaigns as
`user.segment_entered`; the purchase is a CRM event posted to segmentation, republished as
`user_event.accepted`. Campaigns ranks, judges and attributes from its own mirrors.

In each runtime mode: SQLite and the local transport; PostgreSQL and Kafka.
"""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from campaigns.main import DEFINITION as CAMPAIGNS
from campaigns.main import create_app as create_campaigns
from segmentation.main import DEFINITION as SEGMENTATION
from segmentation.main import create_app as create_segmentation
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database
from yunying_shared.testing.groups import isolated_consumer_group

PATIENCE_SECONDS = 120.0
TOKEN_TTL = 900
START = date(2026, 10, 1)
# The segment: 9 women 25-34 into skincare, 3 men 18-24 into gadgets; 4 older users outside.
USERS = (
    [(f"w{n}", "female", "25-34", ["护肤"]) for n in range(9)]
    + [(f"m{n}", "male", "18-24", ["数码"]) for n in range(3)]
    + [(f"o{n}", "female", "45-54", ["园艺"]) for n in range(4)]
)
NEAR = {"gender": {"female": 0.75, "male": 0.25}, "age_band": {"25-34": 0.7, "18-24": 0.3}}
CREATORS = {
    "near-a": {**NEAR, "interests": {"护肤": 0.8, "数码": 0.2}},
    "near-b": {**NEAR, "interests": {"护肤": 0.7, "彩妆": 0.3}},
    "near-bought": {**NEAR, "interests": {"护肤": 0.75, "数码": 0.25}},
    "far-men": {"gender": {"male": 0.9, "female": 0.1}, "age_band": {"45-54": 1.0}},
    "far-food": {"gender": {"female": 0.5, "male": 0.5}, "interests": {"美食": 1.0}},
}
OPENERS = ["这个", "姐妹们", "真的", "刚买了", "我也", "上次", "看完"]
ENDINGS = ["质地很清爽", "物流挺快的", "敏感肌能用吗", "已经回购三次", "颜色好温柔", "比专柜便宜"]


async def _eventually(probe: Callable[[], Any], what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + PATIENCE_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"never happened within {PATIENCE_SECONDS:.0f} s: {what}")


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _creator(key: str) -> dict[str, Any]:
    return {
        "external_id": key,
        "name": f"达人-{key}",
        "tier": "micro",
        "categories": ["护肤"],
        "accounts": [{"platform": "xiaohongshu", "account_id": key, "followers": 45_000}],
        "prices": [{"platform": "xiaohongshu", "deliverable": "image_post", "price": "6000"}],
        "audience": CREATORS[key],
        "performance": [
            {
                "platform": "xiaohongshu",
                "period": "2026-10-01",
                "posts": 10,
                "followers": 45_000,
                "avg_engagements": 2_000,
            }
        ],
    }


def _series(key: str, *, bought: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """A month of follower counts and eight posts with comments; `bought`: 15,000 followers in
    one day and a post flooded with one templated comment from new accounts."""
    points, value = [], 45_000
    for day in range(30):
        value += 90 + (day % 4) * 10 + (15_000 if bought and day == 12 else 0)
        points.append({"day": (START + timedelta(days=day)).isoformat(), "followers": value})
    posts = []
    for n in range(8):
        day = START + timedelta(days=2 + 3 * n)
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        comments = [
            {
                "comment_id": f"{key}-{n}-{k}",
                "author_id": f"fan-{key}-{n}-{k}",
                "author_created_at": (at - timedelta(days=300 + k)).isoformat(),
                "text": OPENERS[(n + k) % 7] + ENDINGS[(n + 2 * k) % 6] + str(n) * (k % 2),
                "at": (at + timedelta(hours=k)).isoformat(),
            }
            for k in range(4)
        ]
        if bought and n == 2:
            comments += [
                {
                    "comment_id": f"{key}-{n}-t{k}",
                    "author_id": f"user{9000 + k}",
                    "author_created_at": (at - timedelta(days=1)).isoformat(),
                    "text": f"宝子们这款真的绝绝子{k}号色闭眼入",
                    "at": (at + timedelta(minutes=k)).isoformat(),
                }
                for k in range(40)
            ]
        posts.append(
            {
                "platform": "xiaohongshu",
                "post_id": f"{key}-post-{n}",
                "posted_at": at.isoformat(),
                "likes": 1_900 + 41 * n,
                "comments": 70 + n,
                "shares": 25,
                "comment_samples": comments,
            }
        )
    return {"platform": "xiaohongshu", "points": points}, {"posts": posts}


async def _users_and_segment(segmentation: httpx.AsyncClient, headers: dict) -> str:
    now = datetime.now(UTC)
    events = [
        {
            "event_id": f"reg-{user}",
            "user_id": user,
            "type": "registered",
            "occurred_at": (now - timedelta(days=1)).isoformat(),
        }
        for user, *_ in USERS
    ]
    posted = _ok(await segmentation.post("/v1/events", headers=headers, json={"events": events}))
    assert posted["accepted"] == len(USERS), posted
    for user, gender, age_band, interests in USERS:
        _ok(
            await segmentation.patch(
                f"/v1/users/{user}",
                headers=headers,
                json={"gender": gender, "age_band": age_band, "extra": {"interests": interests}},
            )
        )
    segment = _ok(
        await segmentation.post(
            "/v1/segments",
            headers=headers,
            json={
                "name": "年轻用户",
                "rule": {
                    "type": "field",
                    "field": "age_band",
                    "operator": "in",
                    "value": ["18-24", "25-34"],
                },
            },
        ),
        201,
    )
    return str(segment["id"])


async def _play(
    campaigns: httpx.AsyncClient,
    segmentation: httpx.AsyncClient,
    campaigns_headers: dict,
    segmentation_headers: dict,
) -> None:
    segment_id = await _users_and_segment(segmentation, segmentation_headers)
    ids = {}
    for key in CREATORS:
        made = _ok(
            await campaigns.post("/v1/creators", headers=campaigns_headers, json=_creator(key)), 201
        )
        ids[key] = made["id"]
        followers, posts = _series(key, bought=key == "near-bought")
        _ok(
            await campaigns.put(
                f"/v1/creators/{made['id']}/followers", headers=campaigns_headers, json=followers
            )
        )
        _ok(
            await campaigns.post(
                f"/v1/creators/{made['id']}/posts", headers=campaigns_headers, json=posts
            )
        )

    async def segment_known() -> Any:
        response = await campaigns.post(
            "/v1/creators/match",
            headers=campaigns_headers,
            json={"segment_id": segment_id, "sort": "match", "limit": 3},
        )
        if response.status_code != 200:
            return None
        body = response.json()
        return body if body["target"]["with_attributes"] == 12 else None

    ranking = await _eventually(segment_known, "the segment's members and attributes in campaigns")
    assert ranking["target"]["members"] == 12
    assert ranking["target"]["make_up"]["gender"] == {"female": 0.75, "male": 0.25}
    picked = [r["creator_id"] for r in ranking["ranked"]]
    assert set(picked) == {ids["near-a"], ids["near-b"], ids["near-bought"]}
    assert all(
        r["match"] > 0.8 and "1 − JS distance" in r["explanation"] for r in ranking["ranked"]
    )

    campaign = _ok(
        await campaigns.post(
            "/v1/campaigns",
            headers=campaigns_headers,
            json={"name": "新品精华种草", "type": "content_push", "platforms": ["xiaohongshu"]},
        ),
        201,
    )
    collaborations = {}
    for creator_id in picked:
        collaborations[creator_id] = _ok(
            await campaigns.post(
                f"/v1/campaigns/{campaign['id']}/collaborations",
                headers=campaigns_headers,
                json={"creator_id": creator_id, "platform": "xiaohongshu", "brief": "温和不刺激"},
            ),
            201,
        )
    for creator_id, collaboration in collaborations.items():
        response = await campaigns.post(
            f"/v1/collaborations/{collaboration['id']}/approve", headers=campaigns_headers
        )
        if creator_id == ids["near-bought"]:
            assert response.status_code == 409, response.text
            problem = response.json()
            assert problem["verdict"] == "suspicious"
            assert {"follower_jump", "templated_comments"} <= {
                f["code"] for f in problem["findings"]
            }
        else:
            assert _ok(response)["state"] == "approved"

    code = collaborations[ids["near-a"]]["code"]
    purchase = {
        "event_id": "order-creator-1",
        "user_id": "w1",
        "type": "purchase",
        "occurred_at": datetime.now(UTC).isoformat(),
        "order_id": "o-1",
        "amount": "9000",
        "currency": "CNY",
        "coupon_code": code,
    }
    _ok(
        await segmentation.post(
            "/v1/events", headers=segmentation_headers, json={"events": [purchase]}
        )
    )

    async def attributed() -> Any:
        results = _ok(
            await campaigns.get(
                f"/v1/campaigns/{campaign['id']}/collaborations/results", headers=campaigns_headers
            )
        )
        rows = {r["creator_id"]: r for r in results["creators"]}
        return rows if rows[ids["near-a"]]["conversions"] == 1 else None

    rows = await _eventually(attributed, "the purchase attributed to the creator")
    assert rows[ids["near-a"]]["revenue"] == "9000.00"
    assert rows[ids["near-a"]]["roi"] == 0.5
    assert rows[ids["near-b"]]["conversions"] == 0
    assert rows[ids["near-bought"]]["state"] == "proposed"


async def test_creators_matched_judged_and_attributed_in_each_mode(mode, tmp_path, settings_for):
    database_url, transport = mode
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as segmentation_url:
        campaigns_app = create_campaigns(
            settings_for(
                "campaigns",
                database_url,
                internal_token_ttl_seconds=TOKEN_TTL,
                **await isolated_consumer_group(database_url, CAMPAIGNS),
            ),
            transport=transport,
        )
        segmentation_app = create_segmentation(
            settings_for(
                "segmentation",
                segmentation_url,
                internal_token_ttl_seconds=TOKEN_TTL,
                **await isolated_consumer_group(database_url, SEGMENTATION),
            ),
            transport=transport,
        )
        async with running(campaigns_app) as campaigns, running(segmentation_app) as segmentation:
            operator = user_principal(workspace_id, "operator")
            await _play(
                campaigns,
                segmentation,
                internal_headers(campaigns_app, operator),
                internal_headers(segmentation_app, operator),
            )
