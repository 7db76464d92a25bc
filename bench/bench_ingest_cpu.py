"""CPU per ingested event, in process: what a busy machine distorts least.

`ingest()` (the function behind `POST /v1/events` and the CRM topic's batch handler) on a fresh
PostgreSQL database, one writer, batches of 500 built as `bench_ingestion.py` builds them (five
types, one in five a purchase, 50,000 users). Segmentation's CPU is `time.process_time()` of this
process; PostgreSQL's is its backend's, read from /proc. Run twice: events up to a week old
(most are late events, whose users' stage histories are derived again) and events within 20
hours. Wall-clock events/s is printed too, but on a shared machine only the CPU figures compare.

Environment: YUNYING_TEST_PG_URL; BENCH_CPU_BATCHES (100, after 20 warm-up batches).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from segmentation.events.service import ingest
from segmentation.main import DEFINITION
from yunying_shared.db import Database, driver_connection
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database

RESULTS = Path(__file__).resolve().parent / "results" / "ingest_cpu.json"
BATCH = 500
WARMUP = 20
BATCHES = int(os.environ.get("BENCH_CPU_BATCHES", "100"))
CLK = os.sysconf("SC_CLK_TCK")


def _backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def _batches(now: datetime, spread_minutes: int) -> list[list[dict[str, Any]]]:
    kinds = ["page_view", "product_view", "login", "purchase", "share"]
    batches = []
    for b in range(WARMUP + BATCHES):
        batch = []
        for i in range(BATCH):
            n = b * BATCH + i
            item: dict[str, Any] = {
                "event_id": f"ev-{n}",
                "user_id": f"user-{(n * 7919) % 50_000}",
                "type": kinds[n % len(kinds)],
                "occurred_at": (now - timedelta(minutes=n % spread_minutes)).isoformat(),
                "properties": {"page": "/p"},
            }
            if item["type"] == "purchase":
                item.update(amount="59.90", currency="CNY", order_id=f"o-{n}")
            batch.append(item)
        batches.append(batch)
    return batches


async def measure(spread_minutes: int) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    async with fresh_postgres_database("bench_cpu") as url:
        database = Database(url, pool_size=1)  # one connection: its backend does all the work
        try:
            await upgrade(database, DEFINITION.migrations)
            workspace_id = uuid.uuid4()
            async with database.session() as session:
                backend = await (await driver_connection(session)).fetchval(
                    "SELECT pg_backend_pid()"
                )
            load = os.getloadavg()[0]
            for index, batch in enumerate(_batches(now, spread_minutes)):
                if index == WARMUP:
                    wall, cpu = time.perf_counter(), time.process_time()
                    postgres = _backend_cpu_seconds(backend)
                async with database.session() as session, session.begin():
                    await ingest(session, workspace_id=workspace_id, items=batch, now=now)
            events = BATCHES * BATCH
            return {
                "spread_minutes": spread_minutes,
                "events": events,
                "segmentation_cpu_us_per_event": round(
                    1e6 * (time.process_time() - cpu) / events, 1
                ),
                "postgres_cpu_us_per_event": round(
                    1e6 * (_backend_cpu_seconds(backend) - postgres) / events, 1
                ),
                "wall_events_per_second": round(events / (time.perf_counter() - wall)),
                "load_1min_before": round(load, 2),
            }
        finally:
            await database.dispose()


async def main() -> None:
    runs = []
    for spread in (10_000, 1_200):
        figures = await measure(spread)
        print("ingest() CPU per event:", figures, flush=True)
        runs.append(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "batch": BATCH,
        "runs": runs,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())
