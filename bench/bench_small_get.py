"""CPU per small GET of a segmentation process, and what it burns with no requests at all.

The gateway bench (`bench_gateway.py`) charges a service every CPU second it spends while the
load runs, background work included. This one splits the two, for segmentation started as the
gateway bench starts it (uvicorn, one worker, fresh PostgreSQL database, the local Kafka with a
consumer group of its own):

1. idle: IDLE seconds with no request (the outbox relay's polls, the Kafka consumers' fetches
   and heartbeats, the scheduled sweeps), as CPU ms per second of the process and of its
   PostgreSQL backends;
2. load: REQUESTS small GETs (`/v1/segmentation/workspace`, an internal token, one primary-key
   read) from an aiohttp client, CLIENTS at a time, after a warm-up: CPU per GET of the process,
   of its PostgreSQL backends and of this client, also net of the idle rate over the same time.

An A/B on a shared machine: `BENCH_TREES=/tmp/a,/tmp/b` (source trees, e.g. `git archive`
snapshots) serves each tree's segmentation side by side, each on its own database, and sends
the GETs in ROUNDS chunks alternating between them (the order flipped every round), so load
from other processes falls on both sides alike. Without it, the code on this PYTHONPATH.
With `PYSPY=1` (one tree) the load runs under py-spy (200 Hz, `--gil`, raw stacks in
BENCH_OUT.pyspy). On a loaded machine read it against `service_in_kernel`: a sample falls
where the process was when it lost its core, and a loopback send that wakes the reader is
where that happens, so the sends look far dearer in samples than in CPU.

Env: YUNYING_TEST_PG_URL, YUNYING_TEST_KAFKA_BOOTSTRAP; BENCH_REQUESTS (5000 per tree),
BENCH_CLIENTS (8), BENCH_IDLE (5), BENCH_ROUNDS (10), BENCH_TREES, PYSPY (0), BENCH_OUT (a file
to append the run's JSON line to).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import create_async_engine

from bench_gateway import (
    CLK,
    Process,
    _percentile,
    backend_cpu,
    backend_cpu_since,
    backend_pids,
    service_env,
)
from segmentation.main import DEFINITION as SEGMENTATION
from yunying_shared.auth import INTERNAL_TOKEN_HEADER, Principal, issue_internal_token
from yunying_shared.testing.databases import fresh_postgres_database
from yunying_shared.testing.groups import isolated_consumer_group

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "5000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
IDLE = float(os.environ.get("BENCH_IDLE", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
TREES = [tree for tree in os.environ.get("BENCH_TREES", "").split(",") if tree]
PYSPY = os.environ.get("PYSPY") == "1"
PACKAGES = ("shared", "services/segmentation")


@dataclass
class Side:
    """One tree's service, its database and what its GETs cost so far."""

    label: str
    service: Process
    database: str
    headers: dict[str, str]
    totals: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def add(self, part: str, value: float) -> None:
        self.totals[part] = self.totals.get(part, 0.0) + value


