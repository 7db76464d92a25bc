"""The consumed topics through the ConsumerRunner on the local transport: mentions from
crawlers (the same bulk path as HTTP) and published content counting towards a case's repair."""

import asyncio
import uuid
from datetime import UTC, datetime

from sentiment_alert.main import create_app
from yunying_shared.bus import Message
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import CONTENT_ITEM_TRANSITIONED, MENTION_RECEIVED
from yunying_shared.events.payloads.content import ContentItemTransitioned
from yunying_shared.events.payloads.listening import MentionReceived
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


async def _send(transport, spec, payload, workspace_id):
    event = make_event(spec, payload, source="/tests", workspace=workspace_id)
    await transport.publish([Message(spec.topic, spec.key_of(payload).encode(), event.to_bytes())])


async def _eventually(client, path, headers, predicate):
    body = None
    for _ in range(400):
        response = await client.get(path, headers=headers)
        if response.status_code == 200:
            body = response.json()
            if predicate(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never matched; last body: {body}")


async def test_mentions_and_published_content_from_the_bus(
    dialect, tmp_path, settings_for, local_transport
):
    workspace_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(
            settings_for("sentiment-alert", url, jobs_enabled=False), transport=local_transport
        )
        async with running(app) as client:
            headers = internal_headers(app, user_principal(workspace_id, "operator"))
            rule = {"kind": "brand", "keyword": "花西子"}
            assert (
                await client.post("/v1/monitoring/rules", headers=headers, json=rule)
            ).status_code == 201
            for n in range(3):
                mention = MentionReceived(
                    platform="douyin",
                    platform_id=f"dy-{n % 2}",  # the third is a redelivered duplicate
                    author=f"a{n}",
                    text="花西子的散粉太好用了",
                    posted_at=now,
                )
                await _send(local_transport, MENTION_RECEIVED, mention, workspace_id)
            found = await _eventually(
                client, "/v1/mentions?keyword=花西子", headers, lambda body: len(body["items"]) == 2
            )
            assert {m["label"] for m in found["items"]} == {"pos"}

            case = await client.post(
                "/v1/crises", headers=headers, json={"title": "测试", "keyword": "花西子"}
            )
            case_id = case.json()["id"]
            for state in ("approved", "published"):
                item = ContentItemTransitioned(
                    content_id="c-1",
                    revision=1,
                    from_state=None,
                    to_state=state,
                    kind="value",
                    platform="xiaohongshu",
                    title="成分科普",
                    occurred_at=datetime.now(UTC),
                )
                await _send(local_transport, CONTENT_ITEM_TRANSITIONED, item, workspace_id)
            repaired = await _eventually(
                client,
                f"/v1/crises/{case_id}",
                headers,
                lambda body: body["repair"]["positive_content_published"] == 1,
            )
            assert repaired["timeline"][-1]["kind"] == "content"
