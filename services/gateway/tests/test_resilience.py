"""Resilience per upstream, against upstreams served over real sockets that a test stops and
starts again: retries for idempotent methods only, the circuit breaker opening after repeated
failures (503 with Retry-After at once), half-open probing, other upstreams unaffected, and the
state in /readyz and /metrics."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.main import create_app
from gateway.proxy.resilience import BreakerState, CircuitBreaker
from yunying_shared.auth import PrincipalDep
from yunying_shared.errors import install_error_handlers
from yunying_shared.http.middleware import AuthenticationMiddleware, internal_token_authenticator
from yunying_shared.testing.apps import Served, running
from yunying_shared.testing.databases import fresh_database

# Long enough that the checks between opening and probing finish on a loaded machine.
OPEN_SECONDS = 3.0


def fake_service(name: str, secret: str) -> FastAPI:
    """An upstream that trusts only the internal token; `/flaky` fails every other call."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(AuthenticationMiddleware, authenticate=internal_token_authenticator(secret))
    calls = {"flaky": 0}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.api_route("/v1/" + name + "/flaky", methods=["GET", "POST"])
    async def flaky(principal: PrincipalDep) -> Any:
        calls["flaky"] += 1
        if calls["flaky"] % 2 == 1:
            return JSONResponse({"detail": "overloaded"}, status_code=503)
        return {"service": name, "calls": calls["flaky"]}

    @app.get("/v1/" + name + "/slow")
    async def slow(principal: PrincipalDep) -> dict[str, str]:
        await asyncio.sleep(5)
        return {"service": name}

    @app.api_route("/v1/" + name + "/{rest:path}", methods=["GET", "POST"])
    async def anything(request: Request, principal: PrincipalDep) -> dict[str, str]:
        return {"service": name, "path": request.url.path}

    return app


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and line.split("{", 1)[1].split("}")[0] == wanted:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
async def two_upstreams(gateway_settings, tmp_path, local_transport):
    secret = gateway_settings("").internal_token_secret.get_secret_value()
    segmentation = Served(fake_service("segmentation", secret))
    campaigns = Served(fake_service("campaigns", secret))
    await segmentation.start()
    await campaigns.start()
    async with fresh_database("sqlite", tmp_path) as url:
        settings = gateway_settings(
            url,
            upstreams={"segmentation": segmentation.url, "campaigns": campaigns.url},
            upstream_retries=1,
            upstream_retry_backoff_seconds=0,
            upstream_breaker_failures=3,
            upstream_breaker_open_seconds=OPEN_SECONDS,
            upstream_policies={"campaigns": {"timeout_seconds": 0.5}},
        )
        app = create_app(settings, transport=local_transport)
        try:
            async with running(app) as client:
                yield client, segmentation, campaigns
        finally:
            await segmentation.stop()
            await campaigns.stop()


