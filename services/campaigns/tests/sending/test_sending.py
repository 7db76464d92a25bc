"""The sender against a webhook endpoint that accepts, fails and times out (httpx
MockTransport), with the frequency cap, quiet hours and crisis pause, on both dialects."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, time, timedelta
from uuid import uuid4

import httpx
from sqlalchemy import select

from campaigns.crisis.service import record_opened, record_resolved
from campaigns.sending.channels import SIGNATURE_HEADER, Channels, WebhookChannel
from campaigns.sending.dispatcher import dispatch_once
from campaigns.sending.models import DeliveryAttempt, Send
from campaigns.sending.queue import NewSend, enqueue
from campaigns.sending.rules import write_rules
from campaigns.sending.schemas import RulesIn
from yunying_shared.events.payloads.sentiment import CrisisCase

SECRET = b"test-webhook-secret"
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


class Endpoint:
    """Behaves like a provider's webhook: checks the signature, and answers per user id."""

    def __init__(self):
        self.received = []
        self.calls = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        timestamp, digest = (
            part.split("=", 1)[1] for part in request.headers[SIGNATURE_HEADER].split(",")
        )
        expected = hmac.new(
            SECRET, timestamp.encode() + b"." + request.content, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(digest, expected):
            return httpx.Response(401)
        body = json.loads(request.content)
        user = body["user_id"]
        self.calls[user] = self.calls.get(user, 0) + 1
        if user.startswith("flaky") and self.calls[user] == 1:
            return httpx.Response(503)
        if user.startswith("slow"):
            raise httpx.ReadTimeout("endpoint too slow", request=request)
        if user.startswith("refused"):
            return httpx.Response(400, text="unknown openid")
        self.received.append(body)
        return httpx.Response(202)


def channels(endpoint):
    client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    channel = WebhookChannel(
        client, "https://hooks.example/send", SECRET, max_attempts=3, backoff_seconds=0
    )
    return Channels({"sms": channel, "wechat_template": channel})


async def _queue(database, workspace_id, *sends, now=NOW):
    async with database.session() as session, session.begin():
        await enqueue(session, sends, now=now)


def _send(workspace_id, user_id, *, priority=0, campaign_id=None, promotional=True):
    return NewSend(
        workspace_id=workspace_id,
        dedupe_key=str(uuid4()),
        user_id=user_id,
        channel="sms",
        body=f"hello {user_id}",
        campaign_id=campaign_id or uuid4(),
        priority=priority,
        promotional=promotional,
    )


async def _dispatch(database, endpoint, now=NOW):
    return await dispatch_once(
        database,
        channels(endpoint),
        now=now,
        limit=100,
        hold=timedelta(0),
        lease=timedelta(minutes=5),
        default_cap=(1, 24),
    )


async def _sends(database):
    async with database.session() as session:
        return {s.user_id: s for s in await session.scalars(select(Send))}


async def test_accepts_retries_and_gives_up(database, workspace_id):
    endpoint = Endpoint()
    await _queue(
        database,
        workspace_id,
        *(_send(workspace_id, u) for u in ("ok", "flaky", "slow", "refused")),
    )
    assert await _dispatch(database, endpoint) == 4
    sends = await _sends(database)
    assert {u: s.state for u, s in sends.items()} == {
        "ok": "sent",
        "flaky": "sent",
        "slow": "failed",
        "refused": "failed",
    }
    assert sends["flaky"].attempts == 2 and sends["slow"].attempts == 3
    assert sends["refused"].attempts == 1 and "400" in sends["refused"].reason
    assert {b["user_id"] for b in endpoint.received} == {"ok", "flaky"}
    async with database.session() as session:
        log = [
            (a.outcome, a.status_code)
            for a in await session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.send_id == sends["flaky"].id)
                .order_by(DeliveryAttempt.id)
            )
        ]
    assert log == [("error", 503), ("accepted", 202)]
    assert await _dispatch(database, endpoint) == 0  # nothing sent twice


