"""Event bus benchmark on real PostgreSQL and Kafka (`make bench`).

1. Relay throughput: 50,000 committed outbox rows drained by one Relay (batches of 2,000) to
   Kafka; events/s from the first read of the outbox to the last row marked sent, every batch
   acknowledged by the broker (acks=all, idempotent producer) before it is marked.
2. End-to-end latency: a producer commits outbox rows at a steady 2,000 events/s for 20 s
   (20 events per transaction every 10 ms); the relay publishes them; a ConsumerRunner applies
   each as a row in its own transaction with the inbox. Latency per event: from the producer's
   commit returning to the consumer's transaction commit returning (one clock, one process).

Needs `deploy/postgres/postgres.sh start` and `deploy/kafka/kafka.sh start`.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from yunying_shared.bus import ConsumerRunner, Relay, define_bus_tables
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.outbox import PENDING_FLAG
from yunying_shared.db import Database
from yunying_shared.events import Envelope
from yunying_shared.logging import configure

PG_URL = os.environ.get("YUNYING_TEST_PG_URL",
                        "postgresql+asyncpg://yunying:yunying@127.0.0.1:15432/yunying_test")
BOOTSTRAP = os.environ.get("YUNYING_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
RESULTS = Path(__file__).with_name("results") / "bus.json"
RELAY_ROWS, RELAY_BATCH = 50_000, 2_000
RATE, SECONDS, PER_TRANSACTION = 2_000, 20, 20
TYPE = "yunying.bench.applied.v1"

metadata = MetaData()
BUS = define_bus_tables(metadata)
effects = Table("bench_effects", metadata,
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("key", String(50), nullable=False))


async def fresh_database() -> tuple[str, Any]:
    admin = make_url(PG_URL)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))

    async def drop() -> None:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    url = admin.set(database=name).render_as_string(hide_password=False)
    database = Database(url, pool_size=5)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await database.dispose()
    return url, drop


def outbox_rows(topic: str, count: int, keys: int = 200) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        envelope = Envelope(source="/bench", type=TYPE, subject=f"key-{i % keys}",
                            data={"n": i, "note": "x" * 120})
        rows.append({"event_id": envelope.id, "topic": topic, "key": envelope.subject,
                     "value": envelope.to_bytes(), "headers": {"ce_type": TYPE},
                     "created_at": now})
    return rows


async def relay_throughput(url: str, transport: KafkaTransport) -> dict[str, Any]:
    database = Database(url, pool_size=3)
    topic = f"bench.relay{uuid.uuid4().hex[:8]}.v1"
    await transport.ensure_topics([topic])
    rows = outbox_rows(topic, RELAY_ROWS)
    async with database.session() as session, session.begin():
        for start in range(0, len(rows), 5_000):
            await session.execute(insert(BUS.outbox), rows[start:start + 5_000])
    relay = Relay(service="bench", database=database, tables=BUS, transport=transport,
                  batch_size=RELAY_BATCH)
    await relay.publish_pending()  # warm-up batch: connections and metadata
    started = time.perf_counter()
    published = 0
    while (count := await relay.publish_pending()) > 0:
        published += count
    elapsed = time.perf_counter() - started
    await database.dispose()
    return {"rows": published, "batch_size": RELAY_BATCH, "seconds": round(elapsed, 3),
            "events_per_second": round(published / elapsed)}


async def end_to_end_latency(url: str, transport: KafkaTransport) -> dict[str, Any]:
    producer_db, consumer_db = Database(url, pool_size=3), Database(url, pool_size=3)
    topic = f"bench.e2e{uuid.uuid4().hex[:8]}.v1"
    committed_at: dict[str, float] = {}
    applied_at: dict[str, float] = {}

    @event.listens_for(consumer_db.sync_session_class, "after_commit")
    def _stamp(session: Any) -> None:
        now = time.perf_counter()
        for event_id in session.info.pop("bench", ()):
            applied_at.setdefault(event_id, now)

    async def apply(session: Any, envelope: Envelope, _payload: Any) -> None:
        await session.execute(insert(effects).values(key=envelope.subject))
        session.sync_session.info.setdefault("bench", []).append(str(envelope.id))

    relay = Relay(service="bench", database=producer_db, tables=BUS, transport=transport,
                  idle_seconds=0.05)
    runner = ConsumerRunner(service="bench", database=consumer_db, tables=BUS,
                            transport=transport, handlers={TYPE: apply}, topics=[topic],
                            group=f"bench-{uuid.uuid4().hex[:6]}")
    await transport.ensure_topics([topic])
    await runner.start()
    await relay.start()
    await asyncio.sleep(3)  # the consumer joins its group
    interval = PER_TRANSACTION / RATE
    next_tick = time.perf_counter()
    for _ in range(RATE * SECONDS // PER_TRANSACTION):
        rows = outbox_rows(topic, PER_TRANSACTION)
        async with producer_db.session() as session:
            async with session.begin():
                await session.execute(insert(BUS.outbox), rows)
                session.info[PENDING_FLAG] = True  # wakes the relay at commit
            now = time.perf_counter()
        for row in rows:
            committed_at[str(row["event_id"])] = now
        next_tick += interval
        await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
    deadline = time.perf_counter() + 60
    while len(applied_at) < len(committed_at) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    await relay.stop()
    await runner.stop()
    await producer_db.dispose()
    await consumer_db.dispose()
    latencies = sorted((applied_at[k] - committed_at[k]) * 1000
                       for k in committed_at if k in applied_at)
    quantiles = statistics.quantiles(latencies, n=100)
    return {"rate_per_second": RATE, "seconds": SECONDS, "events": len(committed_at),
            "applied": len(latencies), "p50_ms": round(quantiles[49], 1),
            "p99_ms": round(quantiles[98], 1), "max_ms": round(latencies[-1], 1)}


async def main() -> None:
    configure(level="WARNING", json=False)
    transport = KafkaTransport(BOOTSTRAP, partitions=4, client_id="bench")
    await transport.start()
    url, drop = await fresh_database()
    try:
        relay = await relay_throughput(url, transport)
        print(f"relay throughput: {relay['events_per_second']:,} events/s "
              f"({relay['rows']:,} rows in {relay['seconds']} s, batches of {RELAY_BATCH})")
        latency = await end_to_end_latency(url, transport)
        print(f"end to end at {RATE:,} events/s for {SECONDS} s: p50 {latency['p50_ms']} ms, "
              f"p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms "
              f"({latency['applied']:,}/{latency['events']:,} applied)")
    finally:
        await transport.stop()
        await drop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "relay": relay | {"target_events_per_second": 15_000},
        "end_to_end": latency | {"target_p99_ms": 250},
    }, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())
