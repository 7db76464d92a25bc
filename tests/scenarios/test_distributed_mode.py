"""The distributed mode as `make up` starts it: one uvicorn process per service, Kafka between
them, a PostgreSQL database each. A workspace created through the gateway reaches every service
over the real broker; `down.sh` stops every process.

The run gets its own ports, state directory and (fresh) databases, so it does not disturb a
developer's `make up`; it reuses the PostgreSQL and Kafka that `make test` started.
"""

import asyncio
import contextlib
import os
import random
import socket
import subprocess
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from yunying_shared.kit import installed
from yunying_shared.testing.databases import fresh_postgres_database, kafka_bootstrap, pg_admin_url

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ADMIN = {"email": "ops@brand.example", "password": "distributed horse battery staple"}
SERVICES = sorted(installed(exclude=["gateway"]))
PROPAGATION_TIMEOUT = 60.0


def _free_port_range(count: int) -> int:
    """A base port such that base … base+count-1 are all free on loopback right now.

    Below Linux's ephemeral range (32768+), where the services' own outgoing connections to
    Kafka and PostgreSQL could take a port between this check and uvicorn's bind.
    """
    for _ in range(50):
        base = random.randrange(20_000, 32_000)
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeError("no free range of ports")


def _script(name: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "deploy/local" / name), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def _log_tails(local: Path) -> str:
    return "\n".join(
        f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-15:])
        for log in sorted((local / "logs").glob("*.log"))
    )


@pytest.fixture
async def environment(tmp_path):
    """up.sh's environment: separate ports and state dir, a fresh database per service."""
    pg_admin_url()  # skips (or fails in CI) before anything starts when PostgreSQL is absent
    bootstrap = kafka_bootstrap()
    base = _free_port_range(len(SERVICES) + 1)
    env = {
        **os.environ,
        "PORT": str(base),
        "YUNYING_LOCAL_PORT_OFFSET": str(base - 8100),  # services at local_port + offset
        "YUNYING_LOCAL_DIR": str(tmp_path / "local"),
        "YUNYING_KAFKA_BOOTSTRAP": bootstrap,
        "YUNYING_KAFKA_PORT": bootstrap.rsplit(":", 1)[1],
        "YUNYING_SKIP_BOOTSTRAP": "1",  # `make test` installed; do not touch the running venv
        "YUNYING_ADMIN_EMAIL": ADMIN["email"],
        "YUNYING_ADMIN_PASSWORD": ADMIN["password"],
    }
    async with AsyncExitStack() as stack:
        for service in ["gateway", *SERVICES]:
            url = await stack.enter_async_context(fresh_postgres_database("dist"))
            env[f"YUNYING_{service.upper().replace('-', '_')}_DATABASE_URL"] = url
        yield env


async def _wait_for_propagation(
    client: httpx.AsyncClient, auth: dict[str, str], workspace_id: str
) -> dict:
    deadline = asyncio.get_running_loop().time() + PROPAGATION_TIMEOUT
    while True:
        response = await client.get(f"/v1/workspaces/{workspace_id}/propagation", headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["complete"] or asyncio.get_running_loop().time() > deadline:
            return body
        await asyncio.sleep(0.25)


async def test_workspace_reaches_every_service_process_over_kafka(environment):
    env = environment
    local = Path(env["YUNYING_LOCAL_DIR"])
    gateway = f"http://127.0.0.1:{env['PORT']}"
    pids: dict[str, int] = {}
    try:
        up = await asyncio.to_thread(_script, "up.sh", env)
        assert up.returncode == 0, f"{up.stdout}\n{up.stderr}\n{_log_tails(local)}"
        assert gateway in up.stdout and "/v1/auth/login" in up.stdout
        pids = {p.stem: int(p.read_text()) for p in (local / "pids").glob("*.pid")}
        assert set(pids) == {"gateway", *SERVICES}
        assert len(set(pids.values())) == len(pids)  # one process per service

        # Each port is a different service, each on the Kafka bus and its own PostgreSQL.
        async with httpx.AsyncClient(timeout=10) as probe:
            for service, definition in installed(exclude=["gateway"]).items():
                port = definition.local_port + int(env["YUNYING_LOCAL_PORT_OFFSET"])
                ready = await probe.get(f"http://127.0.0.1:{port}/readyz")
                assert ready.status_code == 200, ready.text
                assert ready.json()["service"] == service
                assert ready.json()["checks"] == {"database": "ok", "bus": "ok"}

        async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
            login = await client.post("/v1/auth/login", json=ADMIN)
            assert login.status_code == 200, login.text
            auth = {"authorization": f"Bearer {login.json()['access_token']}"}
            slug = f"dist-{uuid.uuid4().hex[:8]}"
            created = await client.post(
                "/v1/workspaces", headers=auth, json={"name": "完美日记 Tmall", "slug": slug}
            )
            assert created.status_code == 201, created.text
            workspace_id = created.json()["id"]

            propagation = await _wait_for_propagation(client, auth, workspace_id)
            recorded = {s["service"] for s in propagation["services"] if s["recorded"]}
            assert recorded == {"gateway", *SERVICES}, (propagation, _log_tails(local))

            # Through the gateway's proxy, a service answers from its own database.
            scoped = {**auth, "x-workspace-id": workspace_id}
            seen = await client.get("/v1/sentiment-alert/workspace", headers=scoped)
            assert seen.status_code == 200, seen.text
            assert seen.json()["slug"] == slug

        # Running it again leaves the running services alone.
        again = await asyncio.to_thread(_script, "up.sh", env)
        assert again.returncode == 0, again.stderr
        for service in pids:
            assert f"{service} already running" in again.stderr
        assert {p.stem: int(p.read_text()) for p in (local / "pids").glob("*.pid")} == pids
    finally:
        down = await asyncio.to_thread(_script, "down.sh", env, "--keep-infra")
    assert down.returncode == 0, down.stderr
    assert not any(_alive(pid) for pid in pids.values())
    assert not list((local / "pids").glob("*.pid"))
    # Graceful: every service ran its shutdown (drained its consumer, left its group).
    for service in ["gateway", *SERVICES]:
        assert "Application shutdown complete" in (local / "logs" / f"{service}.log").read_text()
