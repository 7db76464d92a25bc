"""Proof scenarios in both modes (`mode`: SQLite + the local log, PostgreSQL + Kafka), with the
real services on one bus:

(a) a churned user's CRM purchase, ingested by segmentation, moves them churned → active; the
    matching journey issues its coupon exactly once, also when the stage event is delivered
    twice (the same event again, and a copy under a new id);
(c) a crisis opens and promotional sends stop until it is resolved.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from campaigns.main import DEFINITION as CAMPAIGNS_DEFINITION
from campaigns.main import create_app as create_campaigns
from campaigns.sending.channels import Channels, Delivery
from segmentation.main import create_app as create_segmentation
from yunying_shared.bus import Message
from yunying_shared.events import Envelope, make_event
from yunying_shared.events.catalogue import (
    CRISIS_OPENED,
    CRISIS_RESOLVED,
    USER_EVENT_ACCEPTED,
    USER_LIFECYCLE_STAGE_CHANGED,
    USER_TIER_CHANGED,
)
from yunying_shared.events.payloads.segmentation import UserEventAccepted, UserTierChanged
from yunying_shared.events.payloads.sentiment import CrisisCase
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database
from yunying_shared.testing.groups import isolated_consumer_group
from yunying_shared.testing.outbox import outbox_events


class RecordingChannel:
    """A channel that accepts everything and remembers it."""

    def __init__(self):
        self.delivered = []

    async def deliver(self, message):
        self.delivered.append(message)
        return Delivery(True, [])


async def eventually(client, path, headers, predicate, *, tries=600):
    body = None
    for _ in range(tries):
        response = await client.get(path, headers=headers)
        if response.status_code == 200:
            body = response.json()
            if predicate(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never matched; last body: {body}")


async def publish(transport, spec, payload, workspace_id):
    event = make_event(spec, payload, source="/tests", workspace=workspace_id)
    await transport.publish([Message(spec.topic, spec.key_of(payload).encode(), event.to_bytes())])
    return event


async def running_campaign(client, headers, *, name, journey):
    template = await client.post(
        "/v1/coupons/templates",
        headers=headers,
        json={"name": f"{name}券", "kind": "amount_off", "amount_off": "30"},
    )
    assert template.status_code == 201, template.text
    start = datetime.now(UTC) + timedelta(minutes=1)
    campaign = await client.post(
        "/v1/campaigns",
        headers=headers,
        json={
            "name": name,
            "type": "churn_recall",
            "platforms": ["wechat"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=14)).isoformat(),
            "coupon_template_id": template.json()["id"],
            "budget": "3000",
            "reward_limit": 100,
            "priority": 5,
        },
    )
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    for state in ("scheduled", "running"):
        moved = await client.post(
            f"/v1/campaigns/{campaign_id}/transitions", headers=headers, json={"to_state": state}
        )
        assert moved.status_code == 200, moved.text
    created = await client.post(
        "/v1/journeys", headers=headers, json={"campaign_id": campaign_id, "name": name, **journey}
    )
    assert created.status_code == 201, created.text
    return campaign_id, created.json()["id"]


async def test_a_purchase_after_churn_issues_the_coupon_once(mode, settings_for, tmp_path):
    database_url, transport = mode
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    workspace_id = uuid.uuid4()
    isolated = await isolated_consumer_group(database_url, CAMPAIGNS_DEFINITION)
    async with fresh_database(dialect, tmp_path / "segmentation") as segmentation_url:
        segmentation = create_segmentation(
            settings_for("segmentation", segmentation_url), transport=transport
        )
        campaigns = create_campaigns(
            settings_for("campaigns", database_url, send_hold_seconds=0, **isolated),
            transport=transport,
            state={"channels": Channels({"sms": RecordingChannel()})},
        )
        async with running(segmentation) as seg_client, running(campaigns) as client:
            operator = user_principal(workspace_id, "operator")
            headers = internal_headers(campaigns, operator)
            _, journey_id = await running_campaign(
                client,
                headers,
                name="回流礼",
                journey={
                    "trigger": {
                        "event": "lifecycle_stage_changed",
                        "from_stage": "churned",
                        "to_stage": "active",
                    },
                    "steps": [{"type": "issue_coupon"}],
                    "reentry_days": 30,
                },
            )
            # A sentinel journey: its message for u1 proves the events before it were handled.
            await running_campaign(
                client,
                headers,
                name="高价值",
                journey={
                    "trigger": {"event": "tier_changed", "to_tier": "high_value"},
                    "steps": [{"type": "send_message", "channel": "sms", "body": "专属礼遇"}],
                },
            )
            now = datetime.now(UTC)
            seg_headers = internal_headers(segmentation, operator)
            for event_id, days_ago in (("old-order", 400), ("new-order", 0)):
                ingested = await seg_client.post(
                    "/v1/events",
                    headers=seg_headers,
                    json={
                        "events": [
                            {
                                "event_id": event_id,
                                "user_id": "u1",
                                "type": "purchase",
                                "occurred_at": (now - timedelta(days=days_ago)).isoformat(),
                                "amount": "199.00",
                                "order_id": event_id,
                            }
                        ]
                    },
                )
                assert ingested.status_code == 200, ingested.text
                assert ingested.json()["accepted"] == 1, ingested.text

            coupons = await eventually(
                client, "/v1/coupons?user_id=u1", headers, lambda body: len(body["items"]) >= 1
            )
            coupons = coupons["items"]
            assert len(coupons) == 1 and coupons[0]["reason"].startswith(f"journey {journey_id}")

            # The stage event delivered twice: the very same event again, and a copy with a new id.
            async with segmentation.state.database.session() as session:
                events = await outbox_events(session, segmentation.state.definition.tables)
            stage_events = [
                (e.key, Envelope.from_bytes(e.value))
                for e in events
                if e.type == USER_LIFECYCLE_STAGE_CHANGED.type
            ]
            comeback = [e for _, e in stage_events if e.data["from_stage"] == "churned"]
            assert len(comeback) == 1 and comeback[0].data["to_stage"] == "active"
            copy = comeback[0].model_copy(update={"id": uuid.uuid4()})
            await transport.publish(
                [
                    Message(USER_LIFECYCLE_STAGE_CHANGED.topic, b"u1", comeback[0].to_bytes()),
                    Message(USER_LIFECYCLE_STAGE_CHANGED.topic, b"u1", copy.to_bytes()),
                ]
            )
            await publish(
                transport,
                USER_TIER_CHANGED,
                UserTierChanged(
                    user_id="u1", from_tier="general", to_tier="high_value", changed_at=now
                ),
                workspace_id,
            )
            await eventually(
                client,
                "/v1/sending/sends?user_id=u1",
                headers,
                lambda body: len(body["items"]) == 1,
            )
            coupons = (await client.get("/v1/coupons?user_id=u1", headers=headers)).json()["items"]
            assert len(coupons) == 1
            enrollments = (
                await client.get(f"/v1/journeys/{journey_id}/enrollments", headers=headers)
            ).json()["items"]
            assert [(e["user_id"], e["state"]) for e in enrollments] == [("u1", "done")]


def _case(now):
    return CrisisCase(
        case_id="case-7",
        level="orange",
        state="warning",
        title="产品过敏投诉激增",
        opened_at=now,
        occurred_at=now,
    )


async def test_c_crisis_pauses_promotional_sends_until_resolved(mode, settings_for):
    database_url, transport = mode
    workspace_id = uuid.uuid4()
    channel = RecordingChannel()
    isolated = await isolated_consumer_group(database_url, CAMPAIGNS_DEFINITION)
    campaigns = create_campaigns(
        settings_for(
            "campaigns", database_url, send_hold_seconds=0, send_interval_seconds=0.05, **isolated
        ),
        transport=transport,
        state={"channels": Channels({"sms": channel})},
    )
    async with running(campaigns) as client:
        headers = internal_headers(campaigns, user_principal(workspace_id, "operator"))
        await running_campaign(
            client,
            headers,
            name="复购提醒",
            journey={
                "trigger": {"event": "user_event", "kind": "purchase"},
                "steps": [{"type": "send_message", "channel": "sms", "body": "晒单返券"}],
            },
        )
        now = datetime.now(UTC)
        await publish(transport, CRISIS_OPENED, _case(now), workspace_id)
        await eventually(
            client, "/v1/campaigns/crises", headers, lambda body: len(body["items"]) == 1
        )

        await publish(
            transport,
            USER_EVENT_ACCEPTED,
            UserEventAccepted(event_id="p1", user_id="u9", kind="purchase", occurred_at=now),
            workspace_id,
        )
        paused = await eventually(
            client,
            "/v1/sending/sends?user_id=u9",
            headers,
            lambda body: len(body["items"]) == 1 and body["items"][0]["state"] == "paused",
        )
        assert "case-7" in paused["items"][0]["reason"]
        assert channel.delivered == []

        await publish(transport, CRISIS_RESOLVED, _case(now), workspace_id)
        sent = await eventually(
            client,
            "/v1/sending/sends?user_id=u9",
            headers,
            lambda body: body["items"][0]["state"] == "sent",
        )
        assert sent["items"][0]["sent_at"] is not None
        assert [m.user_id for m in channel.delivered] == ["u9"]
