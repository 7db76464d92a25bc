"""Coupon redemption (`POST /v1/coupons/redeem`) against a running campaigns server.

The service runs as it does in production: its own uvicorn process (PostgreSQL, pool of
BENCH_POOL, default 50; the local log as its bus, so no consumer joins the shared broker's
group), called over HTTP by this process with an internal token carrying an API key's
`coupons:redeem` scope (what the gateway forwards). Every request redeems a distinct issued
coupon, so all must answer 200; the coupons and `coupon.redeemed` outbox rows are counted after.

Phases, each after a warm-up of 200 sequential redemptions:
1. alone: BENCH_ALONE (default 300) sequential redemptions: the latency of one request.
2. closed loop: 200 clients, each redeeming its own codes one after the other, BENCH_CLOSED
   (default 2,000) in all: p50/p95/p99 and throughput with 200 always in flight.
3. bursts: BENCH_BURSTS (default 5) times 200 requests sent at once (the next burst after the
   last answer): each request's latency from the burst's start, and the time to drain it.
4. open loop: Poisson arrivals at 40% and 70% of the closed loop's throughput (BENCH_OPEN,
   default 600 each): latency at an arrival rate the machine can serve.

CPU per redemption: the server process's CPU (/proc/<pid>/stat) less what it spends idle
over the same time (its relay, consumer and jobs poll; measured for 5 s before the phases),
plus that of its PostgreSQL backends (their pids from pg_stat_activity, /proc when PostgreSQL
runs on this machine); the client's own CPU (this process) is reported apart. CPU time, unlike
latency, stays meaningful on a machine shared with other work. Little's law: 200 in flight
at p99 < 20 ms needs 200 / 0.020 = 10,000 redemptions/s, i.e. at most 2 / 10,000 s = 200 µs of
CPU per redemption on 2 cores; `littles_law` sets that against the measured CPU.

The floor, measured in the same run with the same client: a bare FastAPI app (one GET answering
a constant, no middleware, no database) under uvicorn as the service runs (uvloop, httptools, no
access log), driven by the same closed loop of 200 clients for BENCH_FLOOR (default 2,000)
requests: its server CPU per request and throughput are what any request of this stack costs
before the platform does anything (`floor`).

    bench_redemption.py        # printed and written to bench/results/redemption.json
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text

from campaigns.coupons.bulk import issue_many
from campaigns.coupons.models import Coupon
from campaigns.coupons.schemas import TemplateIn
from campaigns.coupons.service import create_template
from campaigns.main import DEFINITION
from yunying_shared.auth import Principal
from yunying_shared.auth.principal import INTERNAL_TOKEN_HEADER
from yunying_shared.auth.tokens import issue_internal_token
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("BENCH_RESULTS", REPO / "bench/results/redemption.json"))
IN_FLIGHT = 200
WARM_UP = 200
ALONE = int(os.environ.get("BENCH_ALONE", "300"))
CLOSED = int(os.environ.get("BENCH_CLOSED", "2000"))
BURSTS = int(os.environ.get("BENCH_BURSTS", "5"))
OPEN = int(os.environ.get("BENCH_OPEN", "600"))
OPEN_SHARES = (0.4, 0.7)
IDLE_SECONDS = 5.0
POOL = int(os.environ.get("BENCH_POOL", "50"))
FLOOR = int(os.environ.get("BENCH_FLOOR", "2000"))
TARGET_P99_MS = 20.0
CORES = os.cpu_count() or 1
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, or None when it is not visible here."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


class CpuMeter:
    """CPU seconds of the server and of its PostgreSQL backends between two readings."""

    def __init__(self, server_pid: int, database: Database, name: str) -> None:
        self.server_pid = server_pid
        self.database = database
        self.name = name

    async def _backends(self) -> list[int]:
        async with self.database.session() as session:
            rows = await session.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.name},
            )
            return [int(pid) for (pid,) in rows]

    async def read(self) -> dict[str, Any]:
        backends = {pid: _cpu_seconds(pid) for pid in await self._backends()}
        return {
            "server": _cpu_seconds(self.server_pid),
            "postgres": {pid: cpu for pid, cpu in backends.items() if cpu is not None},
            "client": time.process_time(),
            "wall": time.perf_counter(),
        }


def _postgres_spent(before: dict[int, float], after: dict[int, float]) -> float | None:
    """Backends' CPU between two readings: a backend opened in between counts whole (it
    worked only in between); one closed in between is lost (the pool keeps most open)."""
    if not after:
        return None
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _per_request(
    before: dict[str, Any], after: dict[str, Any], count: int, idle_per_second: float | None
) -> dict[str, float | None]:
    """CPU ms per redemption: the server's, the server's less what it spends idle over the
    same time (its polling jobs), its PostgreSQL backends', and this client's."""
    server = None
    if after["server"] is not None and before["server"] is not None:
        server = (after["server"] - before["server"]) * 1000 / count
    busy = None
    if server is not None and idle_per_second is not None:
        busy = server - idle_per_second * (after["wall"] - before["wall"]) / count
    spent = _postgres_spent(before["postgres"], after["postgres"])
    postgres = None if spent is None else spent * 1000 / count
    return {
        "server_cpu_ms": None if server is None else round(server, 3),
        "server_cpu_ms_less_idle": None if busy is None else round(busy, 3),
        "postgres_cpu_ms": None if postgres is None else round(postgres, 3),
        "service_cpu_ms": None if busy is None or postgres is None else round(busy + postgres, 3),
        "client_cpu_ms": round((after["client"] - before["client"]) * 1000 / count, 3),
    }


def _latencies(samples: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(samples), 2),
    }


class Redeemer:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.failures: list[str] = []

    async def redeem(self, code: str) -> float:
        """One redemption's latency in ms; a non-200 answer is recorded as a failure."""
        started = time.perf_counter()
        response = await self.client.post(
            "/v1/coupons/redeem", headers=self.headers, json={"code": code, "order_id": code}
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            self.failures.append(f"{response.status_code} {response.text[:200]}")
        return elapsed


async def _seed(database: Database, workspace_id: uuid.UUID, count: int) -> list[str]:
    now = datetime.now(UTC)
    async with database.session() as session, session.begin():
        template = await create_template(
            session,
            workspace_id=workspace_id,
            data=TemplateIn(name="到店券", kind="amount_off", amount_off=Decimal("5")),
        )
        for start in range(0, count, 5000):
            await issue_many(
                session,
                workspace_id=workspace_id,
                template_id=template.id,
                campaign_id=None,
                grants=[(f"u{i}", "bench") for i in range(start, min(count, start + 5000))],
                now=now,
            )
    async with database.session() as session:
        return list(await session.scalars(select(Coupon.code).order_by(Coupon.user_id)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


floor_app = FastAPI()


@floor_app.get("/")
async def _constant() -> dict[str, bool]:
    return {"ok": True}


def _uvicorn(target: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            # Longer than any pause between phases: a keep-alive connection the server closes
            # just as the client reuses it fails the request (a ReadError), not the service.
            "--timeout-keep-alive",
            "300",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
    )


def _spawn_server(url: str, state_dir: Path, secret: str) -> tuple[subprocess.Popen[bytes], int]:
    """The campaigns service as `make up` runs it: uvicorn with the service's app factory."""
    port = _free_port()
    env = {
        **os.environ,
        "YUNYING_ENVIRONMENT": "test",
        "YUNYING_STATE_DIR": str(state_dir),
        "YUNYING_CAMPAIGNS_DATABASE_URL": url,
        "YUNYING_CAMPAIGNS_DATABASE_POOL_SIZE": str(POOL),
        "YUNYING_BUS": "local",
        "YUNYING_INTERNAL_TOKEN_SECRET": secret,
        "YUNYING_LOG_LEVEL": "WARNING",
    }
    server = _uvicorn(["campaigns.main:create_app", "--factory"], port, env)
    return server, port


async def _start_server(
    url: str, state_dir: Path, secret: str
) -> tuple[subprocess.Popen[bytes], str]:
    server, port = _spawn_server(url, state_dir, secret)
    return server, await _ready(server, port, "/readyz")


async def _ready(server: subprocess.Popen[bytes], port: int, probe_path: str) -> str:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as probe:
        for _ in range(1800):  # a loaded machine takes its time to import and migrate
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                if (await probe.get(probe_path)).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not become ready within 180 s")


async def _floor() -> dict[str, Any]:
    """The bare FastAPI app under uvicorn, the same client and closed loop of IN_FLIGHT."""
    port = _free_port()
    server = _uvicorn(
        ["bench_redemption:floor_app", "--app-dir", str(REPO / "bench")], port, {**os.environ}
    )
    try:
        base = await _ready(server, port, "/")
        limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
            for _ in range(WARM_UP):
                (await client.get("/")).raise_for_status()
            latencies: list[float] = []

            async def one_client(count: int) -> None:
                for _ in range(count):
                    started = time.perf_counter()
                    (await client.get("/")).raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1000)

            cpu = _cpu_seconds(server.pid)
            started = time.perf_counter()
            await asyncio.gather(*(one_client(FLOOR // IN_FLIGHT) for _ in range(IN_FLIGHT)))
            seconds = time.perf_counter() - started
            spent = _cpu_seconds(server.pid)
        count = FLOOR // IN_FLIGHT * IN_FLIGHT
        return {
            "clients": IN_FLIGHT,
            "requests": count,
            **_latencies(latencies),
            "per_second": round(count / seconds),
            "server_cpu_us": (
                None if cpu is None or spent is None else round((spent - cpu) * 1e6 / count)
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _alone(redeemer: Redeemer, codes: list[str]) -> list[float]:
    return [await redeemer.redeem(code) for code in codes]


async def _closed_loop(redeemer: Redeemer, codes: list[str]) -> tuple[list[float], float]:
    """IN_FLIGHT clients, each redeeming its share of the codes one after the other."""
    shares = [codes[i::IN_FLIGHT] for i in range(IN_FLIGHT)]
    latencies: list[float] = []

    async def client(mine: list[str]) -> None:
        for code in mine:
            latencies.append(await redeemer.redeem(code))

    started = time.perf_counter()
    await asyncio.gather(*(client(mine) for mine in shares))
    return latencies, time.perf_counter() - started


async def _bursts(redeemer: Redeemer, codes: list[str]) -> tuple[list[float], list[float]]:
    latencies: list[float] = []
    drains: list[float] = []
    for start in range(0, len(codes), IN_FLIGHT):
        burst = codes[start : start + IN_FLIGHT]
        started = time.perf_counter()
        latencies += await asyncio.gather(*(redeemer.redeem(code) for code in burst))
        drains.append((time.perf_counter() - started) * 1000)
    return latencies, drains


async def _open_loop(
    redeemer: Redeemer, codes: list[str], rate: float, seed: int
) -> tuple[list[float], float]:
    """Poisson arrivals at `rate` per second, whatever the answers' pace."""
    pace = random.Random(seed)
    tasks = []
    started = time.perf_counter()
    due = started
    for code in codes:
        due += pace.expovariate(rate)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(redeemer.redeem(code)))
    latencies = list(await asyncio.gather(*tasks))
    return latencies, time.perf_counter() - started


def littles_law(service_cpu_ms: float | None, closed_per_second: float) -> dict[str, Any]:
    needed = IN_FLIGHT / (TARGET_P99_MS / 1000)
    out: dict[str, Any] = {
        "in_flight": IN_FLIGHT,
        "target_p99_ms": TARGET_P99_MS,
        "throughput_needed_per_second": round(needed),
        "cpu_budget_per_redemption_ms": round(CORES * 1000 / needed, 3),
        # At the measured throughput, 200 in flight wait this long on average (W = L / λ).
        "mean_latency_at_measured_throughput_ms": round(IN_FLIGHT * 1000 / closed_per_second, 1),
    }
    if service_cpu_ms:
        ceiling = CORES * 1000 / service_cpu_ms
        out["throughput_ceiling_per_second"] = round(ceiling)
        out["mean_latency_floor_at_200_in_flight_ms"] = round(IN_FLIGHT * 1000 / ceiling, 1)
    return out


async def run() -> dict[str, Any]:
    secret = secrets.token_urlsafe(32)
    workspace_id = uuid.uuid4()
    open_total = OPEN * len(OPEN_SHARES)
    total = WARM_UP + ALONE + CLOSED + BURSTS * IN_FLIGHT + open_total
    async with fresh_postgres_database("bench_redeem") as url:
        database = Database(url, pool_size=2)
        await upgrade(database, DEFINITION.migrations)
        codes = await _seed(database, workspace_id, total)
        random.Random(12).shuffle(codes)
        name = url.rsplit("/", 1)[1]
        with tempfile.TemporaryDirectory() as state_dir:
            server, base = await _start_server(url, Path(state_dir), secret)
            try:
                result = await _phases(
                    server.pid, database, name, base, secret, workspace_id, codes
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
        async with database.session() as session:
            redeemed = await session.scalar(
                select(func.count()).select_from(Coupon).where(Coupon.redeemed_at.is_not(None))
            )
            events = await session.scalar(
                select(func.count())
                .select_from(DEFINITION.tables.outbox)
                .where(
                    DEFINITION.tables.outbox.c.headers["ce_type"].as_string()
                    == "yunying.coupon.redeemed.v1"
                )
            )
        await database.dispose()
    assert redeemed == total == events, (redeemed, total, events)
    result["checked"] = {"redeemed": redeemed, "coupon_redeemed_events": events}
    result["floor"] = await _floor()
    print("floor (bare FastAPI, same client)", json.dumps(result["floor"]), flush=True)
    result["littles_law"]["floor_cpu_us_per_request"] = result["floor"]["server_cpu_us"]
    return result


async def _phases(
    pid: int,
    database: Database,
    name: str,
    base: str,
    secret: str,
    workspace_id: uuid.UUID,
    codes: list[str],
) -> dict[str, Any]:
    pos = Principal(
        subject="pos",
        kind="api_key",
        workspace_id=workspace_id,
        scopes=frozenset({"coupons:redeem"}),
    )
    headers = {INTERNAL_TOKEN_HEADER: issue_internal_token(pos, secret=secret, ttl_seconds=3600)}
    meter = CpuMeter(pid, database, name)
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    result: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        redeemer = Redeemer(client, headers)
        taken = 0

        def take(count: int) -> list[str]:
            nonlocal taken
            chosen = codes[taken : taken + count]
            taken += count
            return chosen

        await _alone(redeemer, take(WARM_UP))

        # What the server spends with no request at all (its relay, consumer and jobs poll):
        # part of every per-redemption CPU figure below, more so the longer a phase lasts.
        idle = _cpu_seconds(pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle_after = _cpu_seconds(pid)
        idle_per_second = None
        if idle is not None and idle_after is not None:
            idle_per_second = (idle_after - idle) * 1000 / IDLE_SECONDS
            result["server_idle_cpu_ms_per_second"] = round(idle_per_second, 1)

        before = await meter.read()
        alone = await _alone(redeemer, take(ALONE))
        result["alone"] = {
            "redemptions": ALONE,
            **_latencies(alone),
            **_per_request(before, await meter.read(), ALONE, idle_per_second),
        }
        print("alone", json.dumps(result["alone"]), flush=True)

        before = await meter.read()
        closed, seconds = await _closed_loop(redeemer, take(CLOSED))
        result["closed_loop"] = {
            "clients": IN_FLIGHT,
            "redemptions": CLOSED,
            **_latencies(closed),
            "per_second": round(CLOSED / seconds),
            **_per_request(before, await meter.read(), CLOSED, idle_per_second),
        }
        print("closed loop", json.dumps(result["closed_loop"]), flush=True)

        before = await meter.read()
        burst, drains = await _bursts(redeemer, take(BURSTS * IN_FLIGHT))
        result["bursts"] = {
            "bursts": BURSTS,
            "size": IN_FLIGHT,
            **_latencies(burst),
            "drain_ms": round(statistics.median(drains), 1),
            **_per_request(before, await meter.read(), BURSTS * IN_FLIGHT, idle_per_second),
        }
        print("bursts", json.dumps(result["bursts"]), flush=True)

        result["open_loop"] = []
        for n, share in enumerate(OPEN_SHARES):
            rate = share * result["closed_loop"]["per_second"]
            before = await meter.read()
            opened, seconds = await _open_loop(redeemer, take(OPEN), rate, seed=n)
            result["open_loop"].append(
                {
                    "arrivals_per_second": round(rate),
                    "share_of_closed_loop_throughput": share,
                    "redemptions": OPEN,
                    **_latencies(opened),
                    "per_second": round(OPEN / seconds),
                    **_per_request(before, await meter.read(), OPEN, idle_per_second),
                }
            )
            print("open loop", json.dumps(result["open_loop"][-1]), flush=True)
        assert not redeemer.failures, redeemer.failures[:5]
    result["littles_law"] = littles_law(
        result["closed_loop"]["service_cpu_ms"], result["closed_loop"]["per_second"]
    )
    return result


def main() -> None:
    started_load = os.getloadavg()
    figures: dict[str, Any] = {
        "benchmark": "redemption",
        "at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": CORES, "python": platform.python_version()},
        **asyncio.run(run()),
    }
    figures["load_average"] = {"before": started_load, "after": os.getloadavg()}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    closed = figures["closed_loop"]
    print(
        f"TARGET coupon redemption p99 < {TARGET_P99_MS:g} ms with {IN_FLIGHT} in flight: "
        f"closed-loop p99 {closed['p99_ms']} ms, burst p99 {figures['bursts']['p99_ms']} ms, "
        f"{closed['per_second']}/s, {closed['service_cpu_ms']} ms CPU per redemption "
        f"(load {figures['load_average']['before'][0]:.1f})"
    )
    floor = figures["floor"]
    print(
        f"FLOOR bare FastAPI under uvicorn, same client, {IN_FLIGHT} in flight: "
        f"{floor['server_cpu_us']} us server CPU per request, {floor['per_second']}/s, "
        f"p99 {floor['p99_ms']} ms; the target needs <= "
        f"{figures['littles_law']['cpu_budget_per_redemption_ms'] * 1000:g} us per redemption"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
