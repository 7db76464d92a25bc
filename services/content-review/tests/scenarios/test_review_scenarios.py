"""Proof scenarios in both modes (`mode`: SQLite + the local log, PostgreSQL + Kafka), with
content-review and campaigns on one bus:

(a) an item goes draft → scan → stage 1 → stage 2 → approved; `content.item_transitioned`
    with to_state "approved" is published, and only then can campaigns attach it;
(b) the author's own approval and a second approval by the stage-1 operator are refused;
(c) while a crisis is open an ad is held (a transition on the topic), and released when it
    resolves; value content is not held.
"""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from campaigns.consumers import on_content
from campaigns.main import create_app as create_campaigns
from yunying_shared.bus import Message
from yunying_shared.events import Envelope, make_event
from yunying_shared.events.catalogue import (
    CONTENT_ITEM_TRANSITIONED,
    CRISIS_OPENED,
    CRISIS_RESOLVED,
    parse_event,
)
from yunying_shared.events.payloads.sentiment import CrisisCase
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

from ..conftest import service_on

# Consumer groups of their own: other processes on the shared broker (the `make up` services,
# other tests) consume in the default groups and would take some of the partitions.
ISOLATED = {"consumer_group_prefix": f"test-{uuid.uuid4().hex[:12]}"}


async def _transitions(subscription, workspace_id, content_id, wanted, timeout=60.0):
    """Reads content.item.v1 until the item's transitions include `wanted` (to-states);
    returns the to-states and the raw messages."""
    seen: list[str] = []
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not set(wanted) <= set(seen):
        for message in await subscription.fetch(timeout=0.5, max_records=200):
            envelope = Envelope.from_bytes(message.value)
            if envelope.workspace == workspace_id and envelope.data["content_id"] == content_id:
                seen.append(envelope.data["to_state"])
                messages.append(message)
    return seen, messages


async def _deliver_to_campaigns(campaigns, messages):
    """Campaigns' own handler for content.item_transitioned, on campaigns' database, with the
    events exactly as content-review published them on Kafka. On the shared broker, campaigns'
    consumer group is also joined by other processes (the `make up` services, other tests) that
    may own the item's partition, and a group of its own starts at the topic's whole history:
    neither is a timely proof, so the distributed run hands the events over itself. Campaigns'
    own consumer may still apply the same event at the same moment (its group reads the topic
    from the start): the later of two first inserts fails on the item's key, and, as the
    consumer's retry does, a second try finds the row and applies the event to it."""
    database = campaigns.state.database
    for message in messages:
        envelope, payload = parse_event(message.value, message.headers)
        for attempt in range(2):
            try:
                async with database.session() as session, session.begin():
                    await on_content(session, envelope, payload)
                break
            except IntegrityError:
                if attempt:
                    raise


async def _eventually_state(service, item_id, state, tries=600):
    for _ in range(tries):
        if (await service.item(item_id))["state"] == state:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{item_id} never reached {state}")


async def _publish_crisis(transport, spec, workspace_id, case_id):
    now = datetime.now(UTC)
    case = CrisisCase(
        case_id=case_id,
        level="orange",
        state="warning" if spec is CRISIS_OPENED else "closed",
        title="产品质量投诉激增",
        opened_at=now,
        occurred_at=now,
    )
    event = make_event(spec, case, source="/tests", workspace=workspace_id)
    await transport.publish([Message(spec.topic, case_id.encode(), event.to_bytes())])


