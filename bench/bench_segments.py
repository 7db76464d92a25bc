"""Live segment membership latency in the distributed mode: how long after a CRM batch's HTTP
200 its membership events are readable on Kafka.

Three processes, as deployed: the segmentation service (uvicorn, its own database on PostgreSQL,
bus on Kafka, its relay and background sweeps running), a measuring consumer (aiokafka, assigned
every partition of `segmentation.user.v1` at its end, no group), and this process as the CRM
client posting `POST /v1/events` straight to the service with an internal token.

Setup (fresh database): BENCH_USERS profiles (default 20,000) with attributes, scores, tiers and
tags spread over them, and BENCH_SEGMENTS (default 200, the workspace limit) live segments
mixing every leaf kind (stage, tier, scores, attributes, tags, "≥ N product_view in 7 days",
"sum of purchases in 30 days", and/or/not): the fifty of the earlier runs, then variations. The
initial members' events are marked published before the service starts (not measured).

Load: BENCH_RATE events/s (default 1,000) for BENCH_SECONDS (default 30) as batches of
BENCH_BATCH (default 100) every BENCH_BATCH/BENCH_RATE s, open loop (a slow response does not
delay the next batch). Batch k draws its users from block k mod 100 of the users (200 each at
20,000), so a user is in at most one batch per 100 in flight and each membership event
(user, entered_at/exited_at = the server's `now`) maps to exactly one batch.

Latency of a membership event = time the consumer read it - time the client received the 200
of its batch (the batch's transaction committed before); also given from the time the request
was sent. "Achieved" = events accepted / time from the first send to the last 200.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from segmentation.events.service import ingest
from segmentation.main import DEFINITION
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment
from yunying_shared.auth import INTERNAL_TOKEN_HEADER, Principal, issue_internal_token
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database, kafka_bootstrap

REPO = Path(__file__).resolve().parents[1]
USERS = int(os.environ.get("BENCH_USERS", "20000"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
BATCH = int(os.environ.get("BENCH_BATCH", "100"))
SEGMENTS = int(os.environ.get("BENCH_SEGMENTS", "200"))  # live segments (the workspace limit)
# segments.json keeps the earlier 50-segment runs; other counts get a file of their own.
RESULTS = Path(
    os.environ.get(
        "BENCH_RESULTS",
        REPO
        / "bench"
        / "results"
        / ("segments.json" if SEGMENTS == 50 else f"segments_{SEGMENTS}.json"),
    )
)
BLOCKS = 100
BLOCK = USERS // BLOCKS
# The service under test and the load driver share it; generated per run unless given.
INTERNAL_SECRET = os.environ.get("YUNYING_INTERNAL_TOKEN_SECRET") or secrets.token_urlsafe(48)
TOPIC = "segmentation.user.v1"
CLK = os.sysconf("SC_CLK_TCK")


def live_segments(count: int) -> list[dict]:
    """The fifty of the earlier runs, then variations of them (thresholds, windows, stage and
    tier pairs, tag and score combinations) up to `count`."""
    rules = fifty_segments()
    stages = ["potential", "new", "active", "loyal", "churned"]
    tiers = ["high_value", "potential_high_value", "general", "low_value"]
    tags = ["敏感肌", "职场妈妈", "学生党"]
    i = 0
    while len(rules) < count:
        kind = i % 6
        if kind == 0:
            rule = {
                "type": "event",
                "event_type": ("product_view", "page_view", "login")[i % 3],
                "within_days": 1 + i % 14,
                "operator": "gte",
                "value": 1 + i % 4,
            }
        elif kind == 1:
            rule = {
                "type": "and",
                "rules": [
                    {"type": "field", "field": "stage", "operator": "eq", "value": stages[i % 5]},
                    {"type": "field", "field": "tier", "operator": "eq", "value": tiers[i % 4]},
                ],
            }
        elif kind == 2:
            rule = {
                "type": "and",
                "rules": [
                    {"type": "tag", "tag": tags[i % 3]},
                    {"type": "field", "field": "r_score", "operator": "gte", "value": 1 + i % 5},
                ],
            }
        elif kind == 3:
            rule = {
                "type": "event",
                "event_type": "purchase",
                "measure": "sum_amount",
                "within_days": 7 + i % 60,
                "operator": "gte",
                "value": 20 + 5 * i,
            }
        elif kind == 4:
            rule = {
                "type": "or",
                "rules": [
                    {"type": "field", "field": "m_score", "operator": "eq", "value": 1 + i % 5},
                    {"type": "tag", "tag": tags[(i + 1) % 3], "operator": "has_not"},
                ],
            }
        else:
            rule = {
                "type": "and",
                "rules": [
                    {"type": "field", "field": "region", "operator": "eq", "value": "上海"},
                    {
                        "type": "event",
                        "event_type": "product_view",
                        "within_days": 3 + i % 5,
                        "operator": "gte",
                        "value": 1 + i % 3,
                    },
                ],
            }
        rules.append(rule)
        i += 1
    return rules[:count]


def fifty_segments() -> list[dict]:
    def field(name, op, value=None):
        return {"type": "field", "field": name, "operator": op, "value": value}

    def views(n, days=7, kind="product_view"):
        return {
            "type": "event",
            "event_type": kind,
            "within_days": days,
            "operator": "gte",
            "value": n,
        }

    def spent(amount, days=30):
        return {
            "type": "event",
            "event_type": "purchase",
            "measure": "sum_amount",
            "within_days": days,
            "operator": "gte",
            "value": amount,
        }

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
    rules += [
        field("region", "in", ["上海", "北京"]),
        field("gender", "eq", "female"),
        field("order_count", "gte", 2),
        field("last_active_at", "within_days", 1),
        field("monetary_total", "gte", 100),
    ]
    for i in range(50 - len(rules)):
        rules.append(
            {
                "type": "and",
                "rules": [
                    field("stage", "in", [stages[i % 5], stages[(i + 2) % 5]]),
                    {
                        "type": "or",
                        "rules": [
                            views(1 + i % 3),
                            spent(50 + 10 * i),
                            {"type": "tag", "tag": "敏感肌"},
                        ],
                    },
                    {"type": "not", "rule": field("tier", "eq", tiers[i % 4])},
                ],
            }
        )
    return rules


async def seed(database: Database, workspace_id: uuid.UUID, now: datetime) -> None:
    for start in range(0, USERS, 1000):
        items = [
            {
                "event_id": f"reg-{i}",
                "user_id": f"user-{i}",
                "type": "registered",
                "occurred_at": (now - timedelta(days=1 + i % 90)).isoformat(),
            }
            for i in range(start, min(start + 1000, USERS))
        ]
        async with database.session() as session, session.begin():
            await ingest(session, workspace_id=workspace_id, items=items, now=now)
    async with database.engine.begin() as conn:
        await conn.execute(
            text("""
            UPDATE profiles SET
              gender = (ARRAY['female','male',NULL])[1 + id % 3],
              region = (ARRAY['上海','北京','广州','成都'])[1 + id % 4],
              r_score = 1 + id % 5, f_score = 1 + (id / 5) % 5, m_score = 1 + (id / 25) % 5,
              tier = (ARRAY['high_value','potential_high_value','general','low_value'])[1 + id % 4]
            WHERE workspace_id = :ws"""),
            {"ws": workspace_id},
        )
        await conn.execute(
            text("""
            INSERT INTO user_tags (workspace_id, user_id, tag, kind, source, confidence,
                                   created_at, updated_at)
            SELECT workspace_id, user_id, (ARRAY['敏感肌','职场妈妈','学生党'])[1 + id % 3],
                   'need', 'import', 1.0, :now, :now
            FROM profiles WHERE workspace_id = :ws AND id % 4 = 0"""),
            {"ws": workspace_id, "now": now},
        )
    async with database.session() as session, session.begin():
        for i, rule in enumerate(live_segments(SEGMENTS)):
            await create_segment(
                session,
                workspace_id=workspace_id,
                now=now,
                actor="bench",
                data=SegmentIn(name=f"segment {i:02d}", rule=parse_rule(rule)),
            )
    async with database.engine.begin() as conn:
        # The initial members' events are setup, not load: the service's relay skips them.
        await conn.execute(
            text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
        )
        await conn.execute(text("ANALYZE"))


def batch_body(rng: random.Random, seq: int, run: str) -> bytes:
    block = seq % BLOCKS
    items = []
    for i in range(BATCH):
        user = f"user-{block * BLOCK + rng.randrange(BLOCK)}"
        kind = rng.choices(["product_view", "page_view", "login", "purchase"], [5, 3, 1, 1])[0]
        item = {
            "event_id": f"{run}-{seq}-{i}",
            "user_id": user,
            "type": kind,
            "occurred_at": datetime.now(UTC).isoformat(),
        }
        if kind == "purchase":
            item.update(
                amount=str(rng.choice([29, 59, 99, 199])),
                currency="CNY",
                order_id=f"o-{run}-{seq}-{i}",
            )
        items.append(item)
    return json.dumps({"events": items}).encode()


# -- the measuring consumer (its own process) ------------------------------------------------


async def consume(bootstrap: str, workspace: str, out: str) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
    )
    await consumer.start()
    cluster = await consumer._client.fetch_all_metadata()
    partitions = [TopicPartition(TOPIC, p) for p in cluster.partitions_for_topic(TOPIC) or ()]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for tp in partitions:
        await consumer.position(tp)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    seen: list[tuple[float, str, str, str]] = []
    marker = workspace.encode()
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=100, max_records=5000)
        received = time.time()
        for records in batches.values():
            for record in records:
                if marker not in record.value:
                    continue
                body = json.loads(record.value)
                data = body["data"]
                if data.get("reason") != "events" or "segment_id" not in data:
                    continue
                at = data.get("exited_at") or data["entered_at"]
                seen.append((received, body["type"], data["user_id"], at))
    await consumer.stop()
    await asyncio.to_thread(Path(out).write_text, json.dumps(seen))


# -- the client and the figures -------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(values: list[float]) -> dict[str, float | None]:
    return {
        k: round(1000 * _pct(values, q), 1) if values else None
        for k, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


async def _quiet(pid: int) -> None:
    """Until the process used under 5% of a core for a second (at most 120 s)."""
    for _ in range(120):
        before = _cpu_seconds(pid)
        await asyncio.sleep(1)
        if _cpu_seconds(pid) - before < 0.05:
            return


def _machine_busy() -> tuple[int, int]:
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(cpu) - cpu[3] - cpu[4], sum(cpu)


async def drive(url: str, headers: dict[str, str]) -> tuple[list[dict], list[int], float]:
    rng = random.Random(11)
    run = uuid.uuid4().hex[:8]
    batches = SECONDS * RATE // BATCH
    bodies = [batch_body(rng, seq, run) for seq in range(batches)]
    log: list[dict] = []
    failed: list[int] = []
    interval = BATCH / RATE

    async with httpx.AsyncClient(
        base_url=url, timeout=120, headers=headers, limits=httpx.Limits(max_connections=200)
    ) as http:

        async def one(seq: int) -> None:
            sent = time.time()
            try:
                response = await http.post("/v1/events", content=bodies[seq])
            except httpx.HTTPError:
                failed.append(0)  # connection dropped under overload
                return
            done = time.time()
            if response.status_code != 200:  # overload (pool timeouts): counted, not measured
                failed.append(response.status_code)
                return
            log.append(
                {
                    "seq": seq,
                    "sent": sent,
                    "ok": done,
                    "accepted": json.loads(response.content)["accepted"],
                }
            )

        begin = time.perf_counter()
        tasks = []
        for seq in range(batches):
            await asyncio.sleep(max(0.0, begin + seq * interval - time.perf_counter()))
            tasks.append(asyncio.create_task(one(seq)))
        await asyncio.gather(*tasks)
    return log, failed, time.perf_counter() - begin


def figures(log: list[dict], seen: list[tuple[float, str, str, str]]) -> dict:
    by_block: dict[int, list[dict]] = {}
    for batch in sorted(log, key=lambda b: b["sent"]):
        by_block.setdefault(batch["seq"] % BLOCKS, []).append(batch)
    after_ok: list[float] = []
    after_sent: list[float] = []
    unmatched = 0
    for received, _, user, at in seen:
        at_ts = datetime.fromisoformat(at).timestamp()
        candidates = [
            b
            for b in by_block.get(int(user.split("-")[1]) // BLOCK, [])
            if b["sent"] <= at_ts + 0.001
        ]
        if not candidates:
            unmatched += 1
            continue
        batch = candidates[-1]
        after_ok.append(received - batch["ok"])
        after_sent.append(received - batch["sent"])
    return {
        "membership_events": len(seen),
        "unmatched": unmatched,
        "latency_after_http_200_ms": _ms(after_ok),
        "latency_after_request_sent_ms": _ms(after_sent),
        "http_request_ms": _ms([b["ok"] - b["sent"] for b in log]),
        "slowest_http_request_ms_per_5s": _timeline(log),
    }


def _timeline(log: list[dict]) -> list[float]:
    """The slowest request of each 5 s of the run: when the tail happened (a sweep, a vacuum)."""
    start = min(b["sent"] for b in log)
    windows: dict[int, float] = {}
    for b in log:
        window = int((b["sent"] - start) // 5)
        windows[window] = max(windows.get(window, 0.0), b["ok"] - b["sent"])
    return [round(1000 * windows[w]) for w in sorted(windows)]


async def main() -> None:
    measured_at = datetime.now(UTC)
    bootstrap = kafka_bootstrap()
    async with fresh_postgres_database("bench_segments") as url:
        database = Database(url, pool_size=4)
        await upgrade(database, DEFINITION.migrations)
        workspace_id = uuid.uuid4()
        started = time.perf_counter()
        await seed(database, workspace_id, measured_at)
        await database.dispose()
        print(
            f"seeded {USERS:,} profiles and {SEGMENTS} segments"
            f" in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        port = _free_port()
        env = {
            **os.environ,
            "YUNYING_SEGMENTATION_DATABASE_URL": url,
            "YUNYING_BUS": "kafka",
            "YUNYING_KAFKA_BOOTSTRAP": bootstrap,
            "YUNYING_LOG_LEVEL": "WARNING",
            "YUNYING_INTERNAL_TOKEN_SECRET": INTERNAL_SECRET,
        }
        out = f"/tmp/bench-segments-{workspace_id}.json"
        service, consumer = _spawn(env, port, bootstrap, str(workspace_id), out)
        try:
            assert consumer.stdout is not None
            await asyncio.to_thread(consumer.stdout.readline)  # "ready"
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if (await asyncio.to_thread(httpx.get, f"{base}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            token = issue_internal_token(
                Principal(
                    subject="bench",
                    kind="api_key",
                    workspace_id=workspace_id,
                    scopes=frozenset({"events:write"}),
                ),
                secret=INTERNAL_SECRET,
                ttl_seconds=3600,
            )
            headers = {INTERNAL_TOKEN_HEADER: token, "content-type": "application/json"}
            await _quiet(service.pid)  # the start-up sweeps (re-score, segment windows) done
            load_before = os.getloadavg()
            cpu_before = _cpu_seconds(service.pid), _cpu_seconds(consumer.pid), _machine_busy()
            log, failed, elapsed = await drive(base, headers)
            cpu_after = _cpu_seconds(service.pid), _cpu_seconds(consumer.pid), _machine_busy()
            await asyncio.sleep(5)  # the last batches' events arrive
        finally:
            consumer.send_signal(signal.SIGTERM)
            await asyncio.to_thread(consumer.wait, 60)
            service.send_signal(signal.SIGTERM)
            await asyncio.to_thread(service.wait, 60)
    seen = json.loads(await asyncio.to_thread(Path(out).read_text))
    await asyncio.to_thread(Path(out).unlink)
    accepted = sum(b["accepted"] for b in log)
    busy = cpu_after[2][0] - cpu_before[2][0], cpu_after[2][1] - cpu_before[2][1]
    result = {
        "mode": "distributed: uvicorn segmentation service, Kafka consumer process, HTTP client",
        "database": "postgresql",
        "transport": f"kafka ({bootstrap})",
        "users": USERS,
        "live_segments": SEGMENTS,
        "target_events_per_second": RATE,
        "batch": BATCH,
        "seconds": SECONDS,
        "events_accepted": accepted,
        "failed_batches": {str(code): failed.count(code) for code in sorted(set(failed))},
        "achieved_events_per_second": round(accepted / elapsed),
        **figures(log, seen),
        "cpu_seconds": {
            "service": round(cpu_after[0] - cpu_before[0], 1),
            "consumer": round(cpu_after[1] - cpu_before[1], 1),
        },
        "machine_busy": round(busy[0] / busy[1], 2),
        "load_average_before": [round(v, 2) for v in load_before],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": measured_at.isoformat(),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    await asyncio.to_thread(_write, result)
    print(f"wrote {RESULTS}")
    latency = result["latency_after_http_200_ms"]
    print(
        f"SUMMARY membership events at {SEGMENTS} live segments: p99 {latency.get('p99')} ms "
        f"after the triggering batch's 200 at {result['achieved_events_per_second']} of {RATE} "
        f"events/s (target p99 <= 1,000 ms at 1,000 events/s with 200 segments; "
        f"load before {load_before[0]:.1f})"
    )


def _spawn(
    env: dict[str, str], port: int, bootstrap: str, workspace: str, out: str
) -> tuple[subprocess.Popen, subprocess.Popen]:
    service = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "uvicorn"),  # the running environment's
            "--factory",
            "segmentation.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        cwd=REPO,
    )
    consumer = subprocess.Popen(
        [sys.executable, __file__, "consume", bootstrap, workspace, out],
        stdout=subprocess.PIPE,
        text=True,
    )
    return service, consumer


def _write(result: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["consume"]:
        asyncio.run(consume(*sys.argv[2:5]))
    else:
        asyncio.run(main())