async def test_frequency_cap_goes_to_the_higher_priority(database, workspace_id):
    high, low = uuid4(), uuid4()
    await _queue(
        database,
        workspace_id,
        _send(workspace_id, "u1", priority=1, campaign_id=low),
        _send(workspace_id, "u1", priority=9, campaign_id=high),
    )
    endpoint = Endpoint()
    await _dispatch(database, endpoint)
    async with database.session() as session:
        states = {s.campaign_id: s for s in await session.scalars(select(Send))}
    assert states[high].state == "sent"
    assert states[low].state == "capped"
    assert str(high) in states[low].reason and "frequency cap 1 per 24h" in states[low].reason
    # The cap holds across rounds: a later send to u1 is capped too.
    await _queue(database, workspace_id, _send(workspace_id, "u1", priority=100))
    await _dispatch(database, endpoint, now=NOW + timedelta(hours=1))
    async with database.session() as session:
        capped = await session.scalar(select(Send).where(Send.priority == 100))
    assert capped.state == "capped" and "already sent" in capped.reason


async def test_quiet_hours_defer_not_drop(database, workspace_id):
    async with database.session() as session, session.begin():
        await write_rules(
            session,
            workspace_id=workspace_id,
            data=RulesIn(quiet_start=time(22), quiet_end=time(8), cap_count=5),
        )
    night = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    await _queue(database, workspace_id, _send(workspace_id, "u1"), now=night)
    endpoint = Endpoint()
    assert await _dispatch(database, endpoint, now=night) == 0
    send = (await _sends(database))["u1"]
    assert send.state == "pending" and send.due_at == datetime(2026, 6, 2, 0, 0, tzinfo=UTC)
    assert "quiet hours" in send.reason
    assert await _dispatch(database, endpoint, now=datetime(2026, 6, 2, 0, 1, tzinfo=UTC)) == 1
    assert (await _sends(database))["u1"].state == "sent"


def _case(**fields):
    return CrisisCase(
        case_id="case-1",
        level="red",
        state="warning",
        title="质量投诉",
        opened_at=NOW,
        occurred_at=NOW,
        **fields,
    )


async def test_crisis_pauses_promotional_sends_until_resolved(database, workspace_id):
    async with database.session() as session, session.begin():
        await record_opened(session, workspace_id=workspace_id, case=_case())
    await _queue(
        database,
        workspace_id,
        _send(workspace_id, "promo"),
        _send(workspace_id, "service", promotional=False),
    )
    endpoint = Endpoint()
    await _dispatch(database, endpoint)
    sends = await _sends(database)
    assert sends["promo"].state == "paused" and "case-1" in sends["promo"].reason
    assert sends["service"].state == "sent"
    assert await _dispatch(database, endpoint, now=NOW + timedelta(minutes=5)) == 0
    async with database.session() as session, session.begin():
        resumed = await record_resolved(
            session, workspace_id=workspace_id, case=_case(), now=NOW + timedelta(hours=1)
        )
    assert resumed == 1
    await _dispatch(database, endpoint, now=NOW + timedelta(hours=1))
    assert (await _sends(database))["promo"].state == "sent"
    assert [b["user_id"] for b in endpoint.received] == ["service", "promo"]


async def test_tags_are_neither_capped_nor_paused(database, workspace_id):
    async with database.session() as session, session.begin():
        await record_opened(session, workspace_id=workspace_id, case=_case())
    tag = NewSend(
        workspace_id=workspace_id,
        dedupe_key="tag-1",
        user_id="u1",
        channel="tag",
        body="召回未转化",
        promotional=False,
    )
    await _queue(database, workspace_id, _send(workspace_id, "u1", promotional=False), tag)
    endpoint = Endpoint()
    client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    tagger = WebhookChannel(client, "https://hooks.example/tag", SECRET, backoff_seconds=0)
    sent = await dispatch_once(
        database,
        Channels({"sms": channels(endpoint).get("sms"), "tag": tagger}),
        now=NOW,
        limit=10,
        hold=timedelta(0),
        lease=timedelta(minutes=5),
        default_cap=(1, 24),
    )
    assert sent == 2
    async with database.session() as session:
        states = {s.channel: s.state for s in await session.scalars(select(Send))}
    assert states == {"sms": "sent", "tag": "sent"}
    assert sorted(b["channel"] for b in endpoint.received) == ["sms", "tag"]
