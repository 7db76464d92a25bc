"""What every response carries for browsers and caches: security headers, `no-store`, and
CORS for the browser frontends a deployment lists (none by default)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

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


class PathGuardMiddleware:
    """A path with control characters (%00, %0A, %7F …) is refused before routing, as 400
    naming `path`: no id may hold them, and without this a line break would simply match no
    route (404) and a NUL could reach a database driver."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and CONTROL_CHARACTERS.search(scope["path"]):
            await send_problem(
                send,
                400,
                "Bad request",
                "The request path must not contain control characters.",
                "invalid_path",
                errors=[{"field": "path", "message": "must not contain control characters"}],
            )
            return
        await self.app(scope, receive, send)


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
