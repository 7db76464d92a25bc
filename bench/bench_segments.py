"""Live segment membership latency: how long after a CRM event its membership events are out.

Setup (PostgreSQL, fresh database): BENCH_USERS profiles (default 20,000) with attributes,
scores, tiers and tags spread over them, and 50 live segments mixing every leaf kind (stage,
tier, scores, attributes, tags, "≥ N product_view in 7 days", "sum of purchases in 30 days",
and/or/not). Their initial members are published first and left out of the figures.

Load: BENCH_RATE events/s (default 1,000) for BENCH_SECONDS (default 30), as CRM batches of
BENCH_BATCH (default 500) every BENCH_BATCH/BENCH_RATE seconds, open loop (a slow batch does not
delay the next), each through `ingest()` (what POST /v1/events and the crm.events.v1 consumer
call) in its own transaction: events stored, profiles folded, stages and tags applied, then
`refresh_memberships` for the batch's users against all 50 segments, then the outbox. The
service's relay publishes to Kafka (YUNYING_TEST_KAFKA_BOOTSTRAP; the local transport when it is
unset); a consumer group reads `segmentation.user.v1`.

Latency of a membership event = time it was received by the consumer - time its triggering
batch was submitted (the batch's `now`, carried in the event as entered_at / exited_at).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from segmentation.db import BUS
from segmentation.events.service import ingest
from segmentation.main import DEFINITION
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment
from yunying_shared.bus import Relay, Transport
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.local import LocalTransport
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.events import Envelope
from yunying_shared.testing.databases import fresh_postgres_database

USERS = int(os.environ.get("BENCH_USERS", "20000"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))
RESULTS = Path(__file__).parent / "results" / "segments.json"
TOPIC = "segmentation.user.v1"
MEMBERSHIP_TYPES = ("yunying.user.segment_entered.v1", "yunying.user.segment_exited.v1")


def fifty_segments() -> list[dict]:
    def field(name, op, value=None):
        return {"type": "field", "field": name, "operator": op, "value": value}

    def views(n, days=7, kind="product_view"):
        return {"type": "event", "event_type": kind, "within_days": days, "operator": "gte",
                "value": n}

    def spent(amount, days=30):
        return {"type": "event", "event_type": "purchase", "measure": "sum_amount",
                "within_days": days, "operator": "gte", "value": amount}

    stages = ["potential", "new", "active", "loyal", "churned"]
    tiers = ["high_value", "potential_high_value", "general", "low_value"]
    rules: list[dict] = []
    rules += [views(n) for n in (1, 2, 3, 4, 5)]
    rules += [views(n, 1, "page_view") for n in (1, 2, 3)]
    rules += [spent(a) for a in (50, 100, 200, 500)]
    rules += [field("stage", "eq", s) for s in stages]
    rules += [field("tier", "eq", t) for t in tiers]
    rules += [field(d, "gte", 4) for d in ("r_score", "f_score", "m_score")]
    rules += [{"type": "tag", "tag": t} for t in ("敏感肌", "职场妈妈", "学生党")]
    rules += [field("region", "in", ["上海", "北京"]), field("gender", "eq", "female"),
              field("order_count", "gte", 2), field("last_active_at", "within_days", 1),
              field("monetary_total", "gte", 100)]
    for i in range(50 - len(rules)):
        rules.append({"type": "and", "rules": [
            field("stage", "in", [stages[i % 5], stages[(i + 2) % 5]]),
            {"type": "or", "rules": [views(1 + i % 3), spent(50 + 10 * i),
                                     {"type": "tag", "tag": "敏感肌"}]},
            {"type": "not", "rule": field("tier", "eq", tiers[i % 4])},
        ]})
    return rules


async def seed(database: Database, workspace_id: uuid.UUID, now: datetime) -> None:
    for start in range(0, USERS, 1000):
        items = [{"event_id": f"reg-{i}", "user_id": f"user-{i}", "type": "registered",
                  "occurred_at": (now - timedelta(days=i % 90)).isoformat()}
                 for i in range(start, min(start + 1000, USERS))]
        async with database.session() as session, session.begin():
            await ingest(session, workspace_id=workspace_id, items=items, now=now)
    async with database.engine.begin() as conn:
        await conn.execute(text("""
            UPDATE profiles SET
              gender = (ARRAY['female','male',NULL])[1 + id % 3],
              region = (ARRAY['上海','北京','广州','成都'])[1 + id % 4],
              r_score = 1 + id % 5, f_score = 1 + (id / 5) % 5, m_score = 1 + (id / 25) % 5,
              tier = (ARRAY['high_value','potential_high_value','general','low_value'])[1 + id % 4]
            WHERE workspace_id = :ws"""), {"ws": workspace_id})
        await conn.execute(text("""
            INSERT INTO user_tags (workspace_id, user_id, tag, kind, source, confidence,
                                   created_at, updated_at)
            SELECT workspace_id, user_id, (ARRAY['敏感肌','职场妈妈','学生党'])[1 + id % 3],
                   'need', 'import', 1.0, :now, :now
            FROM profiles WHERE workspace_id = :ws AND id % 4 = 0"""),
            {"ws": workspace_id, "now": now})
        await conn.execute(text("ANALYZE"))
    async with database.session() as session, session.begin():
        for i, rule in enumerate(fifty_segments()):
            await create_segment(session, workspace_id=workspace_id, now=now, actor="bench",
                                 data=SegmentIn(name=f"segment {i:02d}", rule=parse_rule(rule)))


def batch_items(rng: random.Random, n: int, seq: int, now: datetime) -> list[dict]:
    items = []
    for i in range(n):
        user = f"user-{rng.randrange(USERS)}"
        kind = rng.choices(["product_view", "page_view", "login", "purchase"], [5, 3, 1, 1])[0]
        item = {"event_id": f"ev-{seq}-{i}", "user_id": user, "type": kind,
                "occurred_at": now.isoformat()}
        if kind == "purchase":
            item.update(amount=str(rng.choice([29, 59, 99, 199])), currency="CNY",
                        order_id=f"o-{seq}-{i}")
        items.append(item)
    return items


async def consume(transport: Transport, workspace_id: uuid.UUID, latencies: list[float],
                  stop: asyncio.Event) -> None:
    subscription = transport.subscribe(f"bench-{uuid.uuid4().hex[:6]}", [TOPIC])
    await subscription.start()
    try:
        while not stop.is_set():
            for message in await subscription.fetch(timeout=0.2, max_records=1000):
                received = time.time()
                envelope = Envelope.from_bytes(message.value)
                if (envelope.workspace == workspace_id and envelope.type in MEMBERSHIP_TYPES
                        and envelope.data["reason"] == "events"):  # not earlier runs' events
                    at = envelope.data.get("entered_at") if envelope.type.endswith(
                        "entered.v1") else envelope.data["exited_at"]
                    latencies.append(received - datetime.fromisoformat(at).timestamp())
    finally:
        await subscription.stop()


async def run_load(database: Database, workspace_id: uuid.UUID) -> dict:
    rng = random.Random(11)
    interval = BATCH / RATE
    batch_seconds: list[float] = []
    pending: set[asyncio.Task] = set()
    writers = asyncio.Semaphore(4)  # like 4 API workers; a queued batch's wait counts as latency

    async def one(seq: int) -> None:
        now = datetime.now(UTC)  # submitted: the membership events carry this time
        started = time.perf_counter()
        async with writers, database.session() as session, session.begin():
            await ingest(session, workspace_id=workspace_id,
                         items=batch_items(rng, BATCH, seq, now), now=now)
        batch_seconds.append(time.perf_counter() - started)

    begin = time.perf_counter()
    batches = SECONDS * RATE // BATCH
    for seq in range(batches):
        await asyncio.sleep(max(0.0, begin + seq * interval - time.perf_counter()))
        task = asyncio.create_task(one(seq))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    elapsed = time.perf_counter() - begin
    batch_seconds.sort()
    return {"events": batches * BATCH, "seconds": round(elapsed, 2),
            "events_per_second": round(batches * BATCH / elapsed),
            "batch_transaction_ms": {"p50": round(1000 * statistics.median(batch_seconds), 1),
                                     "p99": round(1000 * _pct(batch_seconds, 0.99), 1)}}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def make_transport() -> tuple[Transport, str]:
    bootstrap = os.environ.get("YUNYING_TEST_KAFKA_BOOTSTRAP", "")
    if bootstrap:
        transport: Transport = KafkaTransport(bootstrap, partitions=4,
                                              client_id="bench-segments")
        kind = f"kafka ({bootstrap})"
    else:
        transport = LocalTransport(Path(tempfile.mkdtemp()) / "bus.sqlite3", partitions=4)
        kind = "local (in-process)"
    await transport.start()
    return transport, kind


async def main() -> None:
    now = datetime.now(UTC)
    transport, transport_kind = await make_transport()
    async with fresh_postgres_database("bench_segments") as url:
        database = Database(url, pool_size=8)
        await upgrade(database, DEFINITION.migrations)
        workspace_id = uuid.uuid4()
        started = time.perf_counter()
        await seed(database, workspace_id, now)
        print(f"seeded {USERS:,} profiles and 50 segments in {time.perf_counter() - started:.1f} s")
        relay = Relay(service="segmentation", database=database, tables=BUS,
                      transport=transport, batch_size=500, idle_seconds=0.2)
        latencies: list[float] = []
        stop = asyncio.Event()
        await relay.start()
        consumer = asyncio.create_task(consume(transport, workspace_id, latencies, stop))
        await asyncio.sleep(5)  # initial members drain; the consumer joins its group
        try:
            load = await run_load(database, workspace_id)
            await asyncio.sleep(3)  # the last batches' events arrive
        finally:
            stop.set()
            await consumer
            await relay.stop()
            await database.dispose()
            await transport.stop()
    latencies.sort()
    figures = {
        "transport": transport_kind, "database": "postgresql", "users": USERS,
        "live_segments": 50, "target_events_per_second": RATE, "batch": BATCH, "load": load,
        "membership_events": len(latencies),
        "latency_ms": {k: round(1000 * _pct(latencies, q), 1) if latencies else None
                       for k, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": now.isoformat(),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())
