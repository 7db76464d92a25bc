"""What every response carries for browsers and caches: security headers, `no-store`, and
CORS for the browser frontends a deployment lists (none by default)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote, unquote

from starlette.convertors import PathConvertor, StringConvertor
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yunying_shared.http.middleware import send_problem

# Swagger UI and ReDoc run an inline bootstrap script and inline styles from our own assets.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeadersMiddleware:
    """Adds the headers to every response. Responses are `Cache-Control: no-store` unless they
    say otherwise: they carry tokens, keys and one workspace's data, never for shared caches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")
# Bytes a raw path keeps as they are when it becomes the routed path; anything else (a space or
# a non-ASCII byte a lenient client sent unescaped) is percent-encoded, as a compliant client
# would have sent it.
RAW_PATH_SAFE = "/%!$&'()*+,;=:@~-._"


class PathGuardMiddleware:
    """Two steps before routing.

    A path with control characters (%00, %0A, %7F …) is refused as 400 naming `path`: no id
    may hold them, and without this a line break would simply match no route (404) and a NUL
    could reach a database driver.

    Routing then happens on the path as received, not on its decoded form: `%2F` inside a
    segment stays inside that path parameter (`/v1/users/a%2Fb/tags` is user `a/b`'s tags,
    never the route `/v1/users/{id}/tags/{tag}`), and each path parameter is decoded once, after
    matching. A path without `%` routes as before: its decoded and raw forms are the same, so
    the common request pays one byte scan.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if CONTROL_CHARACTERS.search(scope["path"]):
            await send_problem(
                send,
                400,
                "Bad request",
                "The request path must not contain control characters.",
                "invalid_path",
                errors=[{"field": "path", "message": "must not contain control characters"}],
            )
            return
        raw: bytes | None = scope.get("raw_path")
        if raw is not None and b"%" in raw:
            scope["path"] = routable_path(raw)
            routing = _ROUTING_RAW_PATH.set(True)
        elif _ROUTING_RAW_PATH.get():  # a plain request inside an encoded one's task
            routing = _ROUTING_RAW_PATH.set(False)
        else:  # the hot path: nothing to undo
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            _ROUTING_RAW_PATH.reset(routing)


def routable_path(raw: bytes) -> str:
    """The path as received (query removed), still percent-encoded, as an ASCII string."""
    raw = raw.split(b"?", 1)[0]
    return quote(raw, safe=RAW_PATH_SAFE) if not raw.isascii() or b" " in raw else raw.decode()


# Whether the request being routed (in this task) matched on its raw path, so that its path
# parameters are still percent-encoded.
_ROUTING_RAW_PATH: ContextVar[bool] = ContextVar("yunying_routing_raw_path", default=False)


def _decoded_after_match(original: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def convert(self: Any, value: str) -> Any:
        return original(self, unquote(value) if _ROUTING_RAW_PATH.get() else value)

    return convert


# Starlette turns a matched segment into a parameter with its convertor; FastAPI compiles
# routes lazily (per included router, at the first request), so the one place every route's
# string and path parameters pass through is these two classes. Outside a request routed on
# its raw path they behave exactly as before.
StringConvertor.convert = _decoded_after_match(StringConvertor.convert)  # type: ignore[method-assign,assignment]
PathConvertor.convert = _decoded_after_match(PathConvertor.convert)  # type: ignore[method-assign,assignment]


def cors_options(origins: Sequence[str]) -> dict[str, Any]:
    """Credentials are allowed only for the listed origins (never a wildcard)."""
    return {
        "allow_origins": list(origins),
        "allow_credentials": True,
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": [
            "authorization",
            "content-type",
            "x-api-key",
            "x-workspace-id",
            "x-request-id",
            "x-correlation-id",
        ],
        "expose_headers": ["x-request-id", "retry-after", "location"],
        "max_age": 600,
    }
