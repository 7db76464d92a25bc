"""A relay or a consumer, run as its own process so the crash tests can kill it for real.

    worker.py setup   --db URL
    worker.py relay   --db URL --bootstrap HOST:PORT
    worker.py consume --db URL --bootstrap HOST:PORT --topic T --group G

The consumer applies each event as one row in `effects`, with no uniqueness: an event applied
twice is a second row the test counts. Fault injection, by environment:
- CRASH_EXIT_AFTER_PUBLISH=N: the relay exits (os._exit, like a power cut) right after its Nth
  publish was acknowledged, before it marks the rows sent;
- CRASH_HANDLER_DELAY=seconds: each event takes that long inside its transaction;
- an event whose data has `fail_times: n` makes the handler raise n times before applying it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections import Counter

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Uuid, insert

from yunying_shared.bus import ConsumerRunner, Relay, define_bus_tables
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.db import Database
from yunying_shared.logging import configure

metadata = MetaData()
BUS = define_bus_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("key", String(50), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event_id", Uuid, nullable=False),
)
STEP = "yunying.crashtest.step.v1"
KILLED_AFTER_ACK = 86


def _transport(args: argparse.Namespace, role: str) -> KafkaTransport:
    return KafkaTransport(
        args.bootstrap,
        partitions=4,
        client_id=f"crash-{role}",
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
    )


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def setup(args: argparse.Namespace) -> None:
    database = Database(args.db)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await database.dispose()


async def relay(args: argparse.Namespace) -> None:
    database = Database(args.db, pool_size=3)
    transport = _transport(args, "relay")
    await transport.start()
    exit_after = int(os.environ.get("CRASH_EXIT_AFTER_PUBLISH", "0"))
    if exit_after:
        publish, published = transport.publish, 0

        async def publish_then_die(messages):  # type: ignore[no-untyped-def]
            nonlocal published
            await publish(messages)
            published += 1
            if published >= exit_after:
                os._exit(KILLED_AFTER_ACK)  # acknowledged by the broker, not yet marked sent

        transport.publish = publish_then_die  # type: ignore[method-assign]
    worker = Relay(
        service="crash",
        database=database,
        tables=BUS,
        transport=transport,
        batch_size=args.batch_size,
        idle_seconds=0.05,
    )
    await worker.start()
    await _until_terminated()
    await worker.stop()
    await transport.stop()
    await database.dispose()


async def consume(args: argparse.Namespace) -> None:
    database = Database(args.db, pool_size=3)
    transport = _transport(args, "consumer")
    await transport.start()
    failures: Counter[object] = Counter()
    delay = float(os.environ.get("CRASH_HANDLER_DELAY", "0"))

    async def apply(session, envelope, _payload):  # type: ignore[no-untyped-def]
        if failures[envelope.id] < envelope.data.get("fail_times", 0):
            failures[envelope.id] += 1
            raise RuntimeError(f"transient failure {failures[envelope.id]} of {envelope.id}")
        if delay:  # work that takes time, so a kill lands mid-batch
            await asyncio.sleep(delay)
        await session.execute(
            insert(effects).values(
                key=envelope.data["key"], seq=envelope.data["seq"], event_id=envelope.id
            )
        )

    runner = ConsumerRunner(
        service="crash",
        database=database,
        tables=BUS,
        transport=transport,
        handlers={STEP: apply},
        topics=[args.topic],
        group=args.group,
        max_attempts=5,
        backoff_seconds=0.02,
        backoff_max_seconds=0.5,
        fetch_max_records=100,
    )
    await runner.start()
    await _until_terminated()
    await runner.stop()
    await transport.stop()
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["setup", "relay", "consume"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--topic", default="")
    parser.add_argument("--group", default="")
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()
    configure(level=os.environ.get("CRASH_LOG_LEVEL", "WARNING"), json=False)
    asyncio.run({"setup": setup, "relay": relay, "consume": consume}[args.role](args))


if __name__ == "__main__":
    main()
