"""The embedded mode as a user runs it (`yunying run`, one process on a free port), logged in
as the first admin and with an API key holding every scope, for property-based API testing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis

ADMIN = {"email": "fuzz-admin@yunying.local", "password": "fuzz-admin-Passw0rd-7341!"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("fuzz-state")
    port = _free_port()
    env = {
        **os.environ,
        "YUNYING_STATE_DIR": str(state),
        "YUNYING_ADMIN_EMAIL": ADMIN["email"],
        "YUNYING_ADMIN_PASSWORD": ADMIN["password"],
        "YUNYING_BUS": "local",
    }
    log = (Path(state) / "yunying.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("yunying")), "run", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (Path(state) / "yunying.log").read_text()[-3000:]
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


@pytest.fixture(scope="session")
def admin_headers(embedded: str) -> dict[str, str]:
    response = httpx.post(f"{embedded}/v1/auth/login", json=ADMIN, timeout=30)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def api_key_headers(embedded: str, admin_headers: dict[str, str]) -> dict[str, str]:
    workspaces = httpx.get(f"{embedded}/v1/workspaces", headers=admin_headers, timeout=30).json()[
        "items"
    ]
    workspace = next(w for w in workspaces if w["slug"] == "demo")["id"]
    document = httpx.get(f"{embedded}/openapi.json", timeout=30).json()
    scopes = document["components"]["schemas"]["ApiKeyIn"]["properties"]["scopes"]["items"]
    created = httpx.post(
        f"{embedded}/v1/workspaces/{workspace}/api-keys",
        json={"name": "fuzz", "scopes": scopes["enum"]},
        headers=admin_headers,
        timeout=30,
    )
    created.raise_for_status()
    return {"X-API-Key": created.json()["key"]}


@pytest.fixture(scope="session")
def api_schema(embedded: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{embedded}/openapi.json")
