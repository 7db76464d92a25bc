"""FAQ entries, settings and the replies queue through the routes, on SQLite and PostgreSQL,
with the reply job running against the recording fake of a platform's reply API."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from sentiment_alert.main import create_app
from sentiment_alert.replies.platforms import RecordingPlatform, ReplyPlatforms
from yunying_shared.bus import Message
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import MENTION_RECEIVED
from yunying_shared.events.payloads.listening import MentionReceived
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

SHIPPING = {
    "questions": ["什么时候发货", "发货要多久", "How long does shipping take?"],
    "answer": "下单后48小时内发货。Orders ship within 48 hours.",
}
RETURNS = {"questions": ["怎么退货", "How do I return an item?"], "answer": "七天无理由退货。"}


@pytest.fixture
async def service(dialect, tmp_path, settings_for, local_transport):
    fake = RecordingPlatform(max_length=60)
    async with fresh_database(dialect, tmp_path) as url:
        settings = settings_for(
            "sentiment-alert",
            url,
            reply_interval_seconds=0.05,
            alert_interval_seconds=3600,
            reminder_interval_seconds=3600,
            delivery_interval_seconds=3600,
        )
        app = create_app(
            settings,
            transport=local_transport,
            state={"reply_platforms": ReplyPlatforms({"weibo": fake, "douyin": fake})},
        )
        async with running(app) as client:
            workspace_id = uuid.uuid4()
            operator = internal_headers(app, user_principal(workspace_id, "operator"))
            yield app, client, operator, fake, workspace_id


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _message(platform_id, text, kind="comment", **fields):
    return {
        "platform": fields.pop("platform", "weibo"),
        "platform_id": platform_id,
        "author": "fan-" + platform_id,
        "text": text,
        "posted_at": datetime.now(UTC).isoformat(),
        "kind": kind,
        **fields,
    }


async def _post(client, headers, *items):
    return _ok(await client.post("/v1/mentions", headers=headers, json={"mentions": list(items)}))


async def _message_when(client, headers, message_id, predicate):
    body = None
    for _ in range(400):
        body = _ok(await client.get(f"/v1/replies/messages/{message_id}", headers=headers))
        if predicate(body):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"message never matched: {body}")


async def test_faq_entries_are_validated_paged_and_replaced(service):
    _, client, operator, _, _ = service
    bad = await client.post(
        "/v1/faq/entries",
        headers=operator,
        json={"questions": ["  "], "answer": "x" * 1001, "platforms": ["tiktok"]},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"body.questions", "body.answer", "body.platforms.0"} <= fields
    assert (await client.post("/v1/faq/entries", headers=operator, json={})).status_code == 422

    first = _ok(await client.post("/v1/faq/entries", headers=operator, json=SHIPPING), 201)
    second = _ok(await client.post("/v1/faq/entries", headers=operator, json=RETURNS), 201)
    page = _ok(await client.get("/v1/faq/entries?limit=1", headers=operator))
    assert [e["id"] for e in page["items"]] == [first["id"]] and page["next_cursor"]
    rest = _ok(
        await client.get(f"/v1/faq/entries?limit=1&cursor={page['next_cursor']}", headers=operator)
    )
    assert [e["id"] for e in rest["items"]] == [second["id"]] and rest["next_cursor"] is None

    replaced = {**RETURNS, "questions": ["退货运费谁出"], "platforms": ["douyin", "douyin"]}
    updated = _ok(
        await client.put(f"/v1/faq/entries/{second['id']}", headers=operator, json=replaced)
    )
    assert updated["questions"] == ["退货运费谁出"] and updated["platforms"] == ["douyin"]
    match = _ok(
        await client.post("/v1/faq/match", headers=operator, json={"text": "退货运费谁出呀"})
    )
    assert match["candidates"][0]["entry_id"] == second["id"] and match["answers"]
    on_weibo = _ok(
        await client.post(
            "/v1/faq/match", headers=operator, json={"text": "退货运费谁出", "platform": "weibo"}
        )
    )
    assert all(c["entry_id"] != second["id"] for c in on_weibo["candidates"])

    deleted = await client.delete(f"/v1/faq/entries/{second['id']}", headers=operator)
    assert deleted.status_code == 204
    assert (
        await client.get(f"/v1/faq/entries/{second['id']}", headers=operator)
    ).status_code == 404
    match = _ok(await client.post("/v1/faq/match", headers=operator, json={"text": "退货运费谁出"}))
    assert all(c["entry_id"] != second["id"] for c in match["candidates"])  # index rebuilt

    reader = internal_headers(service[0], user_principal(service[4], "viewer"))
    assert (await client.post("/v1/faq/entries", headers=reader, json=SHIPPING)).status_code == 403


async def test_auto_send_answers_a_known_question_and_queues_an_angry_comment(service):
    _, client, operator, fake, _ = service
    defaults = _ok(await client.get("/v1/faq/settings", headers=operator))
    assert (defaults["threshold"], defaults["mode"], defaults["entries"]) == (0.6, "propose", 0)
    entry = _ok(await client.post("/v1/faq/entries", headers=operator, json=SHIPPING), 201)
    bad = await client.put("/v1/faq/settings", headers=operator, json={"threshold": 2})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.threshold"
    _ok(await client.put("/v1/faq/settings", headers=operator, json={"mode": "auto_send"}))

    result = await _post(
        client,
        operator,
        _message("c-1", "请问几天发货呀？", reply_to="post-9"),
        _message("c-2", "发货太慢了，等了一个星期还没到，差评！"),
        _message("p-1", "今天买了新粉底", kind="post"),
    )
    first, angry, post = result["results"]
    assert first["reply_status"] == "replying" and angry["reply_status"] == "queued"
    assert post["message_id"] is None and post["reply_status"] is None
    replied = await _message_when(
        client, operator, first["message_id"], lambda m: m["status"] == "replied"
    )
    assert replied["faq_entry_id"] == entry["id"] and replied["replied_by"] == "faq"
    assert replied["reply_platform_id"].startswith("weibo-reply-")
    [sent] = fake.sent
    assert (sent.target, sent.kind, sent.text) == ("c-1", "comment", SHIPPING["answer"])

    queue = _ok(await client.get("/v1/replies/queue", headers=operator))
    [queued] = queue["items"]
    assert queued["id"] == angry["message_id"] and queued["reason"] == "negative"
    assert queued["label"] == "neg" and queued["suggestion"] == SHIPPING["answer"]
    # Comments are still mentions; a redelivered comment is a duplicate and not answered twice.
    again = await _post(client, operator, _message("c-1", "请问几天发货呀？"))
    assert again["results"][0]["status"] == "duplicate"
    assert len(fake.sent) == 1


async def test_propose_mode_direct_messages_and_the_operator_answering(service):
    _, client, operator, fake, _ = service
    _ok(await client.post("/v1/faq/entries", headers=operator, json=SHIPPING), 201)
    missing = await _post(client, operator, _message("dm-0", "发货要多久", kind="direct_message"))
    assert missing["results"][0]["errors"] == [
        {"field": "reply_to", "message": "is required for a direct message (the conversation)"}
    ]
    news = await _post(client, operator, _message("n-1", "发货要多久", platform="news"))
    assert news["results"][0]["errors"][0]["field"] == "kind"

    result = await _post(
        client,
        operator,
        _message("dm-1", "How long does shipping take?", kind="direct_message", reply_to="conv-1"),
        _message("dm-2", "你们的会员积分怎么用", kind="direct_message", reply_to="conv-2"),
    )
    proposed, unknown = result["results"]
    assert proposed["status"] == "accepted" and proposed["mention_id"] is None
    assert (proposed["reply_status"], unknown["reply_status"]) == ("proposed", "queued")
    # Private messages are not public mentions.
    assert _ok(await client.get("/v1/mentions", headers=operator))["items"] == []

    # One batch arrives at one instant: the id breaks the tie, so pages never overlap.
    queue = _ok(await client.get("/v1/replies/queue?limit=1", headers=operator))
    rest = _ok(
        await client.get(
            f"/v1/replies/queue?limit=1&cursor={queue['next_cursor']}", headers=operator
        )
    )
    assert {m["id"] for m in queue["items"] + rest["items"]} == {
        proposed["message_id"],
        unknown["message_id"],
    }
    low = _ok(await client.get("/v1/replies/queue?reason=no_match", headers=operator))
    assert [m["id"] for m in low["items"]] == [unknown["message_id"]]

    no_text = await client.post(
        f"/v1/replies/messages/{unknown['message_id']}/answer", headers=operator, json={}
    )
    assert no_text.status_code == 422 and no_text.json()["errors"][0]["field"] == "body.text"
    sent = _ok(
        await client.post(
            f"/v1/replies/messages/{proposed['message_id']}/answer", headers=operator, json={}
        )
    )
    assert sent["status"] == "replying" and sent["replied_by"] == "user-1"
    await _message_when(
        client, operator, proposed["message_id"], lambda m: m["status"] == "replied"
    )
    assert [(r.target, r.kind) for r in fake.sent] == [("conv-1", "direct_message")]

    dismissed = _ok(
        await client.post(f"/v1/replies/messages/{unknown['message_id']}/dismiss", headers=operator)
    )
    assert dismissed["status"] == "dismissed"
    again = await client.post(
        f"/v1/replies/messages/{unknown['message_id']}/dismiss", headers=operator
    )
    assert again.status_code == 409
    assert _ok(await client.get("/v1/replies/queue", headers=operator))["items"] == []
    history = _ok(await client.get("/v1/replies/messages?status=replied", headers=operator))
    assert [m["id"] for m in history["items"]] == [proposed["message_id"]]


async def test_crisis_and_risk_messages_go_to_a_person(service):
    _, client, operator, fake, _ = service
    _ok(await client.post("/v1/faq/entries", headers=operator, json=SHIPPING), 201)
    _ok(await client.put("/v1/faq/settings", headers=operator, json={"mode": "auto_send"}))
    for rule in (
        {"kind": "brand", "keyword": "花西子", "terms": ["Florasis"]},
        {"kind": "risk", "keyword": "孕妇"},  # a brand's own risk term: safety asks a person
    ):
        _ok(await client.post("/v1/monitoring/rules", headers=operator, json=rule), 201)
    _ok(
        await client.post(
            "/v1/crises",
            headers=operator,
            json={"title": "散粉批次问题", "level": "orange", "keyword": "花西子"},
        ),
        201,
    )
    result = await _post(
        client,
        operator,
        _message("c-1", "Florasis 的散粉什么时候发货"),
        _message("c-2", "请问孕妇能用吗，什么时候发货"),
        _message("c-3", "什么时候发货"),
    )
    reasons = [r["reply_status"] for r in result["results"]]
    assert reasons == ["queued", "queued", "replying"]
    queue = _ok(await client.get("/v1/replies/queue", headers=operator))["items"]
    assert {m["platform_id"]: m["reason"] for m in queue} == {"c-1": "crisis", "c-2": "risk"}
    await _message_when(
        client, operator, result["results"][2]["message_id"], lambda m: m["status"] == "replied"
    )
    assert [r.target for r in fake.sent] == ["c-3"]


async def test_a_refused_or_unreachable_platform_puts_the_reply_back_in_the_queue(service):
    _, client, operator, fake, _ = service
    long_answer = {"questions": ["有哪些色号"], "answer": "色号：" + "、".join(["象牙白"] * 20)}
    _ok(await client.post("/v1/faq/entries", headers=operator, json=long_answer), 201)
    _ok(await client.post("/v1/faq/entries", headers=operator, json=SHIPPING), 201)
    _ok(await client.put("/v1/faq/settings", headers=operator, json={"mode": "auto_send"}))
    result = await _post(
        client,
        operator,
        _message("c-1", "有哪些色号"),  # longer than the fake platform takes
        _message("c-3", "发货要多久", platform="xiaohongshu"),  # no adapter for it
    )
    refused, unwired = (r["message_id"] for r in result["results"])
    failed = await _message_when(client, operator, refused, lambda m: m["status"] == "queued")
    assert failed["reason"] == "reply_failed" and "longer than 60" in failed["reply_error"]
    unreached = await _message_when(client, operator, unwired, lambda m: m["status"] == "queued")
    assert unreached["reply_error"] == "no reply adapter for xiaohongshu"

    fake.unavailable = 1  # the next call times out
    result = await _post(client, operator, _message("c-2", "什么时候发货", platform="douyin"))
    retried = result["results"][0]["message_id"]
    # The timeout is kept and retried after back-off (5 s, then 10 s, 20 s, then the queue).
    done = await _message_when(
        client, operator, retried, lambda m: m["reply_attempts"] >= 1 and m["reply_error"]
    )
    assert done["status"] == "replying" and done["reply_error"] == "unavailable: timed out"


async def test_comments_from_the_listening_topic_are_answered(service, local_transport):
    _, client, operator, fake, workspace_id = service
    _ok(await client.post("/v1/faq/entries", headers=operator, json=SHIPPING), 201)
    _ok(await client.put("/v1/faq/settings", headers=operator, json={"mode": "auto_send"}))
    now = datetime.now(UTC)
    for payload in (
        MentionReceived(
            platform="douyin",
            platform_id="dy-1",
            text="发货要多久啊",
            posted_at=now,
            kind="comment",
        ),
        # Written before `kind` existed: a post, counted, never answered.
        MentionReceived.model_validate(
            {"platform": "douyin", "platform_id": "dy-2", "text": "发货要多久", "posted_at": now}
        ),
    ):
        event = make_event(MENTION_RECEIVED, payload, source="/tests", workspace=workspace_id)
        await local_transport.publish(
            [Message(MENTION_RECEIVED.topic, payload.platform_id.encode(), event.to_bytes())]
        )
    for _ in range(400):
        replied = _ok(await client.get("/v1/replies/messages?status=replied", headers=operator))
        if replied["items"]:
            break
        await asyncio.sleep(0.05)
    assert [m["platform_id"] for m in replied["items"]] == ["dy-1"]
    assert [r.target for r in fake.sent] == ["dy-1"]
    mentions = _ok(await client.get("/v1/mentions", headers=operator))["items"]
    assert sorted(m["platform_id"] for m in mentions) == ["dy-1", "dy-2"]
