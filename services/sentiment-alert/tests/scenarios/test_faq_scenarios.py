"""Proof scenario of FAQ replies in both modes (`mode`: SQLite + the local log, PostgreSQL +
Kafka): a crawler produces comments on the brand's account to `listening.mentions.v1`; the one
asking about shipping time gets the FAQ answer through the platform adapter (the recording fake
of a reply API), the angry one goes to the operators' queue, and an operator answers it."""

import asyncio
import uuid
from datetime import UTC, datetime

from sentiment_alert.main import DEFINITION as SENTIMENT
from sentiment_alert.main import create_app as create_sentiment
from sentiment_alert.replies.platforms import RecordingPlatform, ReplyPlatforms
from yunying_shared.bus import Message
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import MENTION_RECEIVED
from yunying_shared.events.payloads.listening import MentionReceived
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.groups import isolated_consumer_group

SHIPPING = {
    "questions": ["什么时候发货", "下单后多久发货", "How long does shipping take?"],
    "answer": "亲，下单后48小时内发货，江浙沪次日达～",
}
RETURNS = {"questions": ["怎么退货", "支持七天无理由退货吗"], "answer": "支持七天无理由退货。"}


async def eventually(client, path, headers, predicate, *, tries=2400):
    # Generous: on a loaded machine a Kafka round trip can take a minute.
    body = None
    for _ in range(tries):
        response = await client.get(path, headers=headers)
        if response.status_code == 200:
            body = response.json()
            if predicate(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never matched; last body: {body}")


async def _comment(transport, workspace_id, platform_id, text):
    payload = MentionReceived(
        platform="xiaohongshu",
        platform_id=platform_id,
        author="fan-" + platform_id,
        text=text,
        posted_at=datetime.now(UTC),
        kind="comment",
        reply_to="note-001",
    )
    event = make_event(MENTION_RECEIVED, payload, source="/crawler", workspace=workspace_id)
    await transport.publish(
        [Message(MENTION_RECEIVED.topic, platform_id.encode(), event.to_bytes())]
    )


async def test_a_shipping_question_gets_the_faq_answer_and_an_angry_comment_a_person(
    mode, settings_for
):
    database_url, transport = mode
    workspace_id = uuid.uuid4()
    platform = RecordingPlatform()
    sentiment = create_sentiment(
        settings_for(
            "sentiment-alert",
            database_url,
            reply_interval_seconds=0.05,
            alert_interval_seconds=3600,
            reminder_interval_seconds=3600,
            delivery_interval_seconds=3600,
            **await isolated_consumer_group(database_url, SENTIMENT),
        ),
        transport=transport,
        state={"reply_platforms": ReplyPlatforms({"xiaohongshu": platform})},
    )
    async with running(sentiment) as client:
        operator = internal_headers(sentiment, user_principal(workspace_id, "operator"))
        for entry in (SHIPPING, RETURNS):
            created = await client.post("/v1/faq/entries", headers=operator, json=entry)
            assert created.status_code == 201, created.text
        moved = await client.put(
            "/v1/faq/settings", headers=operator, json={"mode": "auto_send", "threshold": 0.6}
        )
        assert moved.status_code == 200, moved.text

        suffix = uuid.uuid4().hex[:8]  # the shared broker keeps earlier runs' events
        asking, angry = f"xhs-ask-{suffix}", f"xhs-angry-{suffix}"
        await _comment(transport, workspace_id, asking, "请问下单后几天发货呀？")
        await _comment(
            transport, workspace_id, angry, "等了一个星期还没发货，客服也不回，太垃圾了！"
        )

        replied = await eventually(
            client,
            "/v1/replies/messages?status=replied",
            operator,
            lambda body: len(body["items"]) == 1,
        )
        [answered] = replied["items"]
        assert answered["platform_id"] == asking and answered["reply_text"] == SHIPPING["answer"]
        assert answered["replied_by"] == "faq" and answered["confidence"] >= 0.6
        [sent] = platform.sent
        assert (sent.target, sent.text) == (asking, SHIPPING["answer"])

        queue = await eventually(
            client, "/v1/replies/queue", operator, lambda body: len(body["items"]) == 1
        )
        [waiting] = queue["items"]
        assert waiting["platform_id"] == angry and waiting["reason"] == "negative"
        assert waiting["label"] == "neg"

        # An operator answers the angry customer in person.
        answer = {"text": "非常抱歉让您久等了，已为您加急发出，单号稍后私信您。"}
        response = await client.post(
            f"/v1/replies/messages/{waiting['id']}/answer", headers=operator, json=answer
        )
        assert response.status_code == 200, response.text
        await eventually(
            client,
            f"/v1/replies/messages/{waiting['id']}",
            operator,
            lambda body: body["status"] == "replied",
        )
        assert [r.target for r in platform.sent] == [asking, angry]
        assert platform.sent[1].text == answer["text"]
        assert (await client.get("/v1/replies/queue", headers=operator)).json()["items"] == []
        # Both comments are also mentions the listening side counts.
        mentions = (await client.get("/v1/mentions", headers=operator)).json()["items"]
        assert {m["platform_id"] for m in mentions} == {asking, angry}
