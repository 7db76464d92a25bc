"""CRM events as a CRM's own Kafka producer sends them (a plain aiokafka producer, not the
project's publisher): CloudEvents in structured and binary mode, with ids that are not UUIDs."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from segmentation.main import DEFINITION
from segmentation.profiles.models import Profile
from yunying_shared.bus import ConsumerRunner, dlq_topic
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.events.catalogue import CRM_EVENT_RECORDED
from yunying_shared.testing.bus import wait_until
from yunying_shared.testing.databases import kafka_bootstrap

pytestmark = pytest.mark.kafka
WHEN = (datetime.now(UTC) - timedelta(hours=2)).isoformat()


def _purchase(user_id: str, amount: str) -> dict:
    return {"user_id": user_id, "kind": "purchase", "occurred_at": WHEN, "amount": amount}


def _structured(workspace: uuid.UUID, event_id: str, data: dict) -> tuple[bytes, list]:
    event = {
        "specversion": "1.0",
        "id": event_id,
        "source": "crm://brand-a/orders",
        "type": CRM_EVENT_RECORDED.type,
        "workspace": str(workspace),
        "datacontenttype": "application/json",
        "data": data,
    }
    return json.dumps(event).encode(), [("content-type", b"application/cloudevents+json")]


def _binary(workspace: uuid.UUID, event_id: str, data: dict, **drop: bool) -> tuple[bytes, list]:
    attributes = {
        "ce_specversion": "1.0",
        "ce_id": event_id,
        "ce_source": "crm://brand-a/orders",
        "ce_type": CRM_EVENT_RECORDED.type,
        "ce_workspace": str(workspace),
    }
    headers = [(k, v.encode()) for k, v in attributes.items() if k not in drop]
    headers.append(("content-type", b"application/json; charset=utf-8"))
    return json.dumps(data).encode(), headers


async def _profiles(database, workspace_id) -> dict[str, tuple[int, Decimal]]:
    async with database.session() as session:
        rows = await session.execute(
            select(Profile.user_id, Profile.order_count, Profile.monetary_total).where(
                Profile.workspace_id == workspace_id
            )
        )
        return {user: (orders, Decimal(total)) for user, orders, total in rows}


async def test_structured_and_binary_events_with_any_id_land_once(database):
    workspace = uuid.uuid4()
    topic = f"test.crm{uuid.uuid4().hex[:10]}.v1"
    run = uuid.uuid4().hex[:6]
    sends = [
        _structured(workspace, f"kcat-ce-{run}-1", _purchase("alice", "10.00")),
        _binary(workspace, f"order-{run}-2", _purchase("bob", "20.00")),
        # the same CRM event again (its retry): deduplicated per source and id
        _binary(workspace, f"order-{run}-2", _purchase("bob", "20.00")),
        # a binary event without its source cannot be attributed: dead-lettered with the reason
        _binary(workspace, f"order-{run}-3", _purchase("carol", "5.00"), ce_source=True),
    ]
    transport = KafkaTransport(kafka_bootstrap(), partitions=4, client_id="crm-cloudevents")
    await transport.start()
    runner = ConsumerRunner(
        service="segmentation",
        database=database,
        tables=DEFINITION.tables,
        transport=transport,
        handlers=DEFINITION.event_handlers(),
        batch_handlers=DEFINITION.batch_handlers(),
        topics=[topic],
        group=f"yunying.segmentation-ce-{run}",
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap())
    await runner.start()
    await producer.start()
    try:
        for value, headers in sends:
            await producer.send_and_wait(topic, value, key=b"crm", headers=headers)
        expected = {"alice": (1, Decimal("10.00")), "bob": (1, Decimal("20.00"))}

        async def landed() -> bool:
            dead = await transport.read_all(dlq_topic(topic))
            return await _profiles(database, workspace) == expected and len(dead) == 1

        assert await wait_until(landed, timeout=60), await _profiles(database, workspace)
        [dead] = await transport.read_all(dlq_topic(topic))
        assert "source" in (dead.header("dlq.error") or "")
    finally:
        await producer.stop()
        await runner.stop()
        await transport.stop()
