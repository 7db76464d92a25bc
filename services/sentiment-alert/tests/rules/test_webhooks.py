"""Webhook deliveries against a fake robot (httpx MockTransport) that behaves like the real
ones: WeCom and DingTalk answer errcode JSON, DingTalk checks its timestamp signature, Slack
answers `ok`; the fake can also fail and time out. Retries and the delivery log on SQLite and
PostgreSQL."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select

from sentiment_alert.notifications.formats import build_request, dingtalk_sign
from sentiment_alert.notifications.models import NotificationDelivery
from sentiment_alert.notifications.schemas import ChannelIn
from sentiment_alert.notifications.service import (
    MAX_ATTEMPTS,
    create_channel,
    deliver_due,
    list_channels,
    notify,
)

SECRET = "SEC0123456789abcdef"


class FakeRobots:
    """Answers like the robots; `behaviour` per host: ok, fail (HTTP 500), timeout, refuse."""

    def __init__(self):
        self.behaviour = {}
        self.received = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = urlsplit(str(request.url))
        body = json.loads(request.content)
        self.received.append((url.hostname, body))
        behaviour = self.behaviour.get(url.hostname, "ok")
        if behaviour == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if behaviour == "fail":
            return httpx.Response(500, text="upstream error")
        if url.hostname == "oapi.dingtalk.com":
            query = parse_qs(url.query)
            timestamp, sign = query["timestamp"][0], query["sign"][0]
            digest = hmac.new(
                SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256
            ).digest()
            if sign != base64.b64encode(digest).decode():
                return httpx.Response(200, json={"errcode": 310000, "errmsg": "sign not match"})
            assert body["msgtype"] == "markdown" and body["markdown"]["title"]
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})
        if url.hostname == "qyapi.weixin.qq.com":
            if behaviour == "refuse" or body.get("msgtype") != "markdown":
                return httpx.Response(200, json={"errcode": 93000, "errmsg": "invalid webhook"})
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})
        return httpx.Response(200, text="ok")  # Slack


def test_dingtalk_signature_matches_the_documented_recipe():
    request = build_request(
        "dingtalk",
        "https://oapi.dingtalk.com/robot/send?access_token=t",
        SECRET,
        "标题",
        "正文",
        timestamp_ms=1_700_000_000_000,
    )
    query = parse_qs(urlsplit(request.url).query)
    assert query["timestamp"] == ["1700000000000"]
    assert query["sign"][0] == parse_qs(f"s={dingtalk_sign(SECRET, 1_700_000_000_000)}")["s"][0]
    assert query["access_token"] == ["t"]


async def _channels(session, workspace_id, now, *, dingtalk_secret=SECRET):
    for kind, url, secret in [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", dingtalk_secret),
        ("slack", "https://hooks.slack.com/services/T/B/X", None),
    ]:
        await create_channel(
            session,
            workspace_id=workspace_id,
            data=ChannelIn(kind=kind, name=kind, url=url, secret=secret),
            now=now,
        )


async def _log(session, workspace_id):
    rows = await session.scalars(
        select(NotificationDelivery)
        .where(NotificationDelivery.workspace_id == workspace_id)
        .order_by(NotificationDelivery.channel_id)
    )
    return list(rows)


async def test_each_robot_gets_its_format_and_accepts(session, workspace_id, now):
    robots = FakeRobots()
    await _channels(session, workspace_id, now)
    queued = await notify(
        session,
        workspace_id=workspace_id,
        subject="alert:1",
        title="【红色预警】花西子",
        body="过敏投诉激增",
        now=now,
    )
    assert queued == 3
    async with httpx.AsyncClient(transport=httpx.MockTransport(robots.handler)) as client:
        assert await deliver_due(session, client, now=now) == 3
    log = await _log(session, workspace_id)
    assert [(d.status, d.attempts, d.response_status) for d in log] == [("delivered", 1, 200)] * 3
    bodies = dict(robots.received)
    assert "花西子" in bodies["qyapi.weixin.qq.com"]["markdown"]["content"]
    assert "花西子" in bodies["hooks.slack.com"]["text"]


async def test_a_wrong_dingtalk_secret_is_a_refusal_that_is_retried_then_failed(
    session, workspace_id, now
):
    robots = FakeRobots()
    await _channels(session, workspace_id, now, dingtalk_secret="SECwrong")
    await notify(session, workspace_id=workspace_id, subject="s", title="t", body="b", now=now)
    async with httpx.AsyncClient(transport=httpx.MockTransport(robots.handler)) as client:
        moment = now
        for _ in range(MAX_ATTEMPTS + 2):
            await deliver_due(session, client, now=moment)
            moment += timedelta(hours=1)
    channels = {c.kind: c.id for c in await list_channels(session, workspace_id=workspace_id)}
    by_channel = {d.channel_id: d for d in await _log(session, workspace_id)}
    dingtalk = by_channel[channels["dingtalk"]]
    assert by_channel[channels["slack"]].status == "delivered"
    assert dingtalk.status == "failed" and dingtalk.attempts == MAX_ATTEMPTS
    assert "sign not match" in dingtalk.last_error


async def test_failures_and_timeouts_are_retried_with_back_off(session, workspace_id, now):
    robots = FakeRobots()
    robots.behaviour = {"qyapi.weixin.qq.com": "fail", "hooks.slack.com": "timeout"}
    await _channels(session, workspace_id, now)
    await notify(session, workspace_id=workspace_id, subject="s", title="t", body="b", now=now)
    async with httpx.AsyncClient(transport=httpx.MockTransport(robots.handler)) as client:
        await deliver_due(session, client, now=now)
        channels = {c.kind: c.id for c in await list_channels(session, workspace_id=workspace_id)}
        by_channel = {d.channel_id: d for d in await _log(session, workspace_id)}
        wecom, dingtalk, slack = (by_channel[channels[k]] for k in ("wecom", "dingtalk", "slack"))
        assert (wecom.status, wecom.response_status) == ("pending", 500)
        assert slack.last_error == "timed out" and slack.status == "pending"
        assert dingtalk.status == "delivered"
        # Not due yet: nothing is sent again before the back-off.
        assert await deliver_due(session, client, now=now + timedelta(seconds=1)) == 0
        robots.behaviour = {}
        assert await deliver_due(session, client, now=now + timedelta(minutes=1)) == 2
    assert {d.status for d in await _log(session, workspace_id)} == {"delivered"}
    assert (wecom.attempts, slack.attempts) == (2, 2)
