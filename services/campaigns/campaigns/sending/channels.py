"""Channel adapters behind one interface. WeChat template messages, SMS, e-mail and app push
are channel kinds; the shipped adapter posts each message to a configured webhook (the
brand's gateway to those providers) with retries, an HMAC signature and a delivery log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol
from uuid import UUID

import httpx

SIGNATURE_HEADER = "X-Yunying-Signature"
Outcome = Literal["accepted", "rejected", "error", "timeout"]
# Worth another try: the endpoint may answer next time.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class OutboundMessage:
    send_id: UUID
    workspace_id: UUID
    channel: str
    user_id: str
    body: str
    campaign_id: UUID | None = None


@dataclass(frozen=True)
class Attempt:
    number: int
    outcome: Outcome
    duration_ms: float
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: list[Attempt] = field(default_factory=list)


class Channel(Protocol):
    async def deliver(self, message: OutboundMessage) -> Delivery: ...


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it and
    rejects old timestamps, so a captured request cannot be replayed later."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookChannel:
    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        secret: bytes,
        *,
        max_attempts: int = 3,
        backoff_seconds: float = 0.2,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._client = client
        self._url = url
        self._secret = secret
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds

    async def deliver(self, message: OutboundMessage) -> Delivery:
        body = json.dumps(
            {
                "id": str(message.send_id),
                "channel": message.channel,
                "workspace_id": str(message.workspace_id),
                "campaign_id": str(message.campaign_id) if message.campaign_id else None,
                "user_id": message.user_id,
                "body": message.body,
            },
            ensure_ascii=False,
        ).encode()
        attempts: list[Attempt] = []
        for number in range(1, self._max_attempts + 1):
            attempt = await self._post(number, message.send_id, body)
            attempts.append(attempt)
            if attempt.outcome == "accepted":
                return Delivery(True, attempts)
            if attempt.outcome == "rejected":
                break
            if number < self._max_attempts:
                await asyncio.sleep(self._backoff * 2 ** (number - 1))
        return Delivery(False, attempts)

    async def _post(self, number: int, send_id: UUID, body: bytes) -> Attempt:
        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            # The same id on every retry: the endpoint drops a message it already took.
            "Idempotency-Key": str(send_id),
        }
        started = time.perf_counter()
        try:
            response = await self._client.post(
                self._url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            return Attempt(number, "timeout", _ms(started), error=type(exc).__name__)
        except httpx.TransportError as exc:
            return Attempt(
                number, "error", _ms(started), error=f"{type(exc).__name__}: {exc}"[:300]
            )
        status = response.status_code
        if 200 <= status < 300:
            return Attempt(number, "accepted", _ms(started), status)
        outcome: Outcome = "error" if status in RETRYABLE_STATUS else "rejected"
        return Attempt(number, outcome, _ms(started), status, response.text[:300])


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class Channels:
    """The adapter per channel kind; a kind without one fails its sends with that reason."""

    def __init__(self, by_kind: Mapping[str, Channel]) -> None:
        self._by_kind = dict(by_kind)

    def get(self, kind: str) -> Channel | None:
        return self._by_kind.get(kind)
