"""Per upstream: bounded waits, retries for idempotent methods, and a circuit breaker.

An upstream that keeps failing (connection refused, timeouts, 502/503/504) opens its breaker:
for `open_seconds` its requests are answered 503 with `Retry-After` at once instead of waiting
for timeouts, so callers and the gateway's own workers are not tied up by a dead service. Then
one request at a time goes through as a probe (half-open); a success closes the breaker, a
failure opens it again. Other upstreams have breakers of their own and are never affected.

Retries: only methods that are idempotent (RFC 9110 §9.2.2) are sent again, after a back-off
with full jitter (a random wait up to base·2^attempt), so replicas retrying together do not hit
a recovering service in lockstep. A POST or PATCH is sent once: it may have been applied.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol, TypeVar

import aiohttp
import httpx
from prometheus_client import Counter, Gauge
from pydantic import BaseModel, ConfigDict, Field

from gateway.proxy.network import Answer, HttpxAnswer, Network
from yunying_shared.logging import get_logger

log = get_logger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# An upstream answering these is failing (or a proxy in front of it says so), not refusing.
FAILING_STATUSES = frozenset({502, 503, 504})

BREAKER_STATE = Gauge(
    "yunying_gateway_upstream_breaker_state",
    "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open",
    ["upstream"],
)
UPSTREAM_UP = Gauge(
    "yunying_gateway_upstream_up",
    "1 when the upstream's last request or health probe succeeded, 0 when it failed",
    ["upstream"],
)
FAILURES = Counter(
    "yunying_gateway_upstream_failures_total",
    "Failed attempts per upstream, by reason (connect, timeout, transport, status_5xx)",
    ["upstream", "reason"],
)
RETRIES = Counter("yunying_gateway_upstream_retries_total", "Attempts sent again", ["upstream"])
SHORT_CIRCUITED = Counter(
    "yunying_gateway_upstream_short_circuited_total",
    "Requests answered 503 at once because the upstream's breaker was open",
    ["upstream"],
)


class UpstreamPolicy(BaseModel):
    """How the gateway treats one upstream (settings: `upstream_*`, per upstream in
    `upstream_policies`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_seconds: float = Field(default=30.0, gt=0, description="Whole-response wait")
    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10, description="Extra attempts, idempotent only")
    backoff_seconds: float = Field(default=0.05, ge=0, description="Back-off base")
    backoff_max_seconds: float = Field(default=1.0, ge=0)
    breaker_failures: int = Field(default=5, ge=1, description="Consecutive failures to open")
    breaker_open_seconds: float = Field(default=10.0, gt=0, description="Open before a probe")


