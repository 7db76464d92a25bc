"""PostgreSQL's cost per membership change of the set-wise apply statement (segments/applied.py):
WAL bytes (pg_current_wal_lsn before and after) and the backend's CPU (/proc/<pid>/stat) per
change, for N users entering one segment and then leaving it, each in its own transaction.

    BENCH_CHANGES=200000 .venv/bin/python bench/bench_membership_writes.py

Needs YUNYING_TEST_PG_URL (scripts/infra.sh) and the database server on this host (its backend's
CPU is read from /proc). BENCH_APPLIED=path/to/applied.py measures another version of the
module (e.g. the one before packed outbox rows, from `git show`). Writes
bench/results/membership_writes.json.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import text

from segmentation.db import metadata
from segmentation.segments.writes import Changes
from yunying_shared.db import Database
from yunying_shared.testing.databases import fresh_postgres_database

CHANGES = int(os.environ.get("BENCH_CHANGES", "200000"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench/results/membership_writes.json"))
TICKS = os.sysconf("SC_CLK_TCK")


def _applied() -> ModuleType:
    path = os.environ.get("BENCH_APPLIED")
    if not path:
        from segmentation.segments import applied

        return applied
    spec = importlib.util.spec_from_file_location("applied_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def _phase(database: Database, applied: ModuleType, segment_id: uuid.UUID, *, enter: bool):
    workspace_id = uuid.UUID(int=1)
    async with database.session() as session, session.begin():
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        await applied.create_changes_table(session)
        await session.execute(
            text(
                "INSERT INTO segment_changes (segment_id, user_id, matches) "
                "SELECT :s, 'user-' || i, :m FROM generate_series(1, :n) AS i"
            ),
            {"s": segment_id, "m": enter, "n": CHANGES},
        )
        start_lsn = await session.scalar(text("SELECT pg_current_wal_insert_lsn()"))
        cpu, wall = _cpu_seconds(pid), time.perf_counter()
        changes = Changes(keep_users=False)
        await applied.apply_changes(
            session,
            workspace_id=workspace_id,
            now=datetime.now(UTC),
            reason="bench",
            changes=changes,
        )
        cpu, wall = _cpu_seconds(pid) - cpu, time.perf_counter() - wall
        wal = await session.scalar(
            text("SELECT pg_current_wal_insert_lsn() - CAST(:a AS pg_lsn)"), {"a": start_lsn}
        )
        rows = await session.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    assert changes.count() == CHANGES, changes.count()
    return {
        "changes": CHANGES,
        "outbox_rows_pending_after": rows,
        "wal_bytes_per_change": round(float(wal) / CHANGES, 1),
        "pg_cpu_us_per_change": round(cpu / CHANGES * 1e6, 1),
        "statement_seconds": round(wall, 2),
    }


def _write(result: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


async def main() -> None:
    applied = _applied()
    load = os.getloadavg()
    async with fresh_postgres_database("bench_membership_writes") as url:
        database = Database(url)
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            segment_id = uuid.uuid4()
            await conn.execute(
                text(
                    "INSERT INTO segments (id, workspace_id, name, description, rule, live, "
                    "time_dependent, version, created_by, created_at, updated_at) VALUES "
                    "(:id, :w, '品牌 audience', '', '{}', true, false, 1, 'bench', now(), now())"
                ),
                {"id": segment_id, "w": uuid.UUID(int=1)},
            )
        entering = await _phase(database, applied, segment_id, enter=True)
        leaving = await _phase(database, applied, segment_id, enter=False)
        await database.dispose()
    result: dict[str, Any] = {
        "module": os.environ.get("BENCH_APPLIED", "segmentation.segments.applied"),
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "entering": entering,
        "leaving": leaving,
    }
    print(json.dumps(result, indent=2))
    _write(result)
    for name, phase in (("entering", entering), ("leaving", leaving)):
        print(
            f"TARGET {name}: {phase['wal_bytes_per_change']} WAL bytes and "
            f"{phase['pg_cpu_us_per_change']} us PostgreSQL CPU per membership change "
            f"({CHANGES} changes, load {load[0]:.1f})"
        )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
