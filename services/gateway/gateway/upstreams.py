"""The services behind the gateway, as their installed definitions declare them: the route
table, the upstream clients and a readiness line per upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.bootstrap import bootstrap
from gateway.config import GatewaySettings
from gateway.proxy.clients import build_clients
from gateway.proxy.ratelimit import RateLimiter
from yunying_shared.kit import ReadinessCheck, ServiceDefinition, installed, route_table

GATEWAY = "gateway"


def upstream_definitions() -> dict[str, ServiceDefinition]:
    return installed(exclude=[GATEWAY])


def _upstream_check(name: str) -> ReadinessCheck:
    async def probe(app: FastAPI) -> None:
        response = await app.state.upstream_clients[name].get("/healthz")
        response.raise_for_status()

    # Not critical: one service down must not take the whole API out of rotation.
    return ReadinessCheck(f"upstream:{name}", probe, critical=False)


@asynccontextmanager
async def gateway_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: GatewaySettings = app.state.settings
    definitions = upstream_definitions()
    app.state.route_table = route_table(definitions)
    app.state.rate_limiter = RateLimiter(
        rate_per_second=settings.api_key_rate_per_second, burst=settings.api_key_burst
    )
    app.state.upstream_clients = build_clients(settings, app.state.upstream_transports)
    app.state.readiness.extend(_upstream_check(name) for name in app.state.upstream_clients)
    try:
        await bootstrap(app)
        yield
    finally:
        for client in app.state.upstream_clients.values():
            await client.aclose()
