"""Pure ASGI middleware: request context and metrics, body size limit, internal-token check."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yunying_shared.auth.principal import INTERNAL_TOKEN_HEADER, Principal
from yunying_shared.errors import PROBLEM_MEDIA_TYPE, DomainError
from yunying_shared.logging import bound_contextvars

REQUESTS = Counter(
    "yunying_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "yunying_http_request_seconds", "HTTP request latency", ["service", "method", "route"]
)

PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    code: str,
    *,
    retry_after: int | None = None,
    **extensions: Any,
) -> None:
    body = json.dumps(
        {
            "type": f"https://yunying.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            **extensions,
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# What a caller may choose as its request or correlation id: enough for a UUID, a ULID or a
# trace id with a prefix, and nothing that could forge a log line or a header (no spaces,
# quotes, control characters). Anything else is replaced by a generated id.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def acceptable_id(value: str | None) -> str | None:
    return value if value is not None and REQUEST_ID.fullmatch(value) else None


class RequestContextMiddleware:
    """Binds request and correlation ids to every log line, echoes them, and records metrics.

    `X-Request-ID` is the caller's when it is acceptable (`REQUEST_ID`), else generated;
    `X-Correlation-ID` the caller's, else the request id. Both are returned on the response,
    passed on by the gateway to every service it calls, and stamped on the events the request
    causes (`make_event` reads them from the context)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = acceptable_id(_header(scope, b"x-request-id")) or uuid.uuid4().hex
        correlation_id = acceptable_id(_header(scope, b"x-correlation-id")) or request_id
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["correlation_id"] = correlation_id
        status = 500
        started = time.perf_counter()

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-request-id", request_id.encode()),
                    (b"x-correlation-id", correlation_id.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        with bound_contextvars(request_id=request_id, correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_with_ids)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                LATENCY.labels(self.service, scope["method"], route).observe(
                    time.perf_counter() - started
                )
                REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()


class BodyLimitMiddleware:
    """413 for a body over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await send_problem(
                send,
                413,
                "Payload too large",
                f"The body exceeds {self.max_bytes} bytes.",
                "payload_too_large",
            )
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await send_problem(
                    send,
                    413,
                    "Payload too large",
                    f"The body exceeds {self.max_bytes} bytes.",
                    "payload_too_large",
                )


class _TooLarge(Exception):
    pass


Authenticator = Callable[[Scope], Any]


class AuthenticationMiddleware:
    """Puts the caller's Principal on `request.state`; rejects unauthenticated requests.

    `authenticate` returns a Principal, or None for an anonymous request to a path that allows
    it; it raises DomainError (401/403/404) to reject.
    """

    def __init__(
        self, app: ASGIApp, *, authenticate: Authenticator, public_paths: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.public_paths = tuple(PUBLIC_PATHS) + tuple(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.public_paths):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.authenticate(scope)
        except DomainError as exc:
            await send_problem(send, exc.status_code, exc.title, exc.detail, exc.code)
            return
        except PoolTimeout:
            # The gateway authenticates from its database, outside the app's error handlers:
            # every connection busy is overload (503, as inside a route), not a 500.
            await send_problem(
                send,
                503,
                "Service unavailable",
                "The service is overloaded (no database connection free); retry shortly.",
                "overloaded",
                retry_after=1,
            )
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def internal_token_authenticator(secret: str) -> Authenticator:
    from yunying_shared.auth.tokens import InternalTokenReader
    from yunying_shared.errors import Unauthorized

    header = INTERNAL_TOKEN_HEADER.lower().encode()
    reader = InternalTokenReader(secret)

    async def authenticate(scope: Scope) -> Principal:
        token = _header(scope, header)
        if not token:
            raise Unauthorized("Missing internal token: call this service through the gateway.")
        return reader.read(token)

    return authenticate
