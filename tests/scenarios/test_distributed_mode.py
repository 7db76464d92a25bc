"""The distributed mode as `make up` starts it: one uvicorn process per service, Kafka between
them, a PostgreSQL database each. A workspace created through the gateway reaches every service
over the real broker; `down.sh` stops every process.

The run gets its own ports, state directory and (fresh) databases, so it does not disturb a
developer's `make up`; it reuses the PostgreSQL and Kafka that `make test` started.
"""

import asyncio
import uuid

import httpx
import pytest

from yunying_shared.kit import installed

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

ADMIN = {"email": "ops@brand.example", "password": "distributed horse battery staple"}
SERVICES = sorted(installed(exclude=["gateway"]))
PROPAGATION_TIMEOUT = 60.0


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


async def test_workspace_reaches_every_service_process_over_kafka(distributed_mode):
    async with distributed_mode(admin=ADMIN) as mode:
        assert mode.up is not None
        up_output = mode.up.stdout
        assert mode.gateway_url in up_output and "/v1/auth/login" in up_output
        pids = dict(mode.pids)
        assert set(pids) == {"gateway", *SERVICES}
        assert len(set(pids.values())) == len(pids)  # one process per service

        # Each port is a different service, each on the Kafka bus and its own PostgreSQL.
        async with httpx.AsyncClient(timeout=10) as probe:
            for service in SERVICES:
                ready = await probe.get(f"http://127.0.0.1:{mode.port_of(service)}/readyz")
                assert ready.status_code == 200, ready.text
                assert ready.json()["service"] == service
                assert ready.json()["checks"] == {"database": "ok", "bus": "ok"}

        async with httpx.AsyncClient(base_url=mode.gateway_url, timeout=30) as client:
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
            assert recorded == {"gateway", *SERVICES}, (propagation, mode.log_tails())

            # Through the gateway's proxy, a service answers from its own database.
            scoped = {**auth, "x-workspace-id": workspace_id}
            seen = await client.get("/v1/sentiment-alert/workspace", headers=scoped)
            assert seen.status_code == 200, seen.text
            assert seen.json()["slug"] == slug

        # Running it again leaves the running services alone.
        again = await asyncio.to_thread(mode.run, "up.sh")
        assert again.returncode == 0, again.stderr
        for service in pids:
            assert f"{service} already running" in again.stderr
        assert {p.stem: int(p.read_text()) for p in (mode.local / "pids").glob("*.pid")} == pids
    # The fixture ran down.sh and checked its exit status.
    assert not mode.any_alive()
    assert not list((mode.local / "pids").glob("*.pid"))
    # Graceful: every service ran its shutdown (drained its consumer, left its group).
    for service in ["gateway", *SERVICES]:
        log = (mode.local / "logs" / f"{service}.log").read_text()
        assert "Application shutdown complete" in log