async def test_a_stopped_upstream_opens_its_breaker_alone_and_closes_when_it_returns(
    two_upstreams,
):
    client, segmentation, _ = two_upstreams
    login = await client.post(
        "/v1/auth/login", json={"email": "admin@yunying.local", "password": "admin-passw0rd"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def snapshot() -> tuple[dict[str, str], str]:
        checks = (await client.get("/readyz")).json()["checks"]
        return checks, (await client.get("/metrics")).text

    def failures(text: str) -> float:
        return metric(
            text,
            "yunying_gateway_upstream_failures_total",
            upstream="segmentation",
            reason="connect",
        )

    assert (await client.get("/v1/segmentation/a", headers=headers)).status_code == 200
    checks, text = await snapshot()
    assert checks["breaker:segmentation"] == "closed"
    before = failures(text)

    await segmentation.stop()
    # A GET is tried twice (one retry), a POST once: 2 + 1 = 3 failures open the breaker.
    first = await client.get("/v1/segmentation/a", headers=headers)
    assert first.status_code == 503
    assert first.headers["content-type"] == "application/problem+json"
    assert failures((await client.get("/metrics")).text) == before + 2
    posted = await client.post("/v1/segmentation/a", headers=headers, json={})
    assert posted.status_code == 503
    _, text = await snapshot()
    assert failures(text) == before + 3
    assert metric(text, "yunying_gateway_upstream_breaker_state", upstream="segmentation") == 2

    # Open: answered at once, without an attempt, with when to come back.
    short_before = metric(
        text, "yunying_gateway_upstream_short_circuited_total", upstream="segmentation"
    )
    fast = await client.get("/v1/segmentation/a", headers=headers)
    assert fast.status_code == 503
    assert fast.json()["circuit"] == "open"
    assert fast.json()["service"] == "segmentation"
    assert int(fast.headers["retry-after"]) >= 1
    checks, text = await snapshot()
    assert failures(text) == before + 3
    assert (
        metric(text, "yunying_gateway_upstream_short_circuited_total", upstream="segmentation")
        == short_before + 1
    )
    assert checks["breaker:segmentation"].startswith("open")
    assert checks["upstream:segmentation"].startswith("unavailable")
    # The other upstream is untouched.
    other = await client.get("/v1/campaigns/a", headers=headers)
    assert other.status_code == 200 and other.json()["service"] == "campaigns"
    assert checks["breaker:campaigns"] == "closed" and checks["upstream:campaigns"] == "ok"
    assert (await client.get("/readyz")).status_code == 200  # upstreams are not critical

    # Half-open: after the open period one probe goes; still down, so it opens again.
    await asyncio.sleep(OPEN_SECONDS + 0.1)
    probe = await client.get("/v1/segmentation/a", headers=headers)
    assert probe.status_code == 503 and "circuit" not in probe.json()
    _, text = await snapshot()
    assert failures(text) == before + 4  # the probe alone, no retry once open again
    assert (await client.get("/v1/segmentation/a", headers=headers)).json()["circuit"] == "open"

    # The upstream returns: the next probe closes the breaker.
    await segmentation.start()
    await asyncio.sleep(OPEN_SECONDS + 0.1)
    back = await client.get("/v1/segmentation/a", headers=headers)
    assert back.status_code == 200 and back.json()["service"] == "segmentation"
    checks, text = await snapshot()
    assert checks["breaker:segmentation"] == "closed"
    assert checks["upstream:segmentation"] == "ok"
    assert metric(text, "yunying_gateway_upstream_breaker_state", upstream="segmentation") == 0


async def test_only_idempotent_methods_are_retried(two_upstreams):
    client, _, _ = two_upstreams
    login = await client.post(
        "/v1/auth/login", json={"email": "admin@yunying.local", "password": "admin-passw0rd"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    # /flaky answers 503 on its 1st, 3rd, … call: a GET's retry lands on a good call …
    got = await client.get("/v1/campaigns/flaky", headers=headers)
    assert got.status_code == 200 and got.json()["calls"] == 2
    # … a POST is sent once and its 503 (call 3) is the answer.
    posted = await client.post("/v1/campaigns/flaky", headers=headers, json={})
    assert posted.status_code == 503
    again = await client.post("/v1/campaigns/flaky", headers=headers, json={})
    assert again.status_code == 200 and again.json()["calls"] == 4


async def test_a_service_that_does_not_answer_in_time_is_a_504(two_upstreams):
    client, _, _ = two_upstreams
    login = await client.post(
        "/v1/auth/login", json={"email": "admin@yunying.local", "password": "admin-passw0rd"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    before = metric(
        (await client.get("/metrics")).text,
        "yunying_gateway_upstream_failures_total",
        upstream="campaigns",
        reason="timeout",
    )
    late = await client.get("/v1/campaigns/slow", headers=headers)
    assert late.status_code == 504
    assert late.headers["content-type"] == "application/problem+json"
    assert late.json()["type"].endswith("/upstream_timeout")
    after = metric(
        (await client.get("/metrics")).text,
        "yunying_gateway_upstream_failures_total",
        upstream="campaigns",
        reason="timeout",
    )
    assert after == before + 2  # the GET and its one retry, each cut at campaigns' 0.5 s


def test_the_breaker_opens_after_consecutive_failures_and_probes_one_at_a_time():
    now = [0.0]
    breaker = CircuitBreaker("svc", failures_to_open=2, open_seconds=10, clock=lambda: now[0])
    breaker.failed()
    breaker.succeeded()  # a success in between resets the count
    breaker.failed()
    assert breaker.state is BreakerState.CLOSED and breaker.wait_seconds() == 0
    breaker.failed()
    assert breaker.state is BreakerState.OPEN
    assert breaker.wait_seconds() == 10
    now[0] = 4.0
    assert breaker.wait_seconds() == 6
    now[0] = 10.0
    assert breaker.wait_seconds() == 0  # this caller is the probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.wait_seconds() > 0  # a second caller waits for the probe's verdict
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED and breaker.wait_seconds() == 0


def test_a_breaker_per_upstream_takes_its_policy_from_the_settings(gateway_settings):
    settings = gateway_settings(
        "",
        upstream_breaker_failures=5,
        upstream_policies={"segmentation": {"breaker_failures": 2, "timeout_seconds": 60}},
    )
    assert settings.upstream_policy("segmentation").breaker_failures == 2
    assert settings.upstream_policy("segmentation").timeout_seconds == 60
    assert settings.upstream_policy("campaigns").breaker_failures == 5
    with pytest.raises(ValueError, match="breaker_failures"):
        gateway_settings("", upstream_policies={"campaigns": {"breaker_failures": 0}})
