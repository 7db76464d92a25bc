"""CRM events from the topic, in batches: every good item lands, a poison item is dead-lettered
alone, a redelivery changes nothing. On the embedded transport and on real Kafka."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from segmentation.consumers import on_crm_events
from segmentation.main import DEFINITION, create_app
from segmentation.profiles.models import Profile
from yunying_shared.bus import ConsumerRunner, Message, dlq_topic
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.local import LocalTransport
from yunying_shared.events import Envelope, make_event
from yunying_shared.events.catalogue import CRM_EVENT_RECORDED
from yunying_shared.events.payloads.crm import CrmEventRecorded
from yunying_shared.testing.apps import running
from yunying_shared.testing.bus import wait_until
from yunying_shared.testing.databases import fresh_database, kafka_bootstrap

GOOD_USERS = [f"u{i}" for i in range(9)]


@pytest.fixture(params=["local", pytest.param("kafka", marks=pytest.mark.kafka)])
async def transport(request, tmp_path):
    if request.param == "kafka":
        bus = KafkaTransport(
            kafka_bootstrap(),
            partitions=4,
            client_id="yunying-crm-topic-test",
            session_timeout_ms=6_000,
            heartbeat_interval_ms=1_000,
        )
    else:
        bus = LocalTransport(tmp_path / "bus.sqlite3", partitions=4)
    await bus.start()
    yield bus
    await bus.stop()


def _purchase(user_id: str, event_id: str, amount: Any = "10.00") -> CrmEventRecorded:
    return CrmEventRecorded(
        event_id=event_id,
        user_id=user_id,
        kind="purchase",
        occurred_at=datetime.now(UTC) - timedelta(hours=1),
        amount=amount,
        currency="CNY",
        order_id=f"o-{event_id}",
    )


def _messages(topic: str, workspace_id: uuid.UUID, payloads: Sequence[CrmEventRecorded]):
    # One key for the whole run, so every event sits in one partition in this order and is
    # fetched as one batch (a CRM keys by user; the consumer does not care).
    events = [
        make_event(CRM_EVENT_RECORDED, p, source="/tests/crm", workspace=workspace_id)
        for p in payloads
    ]
    return events, [Message(topic, b"one-partition", e.to_bytes()) for e in events]


async def _profiles(database, workspace_id) -> dict[str, tuple[int, Decimal]]:
    async with database.session() as session:
        rows = await session.execute(
            select(Profile.user_id, Profile.order_count, Profile.monetary_total).where(
                Profile.workspace_id == workspace_id
            )
        )
        return {user: (orders, Decimal(total)) for user, orders, total in rows}


class RecordingBatchHandler:
    """Segmentation's CRM batch handler, counting the events of each call."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def __call__(self, session, events: Sequence[tuple[Envelope, Any]]) -> None:
        self.sizes.append(len(events))
        await on_crm_events(session, events)


async def test_a_poison_item_is_dead_lettered_alone_and_the_batch_lands(transport, database):
    workspace_id = uuid.uuid4()
    topic = f"test.crm{uuid.uuid4().hex[:10]}.v1"  # the topic's handling, isolated on a broker
    run = uuid.uuid4().hex[:8]
    good = [
        _purchase(user, f"{run}-{user}", amount=f"{i + 1}.50") for i, user in enumerate(GOOD_USERS)
    ]
    poison = _purchase("u-poison", f"{run}-poison", amount="-5")  # ingest rejects the amount
    payloads = [*good[:4], poison, *good[4:]]
    events, messages = _messages(topic, workspace_id, payloads)
    handler = RecordingBatchHandler()
    runner = ConsumerRunner(
        service="segmentation",
        database=database,
        tables=DEFINITION.tables,
        transport=transport,
        handlers=DEFINITION.event_handlers(),
        batch_handlers=DEFINITION.batch_handlers() | {CRM_EVENT_RECORDED.type: handler},
        topics=[topic],
        group=f"yunying.segmentation-test-{run}",
        backoff_seconds=0.01,
        backoff_max_seconds=0.1,
    )
    expected = {p.user_id: (1, Decimal(p.amount)) for p in good}
    await runner.start()
    try:
        await transport.publish(messages)

        async def landed() -> bool:
            dead = await transport.read_all(dlq_topic(topic))
            return await _profiles(database, workspace_id) == expected and len(dead) == 1

        assert await wait_until(landed, timeout=60)
        # the whole batch went to the batch handler first, then one event at a time
        assert handler.sizes[0] == len(payloads)
        assert handler.sizes[1:] == [1] * len(payloads)
        [dead] = await transport.read_all(dlq_topic(topic))
        assert dead.value == events[4].to_bytes()
        assert dead.header("dlq.origin.topic") == topic
        assert dead.header("dlq.attempts") == "1"
        reason = dead.header("dlq.error") or ""
        assert reason.startswith("PermanentFailure: rejected")
        assert f"{run}-poison" in reason and "amount" in reason and "non-negative" in reason

        # A redelivery of the good events changes nothing; a sentinel behind them on the same
        # partition says they were handled.
        sentinel = _purchase("u-sentinel", f"{run}-sentinel", amount="3.00")
        again = [m for i, m in enumerate(messages) if i != 4]
        _, tail = _messages(topic, workspace_id, [sentinel])
        calls_before = len(handler.sizes)
        await transport.publish(again + tail)
        expected_after = expected | {"u-sentinel": (1, Decimal("3.00"))}

        async def sentinel_landed() -> bool:
            return "u-sentinel" in await _profiles(database, workspace_id)

        assert await wait_until(sentinel_landed, timeout=60)
        assert await _profiles(database, workspace_id) == expected_after
        assert len(await transport.read_all(dlq_topic(topic))) == 1
        assert len(handler.sizes) > calls_before  # the sentinel went through the handler
    finally:
        await runner.stop()


async def test_the_service_consumes_crm_events_through_its_batch_handler(
    dialect, tmp_path, settings_for, local_transport
):
    assert DEFINITION.batch_handlers()[CRM_EVENT_RECORDED.type] is on_crm_events
    workspace_id = uuid.uuid4()
    run = uuid.uuid4().hex[:8]
    payloads = [_purchase(f"user-{i}", f"{run}-{i}", amount="20.00") for i in range(50)]
    payloads.append(_purchase("user-bad", f"{run}-bad", amount="lots"))
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app):
            _, messages = _messages(CRM_EVENT_RECORDED.topic, workspace_id, payloads)
            await local_transport.publish(messages)
            database = app.state.database

            async def landed() -> bool:
                dead = await local_transport.read_all(dlq_topic(CRM_EVENT_RECORDED.topic))
                return len(await _profiles(database, workspace_id)) == 50 and len(dead) == 1

            assert await wait_until(landed, timeout=60)
            profiles = await _profiles(database, workspace_id)
            assert set(profiles) == {f"user-{i}" for i in range(50)}
            assert all(p == (1, Decimal("20.00")) for p in profiles.values())
            [dead] = await local_transport.read_all(dlq_topic(CRM_EVENT_RECORDED.topic))
            assert f"{run}-bad" in (dead.header("dlq.error") or "")
