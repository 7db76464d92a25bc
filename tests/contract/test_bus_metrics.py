"""What operators watch in /metrics: consumer lag and the outbox backlog, with real values."""

import asyncio
import uuid
from datetime import UTC, datetime

from prometheus_client import REGISTRY
from sqlalchemy import MetaData, insert

from yunying_shared.bus import ConsumerRunner, Relay, define_bus_tables
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.transport import Message
from yunying_shared.db import Database
from yunying_shared.events import Envelope
from yunying_shared.testing.bus import wait_until

metadata = MetaData()
BUS = define_bus_tables(metadata)
SLOW = "yunying.contract.slow.v1"


async def _database(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / f'{uuid.uuid4().hex[:6]}.sqlite3'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db


def _lag(service, topic):
    return sum(
        REGISTRY.get_sample_value(
            "yunying_consumer_lag", {"service": service, "topic": topic, "partition": str(p)}
        )
        or 0
        for p in range(4)
    )


async def test_consumer_lag_shows_what_is_not_yet_handled(transport, topic, tmp_path):
    database = await _database(tmp_path)
    service = f"lag-{uuid.uuid4().hex[:6]}"
    peak = 0.0

    async def slow(_session, _envelope, _payload):
        await asyncio.sleep(0.05)

    runner = ConsumerRunner(
        service=service,
        database=database,
        tables=BUS,
        transport=transport,
        handlers={SLOW: slow},
        topics=[topic],
        group=f"g-{service}",
        fetch_max_records=2,
        lag_interval_seconds=0.1,
    )
    await runner.start()
    await transport.publish(
        [
            Message(topic, b"k", Envelope(source="/t", type=SLOW, subject="k").to_bytes())
            for _ in range(40)
        ]
    )

    async def backed_up():
        nonlocal peak
        peak = max(peak, _lag(service, topic))
        return peak > 0

    async def caught_up():
        return _lag(service, topic) == 0 and peak > 0

    try:
        assert await wait_until(backed_up, timeout=30, interval=0.02)
        assert await wait_until(caught_up, timeout=30)
    finally:
        await runner.stop()
        await database.dispose()
    assert 0 < peak <= 40


async def test_a_hung_lag_report_holds_up_no_event(transport, topic, tmp_path):
    """The lag gauge is reported beside the consumer loop, not in it: a report whose broker
    round trips never answer (on a loaded machine they took 0.6-0.9 s) stops nothing."""
    database = await _database(tmp_path)
    service = f"lag-{uuid.uuid4().hex[:6]}"
    handled: list[uuid.UUID] = []
    reporting = asyncio.Event()

    async def record(_session, envelope, _payload):
        handled.append(envelope.id)

    async def hung(_subscription):
        reporting.set()
        await asyncio.Event().wait()  # never answers

    runner = ConsumerRunner(
        service=service,
        database=database,
        tables=BUS,
        transport=transport,
        handlers={SLOW: record},
        topics=[topic],
        group=f"g-{service}",
        lag_interval_seconds=0.01,
    )
    runner._report_lag = hung  # type: ignore[method-assign]
    await runner.start()
    try:
        assert await wait_until(lambda: _set(reporting), timeout=10, interval=0.01)
        await transport.publish(
            [
                Message(topic, b"k", Envelope(source="/t", type=SLOW, subject="k").to_bytes())
                for _ in range(5)
            ]
        )

        async def all_handled():
            return len(handled) == 5

        assert await wait_until(all_handled, timeout=30, interval=0.05)
    finally:
        await asyncio.wait_for(runner.stop(), 10)  # the hung report is cancelled
        await database.dispose()


async def _set(event: asyncio.Event) -> bool:
    return event.is_set()


async def test_outbox_backlog_shows_rows_waiting_for_a_broker_that_is_down(transport, tmp_path):
    database = await _database(tmp_path)
    service = f"backlog-{uuid.uuid4().hex[:6]}"
    topic = f"contract.backlog{uuid.uuid4().hex[:6]}.v1"
    async with database.session() as session, session.begin():
        await session.execute(
            insert(BUS.outbox),
            [
                {
                    "event_id": uuid.uuid4(),
                    "topic": topic,
                    "key": "k",
                    "value": b"{}",
                    "headers": {},
                    "created_at": datetime.now(UTC),
                }
                for _ in range(7)
            ],
        )

    def backlog():
        return REGISTRY.get_sample_value("yunying_outbox_backlog", {"service": service})

    down = KafkaTransport("127.0.0.1:1", partitions=4, client_id="down")
    for bus, expected in ((down, 7), (transport, 0)):
        relay = Relay(
            service=service, database=database, tables=BUS, transport=bus, idle_seconds=0.05
        )
        await relay.start()

        async def shows(expected=expected):
            return backlog() == expected

        try:
            assert await wait_until(shows, timeout=20)
        finally:
            await relay.stop()
    assert len(await transport.read_all(topic)) == 7
    await database.dispose()
