"""One read from one upstream for the dashboard: its JSON body, or why there is none.

Never raises: a service that is down, slow or answering errors becomes a status, so the
dashboard returns every other section."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.dashboard.schemas import SectionStatus
from yunying_shared.auth import INTERNAL_TOKEN_HEADER


@dataclass(frozen=True)
class Fetched:
    service: str
    status: SectionStatus
    body: dict[str, Any] | None = None
    detail: str | None = None


async def fetch(
    clients: Mapping[str, httpx.AsyncClient],
    service: str,
    path: str,
    *,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    timeout: float,
) -> Fetched:
    client = clients.get(service)
    if client is None:
        return Fetched(service, "unavailable", detail="not configured in this gateway")
    try:
        # asyncio's timeout, not only httpx's: in-process upstreams (embedded mode) have no
        # socket for httpx's timeouts to act on.
        async with asyncio.timeout(timeout):
            response = await client.get(path, params=params, headers=headers)
    except (TimeoutError, httpx.TimeoutException):
        return Fetched(service, "timeout", detail=f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Fetched(service, "unavailable", detail=f"unreachable ({type(exc).__name__})")
    if response.status_code != 200:
        return Fetched(service, "unavailable", detail=_error_of(response))
    try:
        body = response.json()
    except ValueError:
        return Fetched(service, "unavailable", detail="answered something other than JSON")
    return Fetched(service, "ok", body=body)


def _error_of(response: httpx.Response) -> str:
    title = ""
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        try:
            title = f": {response.json().get('title', '')}"
        except ValueError:
            title = ""
    return f"answered HTTP {response.status_code}{title}"


def internal_headers(token: str, correlation_id: str | None) -> dict[str, str]:
    headers = {INTERNAL_TOKEN_HEADER: token}
    if correlation_id:
        headers["X-Correlation-ID"] = correlation_id
    return headers
