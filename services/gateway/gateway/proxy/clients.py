"""One HTTP client per upstream service: over the network, or in-process (embedded mode)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import httpx
from fastapi import Depends, Request

from gateway.config import GatewaySettings

Clients = dict[str, httpx.AsyncClient]


def build_clients(
    settings: GatewaySettings, transports: Mapping[str, httpx.AsyncBaseTransport] | None
) -> Clients:
    timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=5.0)
    if transports is not None:
        return {
            name: httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=timeout)
            for name, transport in transports.items()
        }
    return {
        name: httpx.AsyncClient(base_url=url, timeout=timeout)
        for name, url in settings.upstreams.items()
    }


def _clients(request: Request) -> Clients:
    clients: Clients = request.app.state.upstream_clients
    return clients


UpstreamsDep = Annotated[Clients, Depends(_clients)]
