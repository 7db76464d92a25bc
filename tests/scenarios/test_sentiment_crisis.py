"""Sentiment-alert's proof scenarios through the gateway of the embedded mode (one process,
SQLite and the local bus), as a brand's team meets them:

(a) a crawler (an operator account: API keys are refused on every service route in the embedded
    mode today, segmentation's /v1/events alike) posts a week of ordinary mentions of the brand,
    then a burst of negative ones: one alert that escalates, a crisis case (crisis.opened);
    campaigns pauses the promotional send and content-review holds the scheduled ad; closing
    the case resumes both;
(b) a churned user's complaint ("配送太慢，再也不买了") is classified as feedback on delivery
    and `GET /v1/users/{id}` shows it as the churn reason;
(c) FAQ replies with the recording platform adapter (`reply_adapter = recording`): a comment
    asking about shipping time gets the FAQ answer, an angry comment goes to the queue.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from yunying_shared.runtime.embedded import EmbeddedApp

ADMIN = {"email": "ops@brand.example", "password": "correct horse battery staple"}
PASSWORD = "another long passphrase 42"
NEUTRAL = "花西子今天上新了"
NEGATIVE = "花西子的散粉用了过敏，太差了，要投诉"


@pytest.fixture
async def embedded(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    monkeypatch.setenv("YUNYING_SENTIMENT_ALERT_REPLY_ADAPTER", "recording")
    monkeypatch.setenv("YUNYING_SENTIMENT_ALERT_REPLY_INTERVAL_SECONDS", "0.1")
    app = EmbeddedApp(tmp_path)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    try:
        yield app, client
    finally:
        await client.aclose()
        await app.shutdown()


@pytest.fixture
def gateway(embedded):
    return embedded[1]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _eventually(probe: Callable[[], Any], what: str, seconds: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened within {seconds:.0f} s: {what}")


async def _login(client, credentials, workspace_id=None) -> dict[str, str]:
    token = _ok(await client.post("/v1/auth/login", json=credentials))["access_token"]
    headers = {"authorization": f"Bearer {token}"}
    return {**headers, "x-workspace-id": workspace_id} if workspace_id else headers


async def _workspace(client) -> tuple[str, dict[str, str]]:
    auth = await _login(client, ADMIN)
    workspace = _ok(
        await client.post("/v1/workspaces", headers=auth, json={"name": "花西子", "slug": "hxz"}),
        201,
    )
    workspace_id = workspace["id"]

    async def recorded():
        body = _ok(await client.get(f"/v1/workspaces/{workspace_id}/propagation", headers=auth))
        return body if all(s["recorded"] for s in body["services"]) else None

    await _eventually(recorded, "the workspace reached every service")
    return workspace_id, {**auth, "x-workspace-id": workspace_id}


async def _crawler(client, workspace_id, admin) -> dict[str, str]:
    return await _member(client, workspace_id, admin, "crawler@brand.example", "operator")


async def _member(client, workspace_id, admin, email, role) -> dict[str, str]:
    _ok(
        await client.post(
            f"/v1/workspaces/{workspace_id}/members",
            headers=admin,
            json={"email": email, "password": PASSWORD, "role": role},
        ),
        201,
    )
    return await _login(client, {"email": email, "password": PASSWORD}, workspace_id)


def _mentions(now: datetime) -> tuple[list[dict], list[dict], list[dict]]:
    week, hour = [], now.replace(minute=0, second=0, microsecond=0)
    moment = hour - timedelta(days=7)
    while moment < hour:
        for n in range(2):
            week.append(
                {
                    "platform": "weibo",
                    "platform_id": uuid4().hex,
                    "author": f"regular-{moment:%d%H}-{n}",
                    "text": NEUTRAL,
                    "posted_at": (moment + timedelta(minutes=10 + n)).isoformat(),
                }
            )
        moment += timedelta(hours=1)

    def burst(prefix, count, text):
        return [
            {
                "platform": "xiaohongshu",
                "platform_id": f"{prefix}-{n}",
                "author": f"{prefix}-{n}",
                "text": text,
                "posted_at": (now - timedelta(minutes=2)).isoformat(),
            }
            for n in range(count)
        ]

    return week, burst("rise", 16, NEUTRAL), burst("angry", 40, NEGATIVE)


async def _post_mentions(client, crawler, items):
    for start in range(0, len(items), 1000):
        body = _ok(
            await client.post(
                "/v1/mentions", headers=crawler, json={"mentions": items[start : start + 1000]}
            )
        )
        assert body["rejected"] == 0, body


async def _promotional_journey(client, admin):
    template = _ok(
        await client.post(
            "/v1/coupons/templates",
            headers=admin,
            json={"name": "复购券", "kind": "amount_off", "amount_off": "30"},
        ),
        201,
    )
    start = datetime.now(UTC) + timedelta(minutes=1)
    campaign = _ok(
        await client.post(
            "/v1/campaigns",
            headers=admin,
            json={
                "name": "复购提醒",
                "type": "churn_recall",
                "platforms": ["wechat"],
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(days=14)).isoformat(),
                "coupon_template_id": template["id"],
                "budget": "3000",
                "reward_limit": 100,
                "priority": 5,
            },
        ),
        201,
    )
    for state in ("scheduled", "running"):
        _ok(
            await client.post(
                f"/v1/campaigns/{campaign['id']}/transitions",
                headers=admin,
                json={"to_state": state},
            )
        )
    _ok(
        await client.post(
            "/v1/journeys",
            headers=admin,
            json={
                "campaign_id": campaign["id"],
                "name": "晒单返券",
                "trigger": {"event": "user_event", "kind": "purchase"},
                "steps": [{"type": "send_message", "channel": "sms", "body": "晒单返券"}],
            },
        ),
        201,
    )


async def _scheduled_ad(client, workspace_id, admin) -> tuple[str, dict[str, str]]:
    author = await _member(client, workspace_id, admin, "author@brand.example", "operator")
    checker = await _member(client, workspace_id, admin, "checker@brand.example", "operator")
    reviewer = await _member(client, workspace_id, admin, "reviewer@brand.example", "reviewer")
    item = _ok(
        await client.post(
            "/v1/content/items",
            headers=author,
            json={
                "platform": "xiaohongshu",
                "kind": "ad",
                "title": "早八通勤妆",
                "body": "五分钟完成底妆，适合通勤。#广告",
                "planned_publish_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
            },
        ),
        201,
    )
    for step, headers in (
        ("submit", author),
        ("operator-check", checker),
        ("approve", reviewer),
        ("schedule", checker),
    ):
        _ok(await client.post(f"/v1/content/items/{item['id']}/{step}", headers=headers))
    return item["id"], reviewer


async def test_a_negative_burst_opens_a_crisis_through_the_gateway(gateway):
    client = gateway
    workspace_id, admin = await _workspace(client)
    crawler = await _crawler(client, workspace_id, admin)
    await _promotional_journey(client, admin)
    ad_id, reviewer = await _scheduled_ad(client, workspace_id, admin)
    rule = {"kind": "brand", "keyword": "花西子", "terms": ["花西子散粉"]}
    _ok(await client.post("/v1/monitoring/rules", headers=admin, json=rule), 201)

    week, rise, angry = _mentions(datetime.now(UTC))
    await _post_mentions(client, crawler, week)
    assert _ok(await client.get("/v1/alerts", headers=crawler))["items"] == []
    await _post_mentions(client, crawler, rise)
    [alert] = _ok(await client.get("/v1/alerts", headers=crawler))["items"]
    assert alert["level"] == "blue"
    await _post_mentions(client, crawler, angry)
    [alert] = _ok(await client.get("/v1/alerts", headers=crawler))["items"]
    assert alert["level"] == "red" and [e["level"] for e in alert["escalations"]] == ["red"]
    [case] = _ok(await client.get("/v1/crises", headers=admin))["items"]
    assert case["id"] == alert["crisis_id"] and case["state"] == "warning"

    async def campaigns_know():
        found = _ok(await client.get("/v1/campaigns/crises", headers=admin))["items"]
        return found or None

    async def ad_in(state):
        item = _ok(await client.get(f"/v1/content/items/{ad_id}", headers=reviewer))
        return item if item["state"] == state else None

    await _eventually(campaigns_know, "campaigns recorded the crisis")
    await _eventually(lambda: ad_in("held"), "content-review held the ad")
    purchase = {
        "event_id": "order-9",
        "user_id": "u9",
        "type": "purchase",
        "occurred_at": datetime.now(UTC).isoformat(),
        "amount": "88",
        "currency": "CNY",
    }
    _ok(await client.post("/v1/events", headers=admin, json={"events": [purchase]}))

    async def send_of_u9(predicate):
        sends = _ok(await client.get("/v1/sending/sends?user_id=u9", headers=admin))["items"]
        return sends if sends and predicate(sends[0]) else None

    paused = await _eventually(
        lambda: send_of_u9(lambda s: s["state"] == "paused"), "the promotional send paused"
    )
    assert case["id"] in paused[0]["reason"]

    _ok(
        await client.post(
            f"/v1/crises/{case['id']}/transition",
            headers=admin,
            json={"to_state": "closed", "note": "resolved with the supplier"},
        )
    )
    await _eventually(lambda: ad_in("scheduled"), "content-review released the ad")
    await _eventually(
        lambda: send_of_u9(lambda s: s["state"] != "paused"), "the promotional send resumed"
    )
    report = _ok(await client.get(f"/v1/crises/{case['id']}/postmortem", headers=admin))
    assert report["state"] == "closed" and report["volumes"]


async def test_a_churned_users_complaint_is_their_churn_reason_on_the_profile(gateway):
    client = gateway
    workspace_id, admin = await _workspace(client)
    crawler = await _crawler(client, workspace_id, admin)
    old_purchase = {
        "event_id": "order-1",
        "user_id": "u-churned",
        "type": "purchase",
        "occurred_at": (datetime.now(UTC) - timedelta(days=200)).isoformat(),
        "amount": "199",
        "currency": "CNY",
    }
    _ok(await client.post("/v1/events", headers=admin, json={"events": [old_purchase]}))
    assert _ok(await client.get("/v1/users/u-churned", headers=admin))["stage"] == "churned"

    complaint = {
        "platform": "weibo",
        "platform_id": "wb-42",
        "author": "小王",
        "text": "配送太慢，再也不买了",
        "posted_at": datetime.now(UTC).isoformat(),
        "user_id": "u-churned",
    }
    result = _ok(await client.post("/v1/mentions", headers=crawler, json={"mentions": [complaint]}))
    assert result["results"][0]["label"] == "neg"

    async def churn_reason():
        profile = _ok(await client.get("/v1/users/u-churned", headers=admin))
        return profile if profile["churn_reason"] else None

    profile = await _eventually(churn_reason, "segmentation recorded the churn reason")
    assert profile["churn_reason"] == "delivery"


async def test_a_shipping_question_is_answered_and_an_angry_comment_queued(embedded):
    app, client = embedded
    workspace_id, admin = await _workspace(client)
    crawler = await _crawler(client, workspace_id, admin)
    shipping = {
        "questions": ["什么时候发货", "下单后多久发货", "How long does shipping take?"],
        "answer": "下单后48小时内发货。",
    }
    _ok(await client.post("/v1/faq/entries", headers=admin, json=shipping), 201)
    _ok(await client.put("/v1/faq/settings", headers=admin, json={"mode": "auto_send"}))
    now = datetime.now(UTC).isoformat()
    comments = [
        {"platform_id": "wb-c1", "text": "请问下单后几天发货？"},
        {"platform_id": "wb-c2", "text": "等了一周还没发货，客服也不回，太垃圾了！"},
    ]
    result = _ok(
        await client.post(
            "/v1/mentions",
            headers=crawler,
            json={
                "mentions": [
                    {**c, "platform": "weibo", "posted_at": now, "kind": "comment"}
                    for c in comments
                ]
            },
        )
    )
    assert [r["reply_status"] for r in result["results"]] == ["replying", "queued"]

    async def replied():
        body = _ok(await client.get("/v1/replies/messages?status=replied", headers=admin))
        return body["items"] or None

    [answered] = await _eventually(replied, "the FAQ answer was sent")
    assert (answered["platform_id"], answered["reply_text"]) == ("wb-c1", shipping["answer"])
    [waiting] = _ok(await client.get("/v1/replies/queue", headers=admin))["items"]
    assert (waiting["platform_id"], waiting["reason"]) == ("wb-c2", "negative")
    platform = app.services["sentiment-alert"].state.reply_platforms.get("weibo")
    assert [(r.target, r.text) for r in platform.sent] == [("wb-c1", shipping["answer"])]
