"""Refuses JSON request bodies with NaN or Infinity, which only Python's parser accepts.

Python's `json` module reads `NaN`, `Infinity` and `-Infinity`, which JSON (RFC 8259) does not
have and PostgreSQL's jsonb refuses. This middleware answers them with 422 problem+json naming
`body` before any endpoint sees them. It costs one byte search per JSON body: the strict parse
runs only when the body contains one of those words (usually inside a string, and then it
passes). Bodies nested too deeply to parse are answered 400 by FastAPI itself.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yunying_shared.http.middleware import send_problem

NON_FINITE_WORDS = (b"NaN", b"Infinity")


def _json_content(scope: Scope) -> bool:
    for key, value in scope.get("headers", ()):
        if key == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return bool(media == b"application/json" or media.endswith(b"+json"))
    return False


NOT_A_NUMBER = "is not a JSON number: send finite numbers (or null)"


def _first_non_finite(value: Any, path: str) -> tuple[str, str] | None:
    """(field path, constant) of the first NaN or ±Infinity outside arrays, depth first.
    Values inside arrays are left to the endpoint: a batch judges each item alone (one bad
    item must not sink the rest), and list fields have validators that name the element."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, "NaN" if math.isnan(value) else ("-Infinity" if value < 0 else "Infinity")
    if isinstance(value, dict):
        for key, child in value.items():
            found = _first_non_finite(child, f"{path}.{key}")
            if found is not None:
                return found
    return None


def strict_json_problem(body: bytes) -> tuple[str, str] | None:
    """None when `body` has no NaN or Infinity outside strings and arrays (or is not JSON at
    all: the endpoint reports that its usual way); else the field path and what is wrong."""
    if not any(word in body for word in NON_FINITE_WORDS):
        return None
    try:
        found = _first_non_finite(json.loads(body), "body")
    except RecursionError:
        return "body", "nested too deeply"
    except ValueError:
        return None
    if found is None:
        return None
    field, constant = found
    return field, f"{constant} {NOT_A_NUMBER}"


class StrictJsonMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _json_content(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = strict_json_problem(body)
        if problem is not None:
            field, reason = problem
            await send_problem(
                send,
                422,
                "Invalid input",
                f"Invalid fields: {field}",
                "invalid_input",
                errors=[{"field": field, "message": reason}],
            )
            return
        await self.app(
            scope,
            _replay([{"type": "http.request", "body": body, "more_body": False}], receive),
            send,
        )


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive
