"""Rate limits per API key, per user and per client address: headers on every API response,
429 with Retry-After, sizes per workspace and per key, Redis shared by replicas, and serving on
when Redis goes away."""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from redis.asyncio import Redis

from gateway.ratelimit.limits import Limit, LimitTable, WorkspaceLimits
from gateway.ratelimit.stores import KEY_PREFIX
from yunying_shared.auth import Principal
from yunying_shared.testing.redis import PrivateRedis, free_port, redis_url

ADMIN_PASSWORD = "admin-passw0rd-for-two"
# Slow refill: within a test, no bucket gains a token back, so counts are exact.
SLOW = 0.001


def limits_of(response: httpx.Response) -> tuple[int, int, int, int]:
    return (
        response.status_code,
        int(response.headers["x-ratelimit-limit"]),
        int(response.headers["x-ratelimit-remaining"]),
        int(response.headers["x-ratelimit-reset"]),
    )


def test_a_key_takes_its_own_size_then_its_workspace_s_then_the_default():
    workspace, other = uuid4(), uuid4()
    key, plain_key = uuid4(), uuid4()
    table = LimitTable(
        api_key=Limit(per_second=50, burst=200),
        user=Limit(per_second=20, burst=100),
        address=Limit(per_second=100, burst=1000),
        by_workspace={workspace: WorkspaceLimits(api_key=Limit(per_second=5, burst=10))},
        by_api_key={str(key): Limit(per_second=1, burst=2)},
    )

    def sizes(principal: Principal | None) -> list[tuple[str, str, int]]:
        return [(b.kind, b.key, b.limit.burst) for b in table.buckets(principal, "10.0.0.7")]

    assert sizes(Principal(str(key), "api_key", workspace)) == [
        ("api_key", f"key:{key}", 2),
        ("address", "addr:10.0.0.7", 1000),
    ]
    assert sizes(Principal(str(plain_key), "api_key", workspace))[0][2] == 10
    assert sizes(Principal(str(plain_key), "api_key", other))[0][2] == 200
    # The workspace sized only its keys: its users keep the default.
    assert sizes(Principal("u1", "user", workspace))[0] == ("user", "user:u1", 100)
    assert sizes(None) == [("address", "addr:10.0.0.7", 1000)]


async def test_every_api_response_carries_the_limit_and_the_429_says_when_to_retry(gateway_with):
    async with gateway_with(
        user_burst=3,
        user_rate_per_second=SLOW,
    ) as gateway:
        admin = await gateway.login()  # public: only the address bucket
        seen = [limits_of(await gateway.client.get("/v1/me", headers=admin)) for _ in range(3)]
        assert seen[0][:3] == (200, 3, 2)
        assert [s[:3] for s in seen] == [(200, 3, 2), (200, 3, 1), (200, 3, 0)]
        assert _about(seen[2][3], 3 / SLOW)  # seconds until the bucket is full again
        refused = await gateway.client.get("/v1/me", headers=admin)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/rate_limited")
        assert refused.json()["limit"] == "user"
        assert _about(refused.headers["retry-after"], 1 / SLOW)
        assert refused.headers["x-ratelimit-remaining"] == "0"
        # Proxied routes are limited by the same bucket; health is never limited.
        assert (await gateway.client.get("/v1/segmentation/echo", headers=admin)).status_code == 429
        health = await gateway.client.get("/healthz")
        assert health.status_code == 200 and "x-ratelimit-limit" not in health.headers


async def test_api_keys_are_sized_per_key_and_per_workspace(gateway_with, gateway_settings):
    async with gateway_with() as gateway:
        admin = await gateway.login()
        demo = await gateway.demo_id(admin)
        sized, plain = [
            (
                await gateway.client.post(
                    f"/v1/workspaces/{demo}/api-keys",
                    headers=admin,
                    json={"name": f"CRM {i}", "scopes": ["events:write"]},
                )
            ).json()
            for i in range(2)
        ]
        # As an operator would set them: YUNYING_GATEWAY_RATE_LIMITS_BY_WORKSPACE and
        # YUNYING_GATEWAY_RATE_LIMITS_BY_API_KEY hold these as JSON.
        configured = gateway_settings(
            "",
            rate_limits_by_workspace={demo: {"api_key": {"per_second": SLOW, "burst": 3}}},
            rate_limits_by_api_key={sized["id"]: {"per_second": SLOW, "burst": 1}},
        )
        gateway.app.state.rate_limiter.table = configured.rate_limit_table()

        async def post(key: dict[str, Any]) -> tuple[int, int, int, int]:
            response = await gateway.client.post(
                "/v1/events", headers={"X-API-Key": key["key"]}, json={}
            )
            return limits_of(response)

        assert [(await post(sized))[:3] for _ in range(2)] == [(200, 1, 0), (429, 1, 0)]
        assert [(await post(plain))[:3] for _ in range(4)] == [
            (200, 3, 2),
            (200, 3, 1),
            (200, 3, 0),
            (429, 3, 0),
        ]
        # Users of the workspace keep their own, default bucket.
        assert (await gateway.client.post("/v1/events", headers=admin, json={})).status_code == 200


async def test_two_gateway_processes_share_one_bucket_through_redis(tmp_path):
    url = redis_url()
    database = tmp_path / "gateway.sqlite3"
    common = {
        "YUNYING_ENVIRONMENT": "test",
        "YUNYING_STATE_DIR": str(tmp_path / "state"),
        "YUNYING_BUS": "local",
        "YUNYING_GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "YUNYING_GATEWAY_UPSTREAMS": "{}",
        "YUNYING_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "YUNYING_GATEWAY_PASSWORD_TIME_COST": "1",
        "YUNYING_GATEWAY_PASSWORD_MEMORY_KIB": "1024",
        "YUNYING_GATEWAY_PASSWORD_PARALLELISM": "1",
        "YUNYING_GATEWAY_RATE_LIMIT_REDIS_URL": url,
        "YUNYING_GATEWAY_USER_BURST": "3",
        "YUNYING_GATEWAY_USER_RATE_PER_SECOND": str(SLOW),
    }
    first = _start_gateway(tmp_path / "a.log", common)
    try:
        first_url = _wait_ready(first)
        second = _start_gateway(tmp_path / "b.log", common)  # after: the first one migrated
        try:
            second_url = _wait_ready(second)
            async with (
                httpx.AsyncClient(base_url=first_url) as a,
                httpx.AsyncClient(base_url=second_url) as b,
            ):
                login = await a.post(
                    "/v1/auth/login",
                    json={"email": "admin@yunying.local", "password": ADMIN_PASSWORD},
                )
                assert login.status_code == 200, login.text
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                sequence = []
                for client in (a, b, a, b, a):
                    response = await client.get("/v1/me", headers=headers)
                    sequence.append(
                        (
                            response.status_code,
                            response.headers["x-ratelimit-remaining"],
                            "Retry-After" in response.headers,
                        )
                    )
                    if response.status_code == 429:
                        assert _about(response.headers["retry-after"], 1 / SLOW)
                assert sequence == [
                    (200, "2", False),
                    (200, "1", False),
                    (200, "0", False),
                    (429, "0", True),
                    (429, "0", True),
                ]
                for client in (a, b):
                    ready = (await client.get("/readyz")).json()
                    assert ready["checks"]["rate_limits"] == "ok"
        finally:
            _stop(second)
    finally:
        _stop(first)


async def test_the_gateway_keeps_serving_when_redis_stops_and_shares_again_when_it_returns(
    gateway_with, tmp_path
):
    redis = PrivateRedis(tmp_path / "redis")
    redis.start()
    try:
        async with gateway_with(
            rate_limit_redis_url=redis.url,
            rate_limit_redis_retry_seconds=0.05,
            user_burst=5,
            user_rate_per_second=SLOW,
        ) as gateway:
            admin = await gateway.login()
            me = (await gateway.client.get("/v1/me", headers=admin)).json()
            remaining = [
                (await gateway.client.get("/v1/me", headers=admin)).headers["x-ratelimit-remaining"]
                for _ in range(2)
            ]
            assert remaining == ["3", "2"]
            async with Redis.from_url(redis.url) as direct:
                level = await direct.hget(f"{KEY_PREFIX}user:{me['id']}", "tokens")
            assert level is not None and math.floor(float(level)) == 2
            assert await _check(gateway, "rate_limits") == "ok"
            assert _metric(await _metrics(gateway), "yunying_gateway_rate_limits_shared") == 1

            redis.stop()
            during = [await gateway.client.get("/v1/me", headers=admin) for _ in range(2)]
            # Served, by this replica's own bucket (which starts full: 5 - 1, then 5 - 2).
            assert [r.status_code for r in during] == [200, 200]
            assert [r.headers["x-ratelimit-remaining"] for r in during] == ["4", "3"]
            status = await _check(gateway, "rate_limits")
            assert status.startswith("degraded: Redis unavailable")
            ready = await gateway.client.get("/readyz")
            assert ready.status_code == 200  # not critical: still in rotation
            metrics = await _metrics(gateway)
            assert _metric(metrics, "yunying_gateway_rate_limits_shared") == 0
            assert _metric(metrics, "yunying_gateway_rate_limit_store_errors_total") >= 1

            redis.start()  # an empty Redis on the same port: the bucket starts full there
            await asyncio.sleep(0.1)  # past rate_limit_redis_retry_seconds
            back = await gateway.client.get("/v1/me", headers=admin)
            assert back.status_code == 200
            assert back.headers["x-ratelimit-remaining"] == "4"
            assert await _check(gateway, "rate_limits") == "ok"
            assert _metric(await _metrics(gateway), "yunying_gateway_rate_limits_shared") == 1
    finally:
        redis.stop()


def _about(seconds: str | int, full: float) -> bool:
    """The wait for a bucket refilling at SLOW: `full` seconds less one per second the test
    has run since the bucket's first request (a loaded machine may take a few)."""
    return full - 60 <= int(seconds) <= math.ceil(full)


async def _check(gateway: Any, name: str) -> str:
    checks: dict[str, str] = (await gateway.client.get("/readyz")).json()["checks"]
    return checks[name]


async def _metrics(gateway: Any) -> str:
    response = await gateway.client.get("/metrics")
    assert response.status_code == 200
    return response.text


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def _start_gateway(log: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "uvicorn", "--factory", "gateway.main:create_app"),
                *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
            ],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, port, log


def _wait_ready(started: tuple[subprocess.Popen[bytes], int, Path]) -> str:
    process, port, log = started
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the gateway exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the gateway was not ready within 120 s: {log.read_text()[-3000:]}")


def _stop(started: tuple[subprocess.Popen[bytes], int, Path]) -> None:
    process = started[0]
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