class UpstreamPolicyOverride(BaseModel):
    """Any of UpstreamPolicy's fields, for one upstream; the rest stay the defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_seconds: float | None = Field(default=None, gt=0)
    connect_timeout_seconds: float | None = Field(default=None, gt=0)
    retries: int | None = Field(default=None, ge=0, le=10)
    backoff_seconds: float | None = Field(default=None, ge=0)
    backoff_max_seconds: float | None = Field(default=None, ge=0)
    breaker_failures: int | None = Field(default=None, ge=1)
    breaker_open_seconds: float | None = Field(default=None, gt=0)

    def over(self, base: UpstreamPolicy) -> UpstreamPolicy:
        return base.model_copy(update=self.model_dump(exclude_none=True))


class BreakerState(IntEnum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


@dataclass
class CircuitBreaker:
    upstream: str
    failures_to_open: int
    open_seconds: float
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float = 0.0
    probing: bool = field(default=False)

    def __post_init__(self) -> None:
        BREAKER_STATE.labels(self.upstream).set(self.state)

    def wait_seconds(self) -> float:
        """0 when a request may go now; otherwise how long until one may (open, or half-open
        with its one probe under way). Taking the half-open slot makes this request the probe."""
        if self.state is BreakerState.OPEN:
            left = self.opened_at + self.open_seconds - self.clock()
            if left > 0:
                return left
            self._set(BreakerState.HALF_OPEN)
        if self.state is BreakerState.HALF_OPEN:
            if self.probing:
                return 1.0
            self.probing = True
        return 0.0

    def succeeded(self) -> None:
        self.consecutive_failures = 0
        self.probing = False
        if self.state is not BreakerState.CLOSED:
            log.info("upstream breaker closed", upstream=self.upstream)
            self._set(BreakerState.CLOSED)

    def failed(self) -> None:
        self.consecutive_failures += 1
        self.probing = False
        if self.state is BreakerState.HALF_OPEN or (
            self.state is BreakerState.CLOSED and self.consecutive_failures >= self.failures_to_open
        ):
            log.warning(
                "upstream breaker opened",
                upstream=self.upstream,
                failures=self.consecutive_failures,
                open_seconds=self.open_seconds,
            )
            self.opened_at = self.clock()
            self._set(BreakerState.OPEN)

    def released(self) -> None:
        """The probe ended without a verdict (the caller went away): let another one go."""
        self.probing = False

    def describe(self) -> str:
        if self.state is BreakerState.OPEN:
            left = max(0.0, self.opened_at + self.open_seconds - self.clock())
            return f"open (probe in {math.ceil(left)} s)"
        return "half-open" if self.state is BreakerState.HALF_OPEN else "closed"

    def _set(self, state: BreakerState) -> None:
        self.state = state
        BREAKER_STATE.labels(self.upstream).set(state)


class CircuitOpen(Exception):
    def __init__(self, upstream: str, retry_after_seconds: float) -> None:
        super().__init__(f"{upstream}: circuit open")
        self.upstream = upstream
        self.retry_after = max(1, math.ceil(retry_after_seconds))


class UpstreamFailed(Exception):
    """Every attempt failed in transport; `timed_out` when the last one ran out of time."""

    def __init__(self, upstream: str, error: Exception) -> None:
        super().__init__(f"{upstream}: {error!r}")
        self.upstream = upstream
        self.timed_out = failure_reason(error) == "timeout"


# What either client raises when an upstream gives no answer (refused, reset, timed out).
TRANSPORT_ERRORS = (httpx.TransportError, aiohttp.ClientError)


class _Sent(Protocol):
    @property
    def status_code(self) -> int: ...

    async def aclose(self) -> None: ...


SentT = TypeVar("SentT", bound=_Sent)


@dataclass
class Upstream:
    """One service behind the gateway: its client, policy and breaker. `network`: its own
    connection pool for forwarding over the network (none for in-process upstreams, which
    forward through `client`'s transport)."""

    name: str
    client: httpx.AsyncClient
    policy: UpstreamPolicy
    breaker: CircuitBreaker
    network: Network | None = None

    async def send(self, request: httpx.Request) -> httpx.Response:
        """The upstream's response (streamed; the caller closes it), retried when that is
        safe. Raises CircuitOpen at once while the breaker is open, UpstreamFailed when no
        attempt got an answer. A 502/503/504 that is still one after the retries is returned
        as it is."""
        return await self._attempts(request.method, lambda: self.client.send(request, stream=True))

    async def open(
        self, method: str, path: str, query: bytes, headers: Sequence[tuple[str, str]], body: bytes
    ) -> Answer:
        """Forwarding: as `send`, over the network pool when there is one."""
        network = self.network
        if network is not None:
            return await self._attempts(
                method, lambda: network.open(method, path, query, headers, body)
            )
        request = self.client.build_request(
            method, httpx.URL(path=path, query=query), headers=headers, content=body
        )
        return HttpxAnswer(await self.send(request))

    async def _attempts(self, method: str, attempt: Callable[[], Awaitable[SentT]]) -> SentT:
        attempts = 1 + (self.policy.retries if method in IDEMPOTENT else 0)
        for number in range(attempts):
            wait = self.breaker.wait_seconds()
            if wait > 0:
                SHORT_CIRCUITED.labels(self.name).inc()
                raise CircuitOpen(self.name, wait)
            last = number == attempts - 1
            try:
                response = await attempt()
            except TRANSPORT_ERRORS as exc:
                self._failed(failure_reason(exc))
                log.warning("upstream attempt failed", upstream=self.name, error=repr(exc))
                if last or self.breaker.state is BreakerState.OPEN:
                    raise UpstreamFailed(self.name, exc) from exc
            except BaseException:
                self.breaker.released()  # cancelled: no verdict on the upstream
                raise
            else:
                if response.status_code not in FAILING_STATUSES:
                    self.breaker.succeeded()
                    UPSTREAM_UP.labels(self.name).set(1)
                    return response
                self._failed(f"status_{response.status_code}")
                if last or self.breaker.state is BreakerState.OPEN:
                    return response
                await response.aclose()
            RETRIES.labels(self.name).inc()
            await asyncio.sleep(self._backoff(number))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def aclose(self) -> None:
        if self.network is not None:
            await self.network.aclose()

    def _failed(self, reason: str) -> None:
        FAILURES.labels(self.name, reason).inc()
        UPSTREAM_UP.labels(self.name).set(0)
        self.breaker.failed()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.policy.backoff_max_seconds, self.policy.backoff_seconds * 2**attempt)
        return random.uniform(0, ceiling)


def failure_reason(exc: Exception) -> str:
    """The failures metric's reason for a transport error of either client."""
    if isinstance(exc, httpx.TimeoutException | aiohttp.ServerTimeoutError):
        return "timeout"
    if isinstance(exc, httpx.ConnectError | aiohttp.ClientConnectorError):
        return "connect"
    return "transport"
