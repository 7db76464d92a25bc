"""The embedded mode as a new user meets it: one process, log in, create a workspace, and see
every service record it through the bus; a restart keeps everything."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from yunying_shared.kit import installed
from yunying_shared.runtime.embedded import EmbeddedApp

ADMIN = {"email": "ops@brand.example", "password": "correct horse battery staple"}
SERVICES = set(installed())


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    return tmp_path


async def _started(state_dir: Path) -> tuple[EmbeddedApp, httpx.AsyncClient]:
    app = EmbeddedApp(state_dir)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    return app, client


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json=ADMIN)
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['access_token']}"}


async def _wait_for_propagation(client, auth, workspace_id) -> dict:
    for _ in range(200):
        response = await client.get(f"/v1/workspaces/{workspace_id}/propagation", headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        if all(service["recorded"] for service in body["services"]):
            return body
        await asyncio.sleep(0.05)
    return body


async def test_workspace_reaches_every_service_and_survives_restart(state_dir):
    app, client = await _started(state_dir)
    try:
        auth = await _login(client)
        created = await client.post(
            "/v1/workspaces", headers=auth, json={"name": "花西子旗舰店", "slug": "brand-a"}
        )
        assert created.status_code == 201, created.text
        workspace_id = created.json()["id"]

        propagation = await _wait_for_propagation(client, auth, workspace_id)
        assert {s["service"] for s in propagation["services"] if s["recorded"]} == SERVICES

        scoped = {**auth, "x-workspace-id": workspace_id}
        seen = await client.get("/v1/segmentation/workspace", headers=scoped)
        assert seen.status_code == 200
        assert seen.json()["name"] == "花西子旗舰店"
    finally:
        await client.aclose()
        await app.shutdown()

    app, client = await _started(state_dir)
    try:
        auth = await _login(client)
        listed = await client.get("/v1/workspaces", headers=auth)
        assert workspace_id in {w["id"] for w in listed.json()["items"]}
        scoped = {**auth, "x-workspace-id": workspace_id}
        again = await client.get("/v1/campaigns/workspace", headers=scoped)
        assert again.status_code == 200
    finally:
        await client.aclose()
        await app.shutdown()


async def test_unauthenticated_and_foreign_workspace_requests_are_refused(state_dir):
    app, client = await _started(state_dir)
    try:
        assert (await client.get("/v1/segmentation/workspace")).status_code == 401
        auth = await _login(client)
        foreign = {**auth, "x-workspace-id": "00000000-0000-4000-8000-000000000000"}
        response = await client.get("/v1/segmentation/workspace", headers=foreign)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    finally:
        await client.aclose()
        await app.shutdown()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_yunying_run_serves_and_prints_how_to_log_in(tmp_path):
    port = _free_port()
    env = {**os.environ, "YUNYING_STATE_DIR": str(tmp_path), "PORT": str(port)}
    env.pop("YUNYING_ADMIN_PASSWORD", None)
    cli = Path(sys.executable).parent / "yunying"
    process = subprocess.Popen(
        [str(cli), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("yunying run did not answer /healthz within 60 s")
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
        assert docs.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in output
    assert "password" in output.lower()
    assert (tmp_path / "gateway.sqlite3").exists()
