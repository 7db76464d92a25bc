"""What the rate-limit sizes set through the API cost (issue #15): the per-request lookup of a
request's buckets (`LimitTable.buckets`) with the deployment's table alone and with STORED
workspaces and keys stored, and each replica's periodic read of the stored sizes
(`StoredLimits.reload`) on PostgreSQL: the gateway process's CPU and the PostgreSQL backend's
(from /proc) per read, unchanged (the steady state, every `rate_limit_refresh_seconds`) and
changed (the table rebuilt). Writes bench/results/rate_limit_sizes.json with the load average,
since the machine is shared.

Env: YUNYING_TEST_PG_URL (required), BENCH_STORED (1000), BENCH_LOOKUPS (200000), BENCH_READS (50).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from gateway.apikeys.models import ApiKey
from gateway.config import GatewaySettings
from gateway.main import DEFINITION
from gateway.ratelimit.limiter import RateLimiter
from gateway.ratelimit.limits import LimitTable
from gateway.ratelimit.models import ApiKeyRateLimit, WorkspaceRateLimit
from gateway.ratelimit.stored import StoredLimits
from gateway.workspaces.models import Workspace
from yunying_shared.auth import Principal
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "rate_limit_sizes.json"
STORED = int(os.environ.get("BENCH_STORED", "1000"))
LOOKUPS = int(os.environ.get("BENCH_LOOKUPS", "200000"))
READS = int(os.environ.get("BENCH_READS", "50"))
CLK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def _lookup_us(table: LimitTable, principals: list[Principal]) -> float:
    started = time.process_time()
    for i in range(LOOKUPS):
        table.buckets(principals[i % len(principals)], "10.0.0.7")
    return (time.process_time() - started) / LOOKUPS * 1e6


async def _stored_rows(database: Database) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    workspaces = [uuid.uuid4() for _ in range(STORED)]
    keys = [uuid.uuid4() for _ in range(STORED)]
    async with database.session() as session:
        session.add_all(
            Workspace(id=w, name=f"w{i}", slug=f"w{i}") for i, w in enumerate(workspaces)
        )
        await session.flush()
        session.add_all(
            ApiKey(id=k, workspace_id=w, name="k", prefix=f"p{i}", secret_hash="x", scopes=[])
            for i, (k, w) in enumerate(zip(keys, workspaces, strict=True))
        )
        await session.flush()
        session.add_all(
            WorkspaceRateLimit(workspace_id=w, kind="api_key", per_second=10.0, burst=100)
            for w in workspaces
        )
        session.add_all(ApiKeyRateLimit(api_key_id=k, per_second=5.0, burst=20) for k in keys)
        await session.commit()
    return workspaces, keys


async def _reload_cost(
    stored: StoredLimits, database: Database, *, change: bool
) -> dict[str, float]:
    async with database.session() as session:
        # pool_size=1: every read below runs on this one backend.
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        backends = list((await session.execute(query)).scalars())
    pg_before = sum(_cpu_seconds(pid) for pid in backends)
    started = time.process_time()
    for i in range(READS):
        if change:
            async with database.session() as session:
                await session.execute(
                    text("UPDATE api_key_rate_limits SET burst = :b"), {"b": 20 + i + 1}
                )
                await session.commit()
        await stored.reload()
    gateway_us = (time.process_time() - started) / READS * 1e6
    pg_us = (sum(_cpu_seconds(pid) for pid in backends) - pg_before) / READS * 1e6
    return {"gateway_cpu_us": round(gateway_us, 1), "postgresql_cpu_us": round(pg_us, 1)}


async def main() -> None:
    settings = GatewaySettings.for_gateway(environment="test")
    deployment = settings.rate_limit_table()
    async with fresh_postgres_database("bench_limits") as url:
        database = Database(url, pool_size=1)
        try:
            await upgrade(database, DEFINITION.migrations)
            workspaces, keys = await _stored_rows(database)
            limiter = RateLimiter(deployment)
            stored = StoredLimits(limiter, deployment, database, refresh_seconds=5)
            await stored.reload()
            principals = [
                Principal(str(k), "api_key", w) for k, w in zip(keys, workspaces, strict=True)
            ]
            results = {
                "stored_workspaces": STORED,
                "stored_keys": STORED,
                "lookup_us_deployment_table": round(_lookup_us(deployment, principals), 3),
                "lookup_us_with_stored": round(_lookup_us(limiter.table, principals), 3),
                "reload_unchanged": await _reload_cost(stored, database, change=False),
                "reload_changed_incl_update": await _reload_cost(stored, database, change=True),
                "load_average": os.getloadavg(),
            }
        finally:
            await database.dispose()
    print(json.dumps(results, indent=2))
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