def _kernel_seconds(pid: int) -> float:
    """The process's CPU in the kernel (stime): on loopback TCP a send runs the receiver's side
    of the stack too, so this is where the sockets' cost shows."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[12]) / CLK


async def _record_workspace(url: str, workspace: uuid.UUID) -> None:
    engine = create_async_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                SEGMENTATION.tables.workspaces.insert().values(
                    id=workspace, name="Bench", slug="bench", created_at=now, recorded_at=now
                )
            )
    finally:
        await engine.dispose()


async def _gets(side: Side, count: int) -> None:
    """Sends `count` GETs to one side, CLIENTS at a time."""
    remaining = count
    async with aiohttp.ClientSession(base_url=side.service.url) as client:

        async def loop() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                async with client.get("/v1/segmentation/workspace", headers=side.headers) as r:
                    body = await r.read()
                    assert r.status == 200, body[:300]
                side.latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(loop() for _ in range(CLIENTS)))


async def _start(stack: AsyncExitStack, label: str, tree: str | None, secret: str) -> Side:
    state = Path(tempfile.mkdtemp(prefix="bench-small-get-"))
    database = await stack.enter_async_context(fresh_postgres_database("benchget"))
    group = (await isolated_consumer_group(database, SEGMENTATION))["consumer_group_prefix"]
    env = {
        **service_env(secret, state),
        "YUNYING_SEGMENTATION_DATABASE_URL": database,
        "YUNYING_CONSUMER_GROUP_PREFIX": group,
    }
    if tree is not None:
        env["PYTHONPATH"] = ":".join(str(Path(tree) / package) for package in PACKAGES)
    service = Process(f"segmentation-{label}", "segmentation.main:create_app", env, state)
    stack.callback(service.stop)
    await service.ready()
    workspace = uuid.uuid4()
    await _record_workspace(database, workspace)
    token = issue_internal_token(
        Principal("bench", "user", workspace, frozenset({"admin"})),
        secret=secret,
        ttl_seconds=3600,
    )
    return Side(label, service, database, {INTERNAL_TOKEN_HEADER: token})


def _pyspy(side: Side) -> subprocess.Popen[bytes]:
    raw = os.environ.get("BENCH_OUT", "/tmp/bench_small_get.json") + ".pyspy"
    return subprocess.Popen(
        [
            *("uv", "tool", "run", "py-spy", "record", "--pid", str(side.service.popen.pid)),
            *("--rate", "200", "-f", "raw", "-o", raw, "--nonblocking", "--gil"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def main() -> None:
    secret = uuid.uuid4().hex * 2
    trees: list[str | None] = list(TREES) or [None]
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trees": trees,
        "loadavg_before": os.getloadavg()[0],
    }
    async with AsyncExitStack() as stack:
        sides = [
            await _start(stack, chr(ord("a") + i), tree, secret) for i, tree in enumerate(trees)
        ]
        for side in sides:
            await _gets(side, 500)  # warm-up: pool, statement caches
            side.latencies.clear()
        await asyncio.sleep(1.0)  # the warm-up's last work settles

        pids = {side.label: await backend_pids(side.database) for side in sides}
        cpu = {side.label: (side.service.cpu(), backend_cpu(pids[side.label])) for side in sides}
        started = time.perf_counter()
        await asyncio.sleep(IDLE)
        idle_s = time.perf_counter() - started
        idle = {
            side.label: (
                (side.service.cpu() - cpu[side.label][0]) / idle_s,
                backend_cpu_since(cpu[side.label][1]) / idle_s,
            )
            for side in sides
        }

        spy = _pyspy(sides[0]) if PYSPY else None
        if spy is not None:
            await asyncio.sleep(3)  # py-spy attaches
        pids = {side.label: await backend_pids(side.database) for side in sides}
        chunk = max(1, REQUESTS // ROUNDS)
        for round_ in range(ROUNDS):
            for side in sides if round_ % 2 == 0 else sides[::-1]:
                service, postgres = side.service.cpu(), backend_cpu(pids[side.label])
                kernel = _kernel_seconds(side.service.popen.pid)
                client, started = time.process_time(), time.perf_counter()
                await _gets(side, chunk)
                side.add("wall", time.perf_counter() - started)
                side.add("service", side.service.cpu() - service)
                side.add("kernel", _kernel_seconds(side.service.popen.pid) - kernel)
                side.add("postgres", backend_cpu_since(postgres))
                side.add("client", time.process_time() - client)
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
            spy.wait(timeout=60)

    count = chunk * ROUNDS
    for side in sides:
        idle_rate, idle_postgres = idle[side.label]
        t = side.totals
        result[side.label] = {
            "idle_cpu_ms_per_s": {
                "service": round(idle_rate * 1000, 2),
                "postgres": round(idle_postgres * 1000, 2),
            },
            "requests": count,
            "rps": round(count / t["wall"], 1),
            "p99_ms": round(_percentile(side.latencies, 0.99) * 1000, 2),
            "cpu_us_per_get": {
                "service": round(t["service"] * 1e6 / count),
                "service_net_of_idle": round((t["service"] - idle_rate * t["wall"]) * 1e6 / count),
                "service_in_kernel": round(t["kernel"] * 1e6 / count),
                "postgres": round(t["postgres"] * 1e6 / count),
                "client": round(t["client"] * 1e6 / count),
            },
        }
    result["loadavg_after"] = os.getloadavg()[0]
    line = json.dumps(result)
    print(line, flush=True)
    out = os.environ.get("BENCH_OUT")
    if out:
        with Path(out).open("a") as f:  # noqa: ASYNC230 (after the measure)
            f.write(line + "\n")


if __name__ == "__main__":
    asyncio.run(main())
