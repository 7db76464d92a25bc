"""One HTTP client per upstream service: over the network, or in-process (embedded mode)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import httpx
from fastapi import Depends, Request
from structlog.contextvars import get_contextvars

from gateway.config import GatewaySettings
from gateway.proxy.network import Network
from gateway.proxy.resilience import CircuitBreaker, Upstream

Clients = dict[str, httpx.AsyncClient]


def build_clients(
    settings: GatewaySettings, transports: Mapping[str, httpx.AsyncBaseTransport] | None
) -> Clients:
    hooks = {"request": [pass_request_identity]}
    if transports is not None:
        return {
            name: httpx.AsyncClient(
                transport=transport,
                base_url=f"http://{name}",
                timeout=_timeout(settings, name),
                event_hooks=hooks,
            )
            for name, transport in transports.items()
        }
    return {
        name: httpx.AsyncClient(base_url=url, timeout=_timeout(settings, name), event_hooks=hooks)
        for name, url in settings.upstreams.items()
    }


async def pass_request_identity(request: httpx.Request) -> None:
    """Every call the gateway makes while handling a request (forwarding, the dashboard's
    fan-out, propagation checks) carries that request's ids, so the services log and stamp
    their events with them."""
    for header, value in identity_headers():
        if header not in request.headers:
            request.headers[header] = value


def identity_headers() -> list[tuple[str, str]]:
    """The ids of the request being handled, as headers for the calls it causes."""
    bound = get_contextvars()
    return [
        (header, str(value))
        for header, key in (("X-Request-ID", "request_id"), ("X-Correlation-ID", "correlation_id"))
        if (value := bound.get(key))
    ]


def _timeout(settings: GatewaySettings, name: str) -> httpx.Timeout:
    policy = settings.upstream_policy(name)
    return httpx.Timeout(policy.timeout_seconds, connect=policy.connect_timeout_seconds)


def build_upstreams(
    settings: GatewaySettings, clients: Clients, *, over_network: bool
) -> dict[str, Upstream]:
    """Each client with its policy and a breaker of its own (per replica: a replica learns of a
    dead upstream from its own requests, within `breaker_failures` of them). `over_network`:
    forwarding goes through a pool of aiohttp connections per upstream (`network.py`)."""
    upstreams = {}
    for name, client in clients.items():
        policy = settings.upstream_policy(name)
        breaker = CircuitBreaker(
            name,
            failures_to_open=policy.breaker_failures,
            open_seconds=policy.breaker_open_seconds,
        )
        network = None
        if over_network:
            network = Network(
                settings.upstreams[name],
                timeout_seconds=policy.timeout_seconds,
                connect_timeout_seconds=policy.connect_timeout_seconds,
            )
        upstreams[name] = Upstream(name, client, policy, breaker, network)
    return upstreams


def _clients(request: Request) -> Clients:
    clients: Clients = request.app.state.upstream_clients
    return clients


UpstreamsDep = Annotated[Clients, Depends(_clients)]
