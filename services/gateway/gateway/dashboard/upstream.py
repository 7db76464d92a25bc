"""One read from one upstream for the dashboard: its JSON body, or why there is none.

Through the upstream's resilience (`gateway.proxy.resilience.Upstream`): an open circuit
answers at once, failures count towards opening it, and a GET is retried like any proxied
one. Never raises: a service that is down, slow or answering errors becomes a status, so the
dashboard returns every other section."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.dashboard.schemas import SectionStatus
from gateway.proxy.resilience import CircuitOpen, Upstream, UpstreamFailed
from yunying_shared.auth import INTERNAL_TOKEN_HEADER


@dataclass(frozen=True)
class Fetched:
    service: str
    status: SectionStatus
    body: dict[str, Any] | None = None
    detail: str | None = None


async def fetch(
    upstreams: Mapping[str, Upstream],
    service: str,
    path: str,
    *,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    timeout: float,
) -> Fetched:
    upstream = upstreams.get(service)
    if upstream is None:
        return Fetched(service, "unavailable", detail="not configured in this gateway")
    request = upstream.client.build_request("GET", path, params=params, headers=headers)
    timed_out = Fetched(service, "timeout", detail=f"no answer within {timeout:g} s")
    try:
        # asyncio's timeout, not only httpx's: in-process upstreams (embedded mode) have no
        # socket for httpx's timeouts to act on, and it bounds the retries too.
        async with asyncio.timeout(timeout):
            response = await upstream.send(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
    except TimeoutError:
        return timed_out
    except CircuitOpen as exc:
        return Fetched(
            service,
            "unavailable",
            detail=f"circuit open: retry in {exc.retry_after} s",
        )
    except UpstreamFailed as exc:
        if exc.timed_out:
            return timed_out
        return Fetched(service, "unavailable", detail="unreachable")
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
