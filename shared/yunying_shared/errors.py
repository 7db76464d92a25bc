"""Domain errors and the one RFC 9457 problem+json shape every error response takes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from yunying_shared.logging import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = get_logger(__name__)


class DomainError(Exception):
    """Base of every error a service raises on purpose; subclasses set the status."""

    status_code = 400
    title = "Bad request"
    code = "bad_request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    status_code = 404
    title = "Not found"
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"
    code = "conflict"


class Unauthorized(DomainError):
    status_code = 401
    title = "Unauthorized"
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"
    code = "forbidden"


class InvalidInput(DomainError):
    status_code = 422
    title = "Invalid input"
    code = "invalid_input"


class PayloadTooLarge(DomainError):
    status_code = 413
    title = "Payload too large"
    code = "payload_too_large"


class TooManyRequests(DomainError):
    """429 with `Retry-After`: the caller may try again after `retry_after_seconds`."""

    status_code = 429
    title = "Too many requests"
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after_seconds: float, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retry_after = max(1, math.ceil(retry_after_seconds))


class ServiceUnavailable(DomainError):
    status_code = 503
    title = "Service unavailable"
    code = "service_unavailable"


def problem(
    status: int, title: str, detail: str, *, code: str, instance: str = "", **ext: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://yunying.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(ext)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    return [
        {
            "field": _field_path(err.get("loc", ())),
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in errors
    ]


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    response = problem(
        exc.status_code,
        exc.title,
        exc.detail,
        code=exc.code,
        instance=request.url.path,
        **exc.extensions,
    )
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    fields = ", ".join(e["field"] for e in errors)
    return problem(
        422,
        "Invalid input",
        f"Invalid fields: {fields}",
        code="invalid_input",
        instance=request.url.path,
        errors=errors,
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    response = problem(
        exc.status_code,
        title,
        str(exc.detail),
        code=f"http_{exc.status_code}",
        instance=request.url.path,
    )
    if isinstance(exc, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(exc.allowed)
    elif exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request.app.router, request.scope))
    return response


class MethodNotAllowed(StarletteHTTPException):
    """A 405 whose raiser knows the complete list of methods the path answers."""

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(405, f"{method} is not allowed here; the `Allow` header lists what is.")
        self.allowed = allowed


PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PROBE_SCOPE_KEYS = ("type", "path", "root_path", "raw_path", "headers", "query_string", "app")


def allowed_methods(
    router: Any, scope: Any, *, excluding: Callable[[Any], bool] | None = None
) -> list[str]:
    """Every method some route answers at this path, found by matching the path once per
    method. Starlette's own `Allow` names only the first route whose path matched, though one
    path usually has a route per method. Only 405s pay for this. Routes `excluding` picks (a
    catch-all) do not count."""
    base = {key: scope[key] for key in PROBE_SCOPE_KEYS if key in scope}
    allowed = []
    for method in PROBED_METHODS:
        probe = {**base, "method": method}
        for route in router.routes:
            if excluding is not None and excluding(route):
                continue
            if route.matches(probe)[0] == Match.FULL:
                allowed.append(method)
                break
    return allowed


def _is_connection_error(exc: DBAPIError) -> bool:
    return (
        exc.connection_invalidated
        or isinstance(exc, OperationalError)
        or isinstance(exc.orig, OSError | ConnectionError)
    )


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if _is_connection_error(exc):
        log.warning("database unavailable", path=request.url.path, error=str(exc.orig))
        return problem(
            503,
            "Service unavailable",
            "The database is unreachable; retry later.",
            code="database_unavailable",
            instance=request.url.path,
        )
    return await _on_unexpected(request, exc)


async def _on_pool_exhausted(request: Request, exc: Exception) -> JSONResponse:
    """Every database connection is busy for longer than the pool waits: overload, not a bug."""
    log.warning("database pool exhausted", path=request.url.path)
    response = problem(
        503,
        "Service unavailable",
        "The service is overloaded (no database connection free); retry shortly.",
        code="overloaded",
        instance=request.url.path,
    )
    response.headers["Retry-After"] = "1"
    return response


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, OSError | ConnectionError):
        log.warning("dependency unavailable", path=request.url.path, error=repr(exc))
        return problem(
            503,
            "Service unavailable",
            "A dependency is unreachable; retry later.",
            code="service_unavailable",
            instance=request.url.path,
        )
    log.exception("unhandled error", path=request.url.path)
    return problem(
        500,
        "Internal error",
        "An unexpected error occurred.",
        code="internal_error",
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_pool_exhausted)
    app.add_exception_handler(Exception, _on_unexpected)
