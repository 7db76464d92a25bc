"""Event bus benchmark on real PostgreSQL and Kafka (`make bench`).

1. Relay throughput: 50,000 committed outbox rows drained by one running Relay (its own loop,
   batches of 2,000) to Kafka; after one warm-up batch, events/s from its start to the last
   row marked sent, every batch acknowledged by the broker (acks=all, idempotent producer)
   before it is marked.
2. End-to-end latency, as the services run: two processes with a database each. The producing
   service commits events with `publish()` at a steady rate (20 per transaction) and runs its
   Relay in the same process, woken by the commit; the consuming service runs a ConsumerRunner
   (and its own, idle, relay) and applies each event as one row, inbox included: one INSERT
   per event from a per-event handler, or one executemany per run from a batch handler
   (`--handler`; both by default). Latency per
   event: from the producer's COMMIT returning to the consumer's COMMIT returning, both read
   from CLOCK_MONOTONIC (one clock for the whole host).

    bench_bus.py                       # all, figures printed and written to bench/results/
    bench_bus.py --only e2e --handler batch --rate 3000 --seconds 20 --no-write

BENCH_PROFILE=<dir> writes a cProfile of each role to <dir>/<role>.prof.
Needs `deploy/postgres/postgres.sh start` and `deploy/kafka/kafka.sh start`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop
from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, MetaData, String, Table, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from yunying_shared.bus import ConsumerRunner, Relay, define_bus_tables, publish
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.db import Database
from yunying_shared.events import CATALOGUE, Envelope, EventSpec
from yunying_shared.events.payloads.crm import CrmEventRecorded
from yunying_shared.logging import configure

PG_URL = os.environ.get(
    "YUNYING_TEST_PG_URL", "postgresql+asyncpg://yunying:yunying@127.0.0.1:15432/yunying_test"
)
BOOTSTRAP = os.environ.get("YUNYING_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
RESULTS = Path(__file__).with_name("results") / "bus.json"
RELAY_ROWS, RELAY_BATCH = 50_000, 2_000
PER_TRANSACTION, KEYS, PARTITIONS = 20, 200, 4
LOOP = "uvloop"

metadata = MetaData()
BUS = define_bus_tables(metadata)
effects = Table(
    "bench_effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(50), nullable=False),
)


def bench_spec(topic: str) -> EventSpec[CrmEventRecorded]:
    """The CRM event's payload and key on a topic of this run's own, so a fresh consumer group
    reads only this run's events; registered in each process's catalogue."""
    spec = EventSpec(
        name=f"bench.{topic.split('.')[1]}",
        version=1,
        topic=topic,
        payload=CrmEventRecorded,
        key_field="user_id",
        description="benchmark",
    )
    CATALOGUE[spec.type] = spec
    return spec


def crm_event(spec: EventSpec[CrmEventRecorded], i: int) -> Envelope:
    payload = CrmEventRecorded(
        event_id=f"e{i}",
        user_id=f"user-{i % KEYS}",
        kind="product_view",
        occurred_at=datetime.now(UTC),
        properties={"sku": f"sku-{i % 97}"},
    )
    return Envelope(
        source="/yunying/bench",
        type=spec.type,
        subject=spec.key_of(payload),
        workspace=uuid.UUID(int=1),
        data=payload.model_dump(mode="json"),
    )


@contextlib.asynccontextmanager
async def fresh_database() -> Any:
    admin = make_url(PG_URL)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(url, pool_size=2)
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await database.dispose()
        yield url
    finally:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


def cpu_seconds() -> float:
    times = os.times()
    return round(times.user + times.system, 2)


# --- relay throughput (one process: the relay is all that runs) -------------------------------


async def relay_throughput(url: str) -> dict[str, Any]:
    transport = KafkaTransport(BOOTSTRAP, partitions=PARTITIONS, client_id="bench-relay")
    database = Database(url, pool_size=3)
    spec = bench_spec(f"bench.relay{uuid.uuid4().hex[:8]}.v1")
    await transport.ensure_topics([spec.topic])
    async with database.session() as session, session.begin():
        for start in range(0, RELAY_ROWS, 5_000):
            await publish(session, BUS, *(crm_event(spec, i) for i in range(start, start + 5_000)))
    service = f"bench-relay-{uuid.uuid4().hex[:6]}"
    relay = Relay(
        service=service, database=database, tables=BUS, transport=transport, batch_size=RELAY_BATCH
    )
    await relay.publish_pending()  # warm-up batch: connections and metadata

    def published() -> float:
        return (
            REGISTRY.get_sample_value("yunying_outbox_published_total", {"service": service}) or 0.0
        )

    warm = published()
    profile = _profiler()
    cpu, started = cpu_seconds(), time.perf_counter()
    await relay.start()  # its own loop, as in a service: leader's connection, no idling
    while published() < RELAY_ROWS:  # noqa: ASYNC110 (counted after each batch is marked)
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    await relay.stop()
    published_rows = int(published() - warm)
    _dump(profile, "relay")
    await transport.stop()
    await database.dispose()
    return {
        "rows": published_rows,
        "batch_size": RELAY_BATCH,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu_seconds() - cpu, 2),
        "events_per_second": round(published_rows / elapsed),
    }


# --- end to end: the two services' processes ----------------------------------------------


async def produce(args: argparse.Namespace) -> dict[str, Any]:
    """The producing service: steady-rate writer and its relay, one process."""
    spec = bench_spec(args.topic)
    database = Database(args.db, pool_size=5)
    transport = KafkaTransport(BOOTSTRAP, partitions=PARTITIONS, client_id="bench-producer")
    await transport.start()
    relay = Relay(service="bench-producer", database=database, tables=BUS, transport=transport)
    await relay.start()
    profile = _profiler()
    committed: dict[str, float] = {}
    interval = PER_TRANSACTION / args.rate
    total = int(args.rate * args.seconds)
    started = next_tick = time.monotonic()
    for n in range(0, total, PER_TRANSACTION):
        envelopes = [crm_event(spec, i) for i in range(n, n + PER_TRANSACTION)]
        async with database.session() as session:
            async with session.begin():
                await publish(session, BUS, *envelopes)
            now = time.monotonic()
        for envelope in envelopes:
            committed[str(envelope.id)] = now
        next_tick += interval
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
    elapsed = time.monotonic() - started
    async with database.session() as session:  # the relay drains what is left
        while await session.scalar(select(func.count()).where(BUS.outbox.c.published_at.is_(None))):
            await asyncio.sleep(0.05)
            await session.rollback()
    _dump(profile, "producer")
    await relay.stop()
    await transport.stop()
    await database.dispose()
    return {"committed": committed, "seconds": elapsed, "cpu_seconds": cpu_seconds()}


async def consume(args: argparse.Namespace) -> dict[str, Any]:
    """The consuming service: its consumer runner and its (idle) relay, one process."""
    spec = bench_spec(args.topic)
    database = Database(args.db, pool_size=5)
    transport = KafkaTransport(BOOTSTRAP, partitions=PARTITIONS, client_id="bench-consumer")
    await transport.start()
    applied: dict[str, float] = {}

    @event.listens_for(database.sync_session_class, "after_commit")
    def _stamp(session: Any) -> None:
        now = time.monotonic()
        for event_id in session.info.pop("bench", ()):
            applied.setdefault(event_id, now)

    async def apply(session: Any, envelope: Envelope, _payload: Any) -> None:
        await session.execute(insert(effects).values(key=envelope.subject))
        session.sync_session.info.setdefault("bench", []).append(str(envelope.id))

    async def apply_batch(session: Any, events: list[tuple[Envelope, Any]]) -> None:
        await session.execute(insert(effects), [{"key": e.subject} for e, _ in events])
        session.sync_session.info.setdefault("bench", []).extend(str(e.id) for e, _ in events)

    options: dict[str, Any] = {"lanes": args.lanes} if args.lanes else {}
    if args.handler == "batch":
        options["batch_handlers"] = {spec.type: apply_batch}
    else:
        options["handlers"] = {spec.type: apply}
    runner = ConsumerRunner(
        service="bench-consumer",
        database=database,
        tables=BUS,
        transport=transport,
        topics=[spec.topic],
        group=args.group,
        **{"handlers": {}} | options,
    )
    relay = Relay(service="bench-consumer", database=database, tables=BUS, transport=transport)
    await runner.start()
    await relay.start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    profile = _profiler()
    await stop.wait()
    _dump(profile, "consumer")
    await runner.stop()
    await relay.stop()
    await transport.stop()
    await database.dispose()
    return {"applied": applied, "cpu_seconds": cpu_seconds()}


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine so far, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


async def end_to_end(
    rate: int, seconds: float, workdir: Path, lanes: int, handler: str
) -> dict[str, Any]:
    topic = f"bench.e2e{uuid.uuid4().hex[:8]}.v1"
    transport = KafkaTransport(BOOTSTRAP, partitions=PARTITIONS, client_id="bench")
    await transport.ensure_topics([topic])
    await transport.stop()
    async with fresh_database() as producer_db, fresh_database() as consumer_db:
        consumer = _spawn(
            "consume",
            "--db",
            consumer_db,
            "--topic",
            topic,
            "--group",
            f"bench-{uuid.uuid4().hex[:6]}",
            "--lanes",
            str(lanes),
            "--handler",
            handler,
            "--out",
            str(workdir / "consumer.json"),
        )
        try:
            await asyncio.sleep(6)  # the consumer joins its group and gets the partitions
            busy_before = machine_busy()
            producer = _spawn(
                "produce",
                "--db",
                producer_db,
                "--topic",
                topic,
                "--rate",
                str(rate),
                "--seconds",
                str(seconds),
                "--out",
                str(workdir / "producer.json"),
            )
            while producer.poll() is None:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            busy_after = machine_busy()
            produced = json.loads((workdir / "producer.json").read_text())
            expected = len(produced["committed"])
            database = Database(consumer_db, pool_size=1)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                async with database.session() as session:
                    if await session.scalar(select(func.count()).select_from(effects)) >= expected:
                        break
                await asyncio.sleep(0.2)
            await database.dispose()
        finally:
            consumer.send_signal(signal.SIGTERM)
            await asyncio.to_thread(consumer.wait, 60)
        consumed = json.loads((workdir / "consumer.json").read_text())
    committed, applied = produced["committed"], consumed["applied"]
    latencies = sorted((applied[k] - committed[k]) * 1000 for k in committed if k in applied)
    q = statistics.quantiles(latencies, n=100)
    return {
        "target_rate_per_second": rate,
        "achieved_rate_per_second": round(len(committed) / produced["seconds"]),
        "seconds": round(produced["seconds"], 2),
        "events": len(committed),
        "applied": len(latencies),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "max_ms": round(latencies[-1], 1),
        "cpu_seconds": {
            "producer_process": produced["cpu_seconds"],
            "consumer_process": consumed["cpu_seconds"],
        },
        "machine_cpu_busy_while_producing": round(
            (busy_after[0] - busy_before[0]) / (busy_after[1] - busy_before[1]), 2
        ),
        "consumer_lanes": lanes or "default",
        "consumer_handler": handler,
    }


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, *args, "--loop", LOOP])


def _profiler() -> cProfile.Profile | None:
    if not os.environ.get("BENCH_PROFILE"):
        return None
    profile = cProfile.Profile()
    profile.enable()
    return profile


def _dump(profile: cProfile.Profile | None, role: str) -> None:
    if profile is not None:
        profile.disable()
        Path(os.environ["BENCH_PROFILE"]).mkdir(parents=True, exist_ok=True)
        profile.dump_stats(Path(os.environ["BENCH_PROFILE"]) / f"{role}.prof")


async def main(args: argparse.Namespace) -> None:
    global LOOP
    LOOP = args.loop
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "event_loop": args.loop,
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
        },
    }
    if args.only in (None, "relay"):
        async with fresh_database() as url:
            relay = await relay_throughput(url)
        print(
            f"relay throughput: {relay['events_per_second']:,} events/s "
            f"({relay['rows']:,} rows in {relay['seconds']} s, batches of {RELAY_BATCH}, "
            f"{relay['cpu_seconds']} CPU s)"
        )
        results["relay"] = relay | {"target_events_per_second": 15_000}
    if args.only in (None, "e2e"):
        handlers = ["event", "batch"] if args.handler == "both" else [args.handler]
        for handler in handlers:
            workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_bus_{uuid.uuid4().hex[:6]}"
            workdir.mkdir(parents=True)
            latency = await end_to_end(args.rate, args.seconds, workdir, args.lanes, handler)
            print(
                f"end to end, {handler} handler, at {latency['achieved_rate_per_second']:,} "
                f"events/s (target {args.rate:,}) for {latency['seconds']} s: "
                f"p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, "
                f"p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms "
                f"({latency['applied']:,}/{latency['events']:,} applied; "
                f"CPU s {latency['cpu_seconds']}, machine busy "
                f"{latency['machine_cpu_busy_while_producing']:.0%})"
            )
            key = "end_to_end" if handler == "event" else "end_to_end_batch_handler"
            results[key] = latency | {"target_p99_ms": 250}
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if not args.no_write:
        out = Path(args.results)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")  # noqa: ASYNC240
        print(f"written to {out}")


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", nargs="?", choices=["produce", "consume"])
    parser.add_argument("--only", choices=["relay", "e2e"])
    parser.add_argument("--rate", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--results", default=str(RESULTS), help="where the JSON goes")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--db", default="")
    parser.add_argument("--topic", default="")
    parser.add_argument("--group", default="")
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--handler",
        choices=["event", "batch", "both"],
        default="both",
        help="consumer: one INSERT per event, a batch handler's executemany, or one run of each",
    )
    parser.add_argument("--lanes", type=int, default=0, help="ConsumerRunner lanes; 0: its default")
    args = parser.parse_args()
    configure(level="WARNING", json=False)
    role = {"produce": produce, "consume": consume}.get(args.role or "")
    # uvloop, as the services run: uvicorn's default loop when uvloop is installed
    run = uvloop.run if args.loop == "uvloop" else asyncio.run
    if role:
        Path(args.out).write_text(json.dumps(run(role(args))))
    else:
        run(main(args))


if __name__ == "__main__":
    cli()
