"""The services behind the gateway, as their installed definitions declare them: the route
table, the upstream clients and a readiness line per upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from redis.asyncio import Redis

from gateway.audit.proxied import AuditedWrites
from gateway.bootstrap import bootstrap
from gateway.config import GatewaySettings
from gateway.identity.principal_cache import PrincipalCache
from gateway.proxy.clients import build_clients, build_upstreams
from gateway.proxy.fast_path import ForwardingRoute
from gateway.proxy.internal_tokens import InternalTokens
from gateway.proxy.resilience import UPSTREAM_UP, Upstream
from gateway.proxy.router import router as proxy_router
from gateway.proxy.routes import Owners
from gateway.ratelimit.limiter import RateLimiter
from yunying_shared.kit import ReadinessCheck, ServiceDefinition, installed, route_table

GATEWAY = "gateway"


def upstream_definitions() -> dict[str, ServiceDefinition]:
    return installed(exclude=[GATEWAY])


def _upstream_checks(name: str) -> list[ReadinessCheck]:
    """Two lines per upstream: does it answer its /healthz now, and its breaker's state (what
    the gateway does with its requests)."""

    async def health(app: FastAPI) -> None:
        try:
            response = await app.state.upstream_clients[name].get("/healthz")
            response.raise_for_status()
        except Exception:
            UPSTREAM_UP.labels(name).set(0)
            raise
        UPSTREAM_UP.labels(name).set(1)

    async def breaker(app: FastAPI) -> str:
        upstream: Upstream = app.state.upstreams[name]
        return upstream.breaker.describe()

    # Not critical: one service down must not take the whole API out of rotation.
    return [
        ReadinessCheck(f"upstream:{name}", health, critical=False),
        ReadinessCheck(f"breaker:{name}", breaker, critical=False),
    ]


def _rate_limiter(settings: GatewaySettings) -> RateLimiter:
    redis = None
    if settings.rate_limit_redis_url:
        timeout = settings.rate_limit_redis_timeout_seconds
        redis = Redis.from_url(
            settings.rate_limit_redis_url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
    return RateLimiter(
        settings.rate_limit_table(),
        redis=redis,
        retry_seconds=settings.rate_limit_redis_retry_seconds,
    )


async def _rate_limit_status(app: FastAPI) -> str:
    limiter: RateLimiter = app.state.rate_limiter
    return await limiter.status()


def _install_forwarding_route(app: FastAPI) -> None:
    """The fast path goes first in the router; a gateway route under a prefix some service
    owns would be shadowed by it (and by the catch-all's 405 probe before it), so that is a
    start-up error."""
    owners: Owners = app.state.owners
    definition: ServiceDefinition = app.state.definition
    for router in definition.routers:
        if router is proxy_router:
            continue
        for route in router.routes:
            if isinstance(route, APIRoute) and owners.of(route.path.split("{")[0]) is not None:
                raise ValueError(f"The gateway's route {route.path} is under a service's prefix")
    catch_all = next(r for r in proxy_router.routes if isinstance(r, APIRoute))
    routes = [r for r in app.router.routes if not isinstance(r, ForwardingRoute)]
    app.router.routes[:] = [ForwardingRoute(catch_all), *routes]


@asynccontextmanager
async def gateway_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: GatewaySettings = app.state.settings
    definitions = upstream_definitions()
    app.state.route_table = route_table(definitions)
    app.state.owners = Owners(app.state.route_table)
    _install_forwarding_route(app)
    app.state.audited_writes = AuditedWrites.from_definitions(definitions)
    app.state.rate_limiter = _rate_limiter(settings)
    app.state.principal_cache = PrincipalCache(settings.auth_cache_seconds)
    app.state.internal_tokens = InternalTokens(
        settings.internal_token_secret.get_secret_value(), settings.internal_token_ttl_seconds
    )
    app.state.readiness.append(ReadinessCheck("rate_limits", _rate_limit_status, critical=False))
    app.state.upstream_clients = build_clients(settings, app.state.upstream_transports)
    app.state.upstreams = build_upstreams(
        settings,
        app.state.upstream_clients,
        over_network=app.state.upstream_transports is None,
    )
    for name in app.state.upstream_clients:
        app.state.readiness.extend(_upstream_checks(name))
    try:
        await bootstrap(app)
        yield
    finally:
        for client in app.state.upstream_clients.values():
            await client.aclose()
        for upstream in app.state.upstreams.values():
            await upstream.aclose()
        await app.state.rate_limiter.aclose()