async def test_approval_reaches_campaigns_and_separation_of_duties_holds(
    mode, settings_for, tmp_path, workspace_id
):
    database_url, transport = mode
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    distributed = dialect == "postgresql"
    subscription = transport.subscribe(
        f"test-{uuid.uuid4().hex}", [CONTENT_ITEM_TRANSITIONED.topic]
    )
    await subscription.start()
    async with (
        fresh_database(dialect, tmp_path / "campaigns") as campaigns_url,
        service_on(settings_for, database_url, transport, workspace_id, **ISOLATED) as service,
    ):
        campaigns = create_campaigns(
            settings_for("campaigns", campaigns_url, **ISOLATED), transport=transport
        )
        async with running(campaigns) as campaigns_client:

            def operator():  # fresh each call: the internal token is short-lived
                return internal_headers(campaigns, user_principal(workspace_id, "operator"))

            start = datetime.now(UTC) + timedelta(days=1)
            campaign = await campaigns_client.post(
                "/v1/campaigns",
                headers=operator(),
                json={
                    "name": "秋季种草",
                    "type": "content_push",
                    "platforms": ["xiaohongshu"],
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(days=7)).isoformat(),
                },
            )
            assert campaign.status_code == 201, campaign.text
            attach_path = f"/v1/campaigns/{campaign.json()['id']}/content"

            item = await service.create()
            item_id = item["id"]
            await service.step(item_id, "submit", service.author)
            own = await service.step(item_id, "operator-check", service.author)
            assert own.status_code == 403
            assert (
                await service.step(item_id, "operator-check", service.operator)
            ).status_code == 200
            twice = await service.step(
                item_id, "approve", service.headers("operator-2", "reviewer")
            )
            assert twice.status_code == 403
            own_approval = await service.step(
                item_id, "approve", service.headers("author-1", "admin")
            )
            assert own_approval.status_code == 403
            assert (await service.item(item_id))["state"] == "operator_checked"

            # Campaigns learnt the item from the topic but refuses it until approved.
            early_seen: list[str] = []
            if distributed:
                early_seen, early_messages = await _transitions(
                    subscription, workspace_id, item_id, ["operator_checked"]
                )
                await _deliver_to_campaigns(campaigns, early_messages)
            for _ in range(600):
                early = await campaigns_client.post(
                    attach_path, headers=operator(), json={"content_id": item_id}
                )
                if early.status_code == 409:
                    break
                await asyncio.sleep(0.05)
            assert early.status_code == 409, early.text

            assert (await service.step(item_id, "approve", service.reviewer)).status_code == 200
            seen, messages = await _transitions(subscription, workspace_id, item_id, ["approved"])
            assert early_seen + seen == [
                "draft",
                "submitted",
                "scanned",
                "operator_checked",
                "approved",
            ]
            approval = Envelope.from_bytes(messages[-1].value)
            assert approval.data["actor_id"] == "reviewer-3"
            assert approval.data["kind"] == "value" and approval.data["revision"] == 1
            if distributed:
                await _deliver_to_campaigns(campaigns, messages)

            for _ in range(600):
                attached = await campaigns_client.post(
                    attach_path, headers=operator(), json={"content_id": item_id}
                )
                if attached.status_code == 200:
                    break
                await asyncio.sleep(0.05)
            assert attached.status_code == 200, attached.text
            assert item_id in attached.json()["content_ids"]
    await subscription.stop()


async def test_an_ad_is_held_while_a_crisis_is_open_and_released_after(
    mode, settings_for, workspace_id
):
    database_url, transport = mode
    subscription = transport.subscribe(
        f"test-{uuid.uuid4().hex}", [CONTENT_ITEM_TRANSITIONED.topic]
    )
    await subscription.start()
    async with service_on(
        settings_for, database_url, transport, workspace_id, **ISOLATED
    ) as service:
        later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        ad = await service.approved(kind="ad", planned_publish_at=later)
        value = await service.approved(planned_publish_at=later)
        for item in (ad, value):
            scheduled = await service.step(item["id"], "schedule", service.operator)
            assert scheduled.json()["state"] == "scheduled"

        await _publish_crisis(transport, CRISIS_OPENED, workspace_id, "case-1")
        await _eventually_state(service, ad["id"], "held")
        assert (await service.item(value["id"]))["state"] == "scheduled"
        # An ad scheduled during the crisis is held at once.
        another = await service.approved(kind="ad", planned_publish_at=later)
        held_now = await service.step(another["id"], "schedule", service.operator)
        assert held_now.json()["state"] == "held"

        await _publish_crisis(transport, CRISIS_RESOLVED, workspace_id, "case-1")
        await _eventually_state(service, ad["id"], "scheduled")
        await _eventually_state(service, another["id"], "scheduled")
        trail = [(e["action"], e["to_state"]) for e in await service.audit(ad["id"])]
        assert trail[-2:] == [("held", "held"), ("released", "scheduled")]

        seen, _ = await _transitions(subscription, workspace_id, ad["id"], ["held", "scheduled"])
        assert "held" in seen and seen.index("held") > seen.index("scheduled")
    await subscription.stop()
