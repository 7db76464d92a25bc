"""Ingestion in the distributed mode: POST /v1/events through the gateway, sustained events/s.

`deploy/local/up.sh` starts the gateway and every service as uvicorn processes on their own
ports, state directory and fresh PostgreSQL databases, on the local Kafka (as the scenario test
tests/scenarios/test_distributed_mode.py does). The bench logs in as the bootstrap admin, creates
a workspace, waits until segmentation knows it, creates an API key with `events:write`, then
CLIENTS concurrent httpx clients post pre-encoded batches of BATCH events (50,000 distinct users,
5 event types, a purchase in five) for DURATION seconds after a warm-up. Every response is
checked: each batch must come back 200 with all its items accepted, which ingestion only
answers after the events are stored and the profiles upserted and re-staged in the same
transaction; a sample of profiles is read back through the gateway at the end.

Run twice: segmentation as one uvicorn worker, then every service with WEB_CONCURRENCY workers
(uvicorn's env knob for --workers; replicas are how the design scales). For comparison the same
load goes straight to the segmentation port with an internal token (the gateway's proxy cost is
the difference). CPU seconds per process group (gateway, segmentation, postgres, kafka, this
client) are read from /proc during the measured window: on 2 cores they say where the time goes.

Env: YUNYING_TEST_PG_URL, YUNYING_TEST_KAFKA_BOOTSTRAP (as `make bench` sets them),
BENCH_DURATION (default 30), BENCH_CLIENTS (default 4), BENCH_WORKERS (default "1,2"),
BENCH_SPREAD_MINUTES (default 10,000: events dated up to about a week back, so most are older than
the default `history_after_hours` of 24 and count as late events; 1,200 keeps them within 20 hours).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from yunying_shared.auth import INTERNAL_TOKEN_HEADER, Principal, issue_internal_token
from yunying_shared.kit import installed
from yunying_shared.testing.databases import fresh_postgres_database, kafka_bootstrap

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "ingestion.json"
SERVICES = sorted(installed(exclude=["gateway"]))
ADMIN = {"email": "bench@brand.example", "password": "bench horse battery staple"}
BATCH = 500
USERS = 50_000
DURATION = float(os.environ.get("BENCH_DURATION", "30"))
WARMUP = 5.0
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
WORKERS = [int(w) for w in os.environ.get("BENCH_WORKERS", "1,2").split(",")]
SPREAD_MINUTES = int(os.environ.get("BENCH_SPREAD_MINUTES", "10000"))
CLK = os.sysconf("SC_CLK_TCK")


def _free_ports(count: int) -> int:
    for _ in range(50):
        base = random.randrange(20_000, 32_000)
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    stack.enter_context(socket.socket()).bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeError("no free range of ports")


def _script(name: str, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        ["bash", str(REPO / "deploy/local" / name), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"{name} failed:\n{done.stdout}\n{done.stderr}")


def _cpu_ticks() -> tuple[dict[int, int], dict[int, int], dict[int, str]]:
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        fields = rest.split()
        pid = int(entry.name)
        parents[pid], names[pid] = int(fields[1]), name
        ticks[pid] = int(fields[11]) + int(fields[12])
    return parents, ticks, names


def _cpu_by_group(
    pids: dict[str, int],
    before: dict[int, int],
    after: tuple[dict[int, int], dict[int, int], dict[int, str]],
) -> dict[str, float]:
    """CPU seconds between two readings, grouped: each service's process tree, PostgreSQL,
    Kafka, this process; the rest is 'other' (other engineers' work on a shared machine).
    Processes that exited in between are not counted."""
    parents, ticks, names = after
    roots = {pid: group for group, pid in pids.items()}

    def group_of(pid: int) -> str:
        seen = pid
        while seen > 1:
            if seen in roots:
                return roots[seen]
            seen = parents.get(seen, 1)
        if names[pid] == "postgres":
            return "postgres"
        if names[pid] == "java":
            return "kafka"
        return "client" if pid == os.getpid() else "other"

    groups: dict[str, float] = {}
    for pid, tick in ticks.items():
        group = group_of(pid)
        groups[group] = groups.get(group, 0.0) + (tick - before.get(pid, 0)) / CLK
    return groups


def _bodies(now: datetime, count: int) -> list[bytes]:
    kinds = ["page_view", "product_view", "login", "purchase", "share"]
    run = uuid.uuid4().hex[:8]
    bodies = []
    for b in range(count):
        events = []
        for i in range(BATCH):
            n = b * BATCH + i
            item = {
                "event_id": f"{run}-{n}",
                "user_id": f"user-{(n * 7919) % USERS}",
                "type": kinds[n % len(kinds)],
                "occurred_at": (now - timedelta(minutes=n % SPREAD_MINUTES)).isoformat(),
                "properties": {"page": "/p"},
            }
            if item["type"] == "purchase":
                item.update(amount="59.90", currency="CNY", order_id=f"o-{run}-{n}")
            events.append(item)
        bodies.append(json.dumps({"events": events}).encode())
    return bodies


async def _lock_waits(database_url: str, stop: asyncio.Event) -> float:
    """Mean number of segmentation's PostgreSQL sessions waiting on a lock (sampled every
    50 ms): concurrent batches touching the same profiles queue behind each other's row locks
    until the holder commits."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    samples: list[int] = []
    try:
        while not stop.is_set():
            samples.append(
                await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    return round(sum(samples) / max(len(samples), 1), 2)


async def _drive(
    url: str, headers: dict[str, str], pids: dict[str, int], database_url: str
) -> dict:
    # enough for 20,000 events/s over the warm-up and the window
    bodies = _bodies(datetime.now(UTC), int((WARMUP + DURATION + 5) * 40))
    queue = iter(bodies)
    counts = {"accepted": 0, "batches": 0, "latency": 0.0}
    window: dict[str, float] = {}
    measuring = asyncio.Event()
    stop = asyncio.Event()

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            for body in queue:
                if stop.is_set():
                    return
                sent = time.perf_counter()
                response = await http.post("/v1/events", content=body, headers=headers)
                took = time.perf_counter() - sent
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
                accepted = json.loads(response.content)["accepted"]
                if accepted != BATCH:
                    raise RuntimeError(f"only {accepted} of {BATCH} accepted")
                if measuring.is_set() and not stop.is_set():
                    counts["accepted"] += accepted
                    counts["batches"] += 1
                    counts["latency"] += took

    async def clock() -> None:
        await asyncio.sleep(WARMUP)
        cpu_before = _cpu_ticks()[1]
        window["started"] = time.perf_counter()
        measuring.set()
        await asyncio.sleep(DURATION)
        stop.set()
        window["seconds"] = time.perf_counter() - window["started"]
        window["cpu"] = _cpu_by_group(pids, cpu_before, _cpu_ticks())  # type: ignore[assignment]

    timer = asyncio.create_task(clock())
    waits = asyncio.create_task(_lock_waits(database_url, stop))
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    if not stop.is_set():
        raise RuntimeError("ran out of pre-built batches before the window ended")
    await timer
    seconds = window["seconds"]
    cpu = {group: round(busy / seconds, 2) for group, busy in window["cpu"].items()}  # type: ignore[union-attr]
    return {
        "events_per_second": round(counts["accepted"] / seconds),
        "batches_per_second": round(counts["batches"] / seconds, 1),
        "seconds": round(seconds, 1),
        "events": counts["accepted"],
        "mean_batch_latency_ms": round(1000 * counts["latency"] / max(counts["batches"], 1)),
        "mean_sessions_waiting_on_locks": await waits,
        "cpu_cores_busy": dict(sorted(cpu.items(), key=lambda kv: -kv[1])),
        # CPU per accepted event by process group: what a busy machine distorts least
        "cpu_us_per_event": {
            group: round(1e6 * busy / max(counts["accepted"], 1))
            for group, busy in sorted(window["cpu"].items(), key=lambda kv: -kv[1])  # type: ignore[union-attr]
        },
    }


async def _login_workspace_key(gateway: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        login = await client.post("/v1/auth/login", json=ADMIN)
        login.raise_for_status()
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}
        created = await client.post(
            "/v1/workspaces",
            headers=auth,
            json={"name": "Bench brand", "slug": f"bench-{uuid.uuid4().hex[:8]}"},
        )
        created.raise_for_status()
        workspace_id = created.json()["id"]
        for _ in range(240):
            body = (
                await client.get(f"/v1/workspaces/{workspace_id}/propagation", headers=auth)
            ).json()
            if any(s["service"] == "segmentation" and s["recorded"] for s in body["services"]):
                break
            await asyncio.sleep(0.25)
        else:
            raise RuntimeError("segmentation never recorded the workspace")
        key = await client.post(
            f"/v1/workspaces/{workspace_id}/api-keys",
            headers=auth,
            json={"name": "bench CRM", "scopes": ["events:write", "profiles:read"]},
        )
        key.raise_for_status()
        return workspace_id, key.json()["key"]


async def _sample_profiles(gateway: str, headers: dict[str, str]) -> int:
    """Profiles read back through the gateway: each must show events folded in."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        seen = 0
        for i in range(0, 50, 7):
            response = await client.get(f"/v1/users/user-{i}", headers=headers)
            response.raise_for_status()
            if response.json()["last_active_at"] is not None:
                seen += 1
        return seen


async def run(workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as state:
        base = _free_ports(len(SERVICES) + 1)
        env = {
            **os.environ,
            "PORT": str(base),
            "YUNYING_LOCAL_PORT_OFFSET": str(base - 8100),  # services at local_port + offset
            "YUNYING_LOCAL_DIR": str(Path(state) / "local"),
            "YUNYING_KAFKA_BOOTSTRAP": kafka_bootstrap(),
            "YUNYING_SKIP_BOOTSTRAP": "1",
            "YUNYING_ADMIN_EMAIL": ADMIN["email"],
            "YUNYING_ADMIN_PASSWORD": ADMIN["password"],
            "WEB_CONCURRENCY": str(workers),
        }
        env["YUNYING_KAFKA_PORT"] = env["YUNYING_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1]
        async with AsyncExitStack() as stack:
            for service in ["gateway", *SERVICES]:
                url = await stack.enter_async_context(fresh_postgres_database("bench_ing"))
                env[f"YUNYING_{service.upper().replace('-', '_')}_DATABASE_URL"] = url
            try:
                await asyncio.to_thread(_script, "up.sh", env)
                local = Path(env["YUNYING_LOCAL_DIR"])
                pids = {p.stem: int(p.read_text()) for p in (local / "pids").glob("*.pid")}
                gateway = f"http://127.0.0.1:{base}"
                workspace_id, key = await _login_workspace_key(gateway)
                via_gateway = {"x-api-key": key, "content-type": "application/json"}
                result = {"workers_per_service": workers, "load_before": os.getloadavg()[0]}
                database_url = env["YUNYING_SEGMENTATION_DATABASE_URL"]
                result["through_gateway"] = await _drive(gateway, via_gateway, pids, database_url)
                print(
                    f"workers={workers} through the gateway:", result["through_gateway"], flush=True
                )
                secret = (local / "internal-token-secret").read_text().strip()
                token = issue_internal_token(
                    Principal(
                        subject="bench",
                        kind="api_key",
                        workspace_id=uuid.UUID(workspace_id),
                        scopes=frozenset({"events:write"}),
                    ),
                    secret=secret,
                    ttl_seconds=3600,
                )
                direct = {INTERNAL_TOKEN_HEADER: token, "content-type": "application/json"}
                result["direct_to_segmentation"] = await _drive(
                    f"http://127.0.0.1:{base + 1}", direct, pids, database_url
                )
                print(
                    f"workers={workers} straight to segmentation:",
                    result["direct_to_segmentation"],
                    flush=True,
                )
                result["profiles_sampled_with_activity"] = await _sample_profiles(
                    gateway, via_gateway
                )
                result["load_after"] = os.getloadavg()[0]
                return result
            finally:
                await asyncio.to_thread(_script, "down.sh", env, "--keep-infra")


async def main() -> None:
    measured_at = datetime.now(UTC).replace(microsecond=0)
    runs = [await run(workers) for workers in WORKERS]
    results = {
        "batch": BATCH,
        "clients": CLIENTS,
        "duration_seconds": DURATION,
        "warmup_seconds": WARMUP,
        "distinct_users": USERS,
        "runs": runs,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": measured_at.isoformat(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    for measured in runs:
        gateway = measured["through_gateway"]
        figure = gateway["events_per_second"]
        verdict = "met" if figure >= 10_000 else "missed"
        cpu = gateway["cpu_us_per_event"].get("segmentation", "?")
        print(
            f"TARGET >= 10,000 events/s through the gateway, {measured['workers_per_service']}"
            f" worker(s): {figure:,} ({verdict}); segmentation CPU {cpu} µs/event;"
            f" load {measured['load_before']:.2f} at the start"
        )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
