"""Where `ingest()`'s CPU per event goes, step by step, in one process against PostgreSQL.

The CRM topic bench's workload (purchases of 5,000 users, up to a week old, so most are late
events whose users' stage histories are derived again) handed to `ingest()` in batches of
BENCH_STEPS_BATCH (900: what one consumer lane takes per transaction), one writer, on a fresh
database. Each step of the ingest and of its after-write chain is wrapped: this process's CPU
(`time.process_time`) and the PostgreSQL backend's (/proc, clock ticks: exact only summed over
many batches) are read around it. Nested steps (the after-write chain's) are also inside
`after_write`, and rederive's own (the events read, the replay, the stored rows, the rewrite)
inside `rederive`; "other" is what `ingest` spends outside the named steps. Python's cyclic
collector runs inside whichever step allocates when it triggers, so a step's service CPU can
move between runs with another step's allocations; compare totals.

Env: YUNYING_TEST_PG_URL; BENCH_STEPS_BATCH (900), BENCH_STEPS_BATCHES (40, after 5 warm-up
batches); BENCH_STEPS_PROFILE=<file> writes a cProfile of the measured batches there (the
figures are then the profiler's, not comparable). Prints one table; nothing is written.
"""

from __future__ import annotations

import asyncio
import cProfile
import functools
import gc
import inspect
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import segmentation.afterwrite as afterwrite
import segmentation.events.service as service
import segmentation.lifecycle.rederive as rederive
from segmentation.events.storage import PostgresIngest
from segmentation.main import DEFINITION
from yunying_shared.db import Database, driver_connection
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database

BATCH = int(os.environ.get("BENCH_STEPS_BATCH", "900"))
WARMUP = 5
BATCHES = int(os.environ.get("BENCH_STEPS_BATCHES", "40"))
USERS = 5_000
CLK = os.sysconf("SC_CLK_TCK")

# (owner, attribute): the steps, as `ingest` and `after_write` look them up
STEPS: list[tuple[Any, str]] = [
    (service, "validate_batch"),
    (PostgresIngest, "insert_events"),
    (service, "republish_accepted"),
    (service, "per_user"),
    (PostgresIngest, "upsert_profiles"),
    (service, "after_write"),
    (afterwrite, "get_settings"),
    (afterwrite, "crowded"),
    (afterwrite, "restage"),
    (afterwrite, "rederive"),
    (rederive, "_load"),
    (rederive, "derive"),
    (rederive, "_stored"),
    (rederive, "_delete"),
    (rederive, "record_transitions"),
    (afterwrite, "apply_tag_rules"),
    (afterwrite, "refresh_memberships"),
]
NESTED = {
    "get_settings",
    "crowded",
    "restage",
    "rederive",
    "_load",
    "derive",
    "_stored",
    "_delete",
    "record_transitions",
    "apply_tag_rules",
    "refresh_memberships",
}

# rederive's own steps (reading the events, the replay, the stored rows, the rewrite)
INSIDE_REDERIVE = {"_load", "derive", "_stored", "_delete", "record_transitions"}


class Meter:
    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.cpu: dict[str, float] = defaultdict(float)
        self.postgres: dict[str, float] = defaultdict(float)
        self.on = False

    def backend_seconds(self) -> float:
        fields = Path(f"/proc/{self.backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                if not self.on:
                    return await function(*args, **kwargs)
                postgres = self.backend_seconds()
                cpu = time.process_time()
                try:
                    return await function(*args, **kwargs)
                finally:
                    self.cpu[name] += time.process_time() - cpu
                    self.postgres[name] += self.backend_seconds() - postgres

            return timed_async

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                return function(*args, **kwargs)
            cpu = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[name] += time.process_time() - cpu

        return timed


def purchase(run: str, n: int, now: datetime) -> dict[str, Any]:
    """As bench_crm_topic builds them (the topic's items after `_ingest_item`)."""
    return {
        "event_id": f"{run}-{n}",
        "user_id": f"user-{(n * 7919) % USERS}",
        "type": "purchase",
        "occurred_at": (now - timedelta(minutes=n % 10_000)).isoformat(),
        "amount": "59.90",
        "currency": "CNY",
        "order_id": f"o-{run}-{n}",
    }


async def main() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with fresh_postgres_database("bench_steps") as url:
        database = Database(url, pool_size=1)  # one connection: its backend does all the work
        try:
            await upgrade(database, DEFINITION.migrations)
            workspace_id = uuid.uuid4()
            async with database.session() as session:
                backend = await (await driver_connection(session)).fetchval(
                    "SELECT pg_backend_pid()"
                )
            # as a started service does (yunying_shared.kit.app): startup's objects frozen
            gc.collect()
            gc.freeze()
            meter = Meter(backend)
            for owner, name in STEPS:
                setattr(owner, name, meter.wrap(name, getattr(owner, name)))
            load = os.getloadavg()
            total_cpu = total_postgres = 0.0
            profile_to = os.environ.get("BENCH_STEPS_PROFILE")
            profiler = cProfile.Profile()
            for index in range(WARMUP + BATCHES):
                items = [purchase("r", index * BATCH + i, now) for i in range(BATCH)]
                meter.on = index >= WARMUP
                if profile_to and index == WARMUP:
                    profiler.enable()
                postgres, cpu = meter.backend_seconds(), time.process_time()
                async with database.session() as session, session.begin():
                    await service.ingest(session, workspace_id=workspace_id, items=items, now=now)
                if meter.on:
                    total_cpu += time.process_time() - cpu
                    total_postgres += meter.backend_seconds() - postgres
            if profile_to:
                profiler.disable()
                profiler.dump_stats(profile_to)
            events = BATCHES * BATCH
            top = [name for _, name in STEPS if name not in NESTED]
            print(f"load {load}, {events} events in batches of {BATCH}")
            print(f"{'step':<22} {'service µs/ev':>14} {'postgres µs/ev':>15}")
            for name in [n for _, n in STEPS]:
                label = (
                    "    " if name in INSIDE_REDERIVE else "  " if name in NESTED else ""
                ) + name
                cpu_us = 1e6 * meter.cpu[name] / events
                pg_us = 1e6 * meter.postgres[name] / events
                print(f"{label:<22} {cpu_us:>14.1f} {pg_us:>15.1f}")
            other_cpu = 1e6 * (total_cpu - sum(meter.cpu[n] for n in top)) / events
            other_pg = 1e6 * (total_postgres - sum(meter.postgres[n] for n in top)) / events
            print(f"{'other':<22} {other_cpu:>14.1f} {other_pg:>15.1f}")
            print(
                f"{'ingest + commit':<22} {1e6 * total_cpu / events:>14.1f} "
                f"{1e6 * total_postgres / events:>15.1f}"
            )
            print(f"load after {os.getloadavg()}")
        finally:
            await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
