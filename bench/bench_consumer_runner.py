"""The consumer machinery's own CPU per event: Kafka through `ConsumerRunner`, no handler work.

BENCH_RUNNER_EVENTS (20,000) of bench_crm_topic's purchase CloudEvents (structured mode, keyed
by user id, 5,000 users) are produced to a topic of this run's own (4 partitions), then a
`ConsumerRunner` with segmentation's consumer settings (fetch 3,600, 1,000 per transaction, 4
lanes, the CRM type idempotent: no inbox row) drains them into a batch handler that only counts.
What is measured is this process's CPU (`time.process_time`) from the first handled batch until
the last event is handled, per event: the Kafka client's fetch and record decoding, the
runner's split over lanes and progress, the CloudEvent parse, the empty transaction. Run it
several times alternating with the code it is compared with; the machine is shared.

Env: YUNYING_TEST_PG_URL, YUNYING_TEST_KAFKA_BOOTSTRAP; BENCH_RUNNER_EVENTS.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus import ConsumerRunner, define_bus_tables
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.db import Database
from yunying_shared.events import Envelope
from yunying_shared.events.catalogue import CRM_EVENT_RECORDED

PG_URL = os.environ["YUNYING_TEST_PG_URL"]
BOOTSTRAP = os.environ.get("YUNYING_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
EVENTS = int(os.environ.get("BENCH_RUNNER_EVENTS", "20000"))
USERS = 5_000


def cloud_event(workspace: uuid.UUID, n: int, now: datetime) -> tuple[bytes, bytes]:
    """(key, value) of one purchase as bench_crm_topic writes it."""
    user_id = f"user-{(n * 7919) % USERS}"
    data = {
        "event_id": f"r-{n}",
        "user_id": user_id,
        "occurred_at": (now - timedelta(minutes=n % 10_000)).isoformat(),
        "amount": "59.90",
        "currency": "CNY",
        "order_id": f"o-r-{n}",
        "kind": "purchase",
    }
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/crm/bench",
        "type": CRM_EVENT_RECORDED.type,
        "time": datetime.now(UTC).isoformat(),
        "subject": user_id,
        "datacontenttype": "application/json",
        "workspace": str(workspace),
        "data": data,
    }
    return user_id.encode(), json.dumps(event).encode()


async def main() -> None:
    topic = f"bench.runner{uuid.uuid4().hex[:8]}.v1"
    transport = KafkaTransport(BOOTSTRAP, partitions=4, client_id="bench-runner")
    await transport.ensure_topics([topic, topic + ".dlq"])
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=5)
    await producer.start()
    try:
        workspace, now = uuid.uuid4(), datetime.now(UTC)
        sent = [
            await producer.send(topic, value, key=key)
            for key, value in (cloud_event(workspace, n, now) for n in range(EVENTS))
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()

    handled = 0
    started: float | None = None
    finished = asyncio.Event()

    async def count(session: AsyncSession, events: Sequence[tuple[Envelope, Any]]) -> None:
        nonlocal handled, started
        if started is None:  # from the first handled batch: the group's join is not counted
            started = time.process_time()
        handled += len(events)
        if handled >= EVENTS:
            finished.set()

    database = Database(PG_URL, pool_size=5)
    runner = ConsumerRunner(
        service="bench-runner",
        database=database,
        tables=define_bus_tables(MetaData()),
        transport=transport,
        handlers={},
        batch_handlers={CRM_EVENT_RECORDED.type: count},
        topics=[topic],
        group=f"bench-runner-{uuid.uuid4().hex[:8]}",
        fetch_max_records=3600,
        transaction_max_events=1000,
        lanes=4,
        idempotent_types=frozenset({CRM_EVENT_RECORDED.type}),
    )
    load = os.getloadavg()
    wall = time.perf_counter()
    await runner.start()
    try:
        await asyncio.wait_for(finished.wait(), 300)
        assert started is not None
        cpu = time.process_time() - started
    finally:
        await runner.stop()
        await transport.stop()
        await database.dispose()
    print(
        f"runner: {EVENTS} events, {1e6 * cpu / EVENTS:.1f} µs CPU per event, "
        f"{time.perf_counter() - wall:.2f} s wall, load {load[0]:.2f} -> {os.getloadavg()[0]:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
