"""Every API response carries the caller's limit; a request over it gets 429 at once.

Runs inside authentication, so the Principal is known: API keys and users are limited by their
own bucket, every request also by its client address (behind a reverse proxy, run uvicorn with
`--proxy-headers` and `--forwarded-allow-ips` so the address is the client's, not the proxy's).
Paths outside `/v1/` (health, metrics, docs) are not limited.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.ratelimit.limiter import Decision, RateLimiter
from yunying_shared.auth import Principal
from yunying_shared.http.middleware import send_problem

LIMITED_PREFIX = "/v1/"
DETAIL = {
    "api_key": "This API key's rate limit is exhausted",
    "user": "Your rate limit is exhausted",
    "address": "The rate limit of your client address is exhausted",
}


def limit_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-reset", str(decision.reset_seconds).encode()),
    ]
    if not decision.allowed:
        headers.append((b"retry-after", str(decision.retry_after_seconds).encode()))
    return headers


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIX):
            await self.app(scope, receive, send)
            return
        limiter: RateLimiter = scope["app"].state.rate_limiter
        principal: Principal | None = scope.get("state", {}).get("principal")
        client = scope.get("client")
        decision = await limiter.check(
            limiter.table.buckets(principal, client[0] if client else None)
        )
        if decision.bucket is None:
            await self.app(scope, receive, send)
            return
        headers = limit_headers(decision)
        if not decision.allowed:
            await _refuse(send, decision, headers)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_limits)


async def _refuse(send: Send, decision: Decision, headers: list[tuple[bytes, bytes]]) -> None:
    assert decision.bucket is not None

    async def send_with_limits(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *headers]}
        await send(message)

    await send_problem(
        send_with_limits,
        429,
        "Too many requests",
        f"{DETAIL[decision.bucket.kind]}; retry in {decision.retry_after_seconds} s.",
        "rate_limited",
        limit=decision.bucket.kind,
    )
