"""Forwarding one request to the service that owns it, as the caller, with an internal token."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from gateway.proxy.clients import identity_headers
from gateway.proxy.network import Answer
from gateway.proxy.resilience import TRANSPORT_ERRORS, CircuitOpen, Upstream, UpstreamFailed
from yunying_shared.auth import INTERNAL_TOKEN_HEADER
from yunying_shared.errors import DomainError, problem
from yunying_shared.logging import get_logger

log = get_logger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# The caller's credentials stay here: upstream services trust only the internal token, and a
# token sent by the caller must never reach them as if the gateway had issued it.
NOT_FORWARDED = HOP_BY_HOP | {
    "host",
    "content-length",
    "authorization",
    "x-api-key",
    "x-workspace-id",
    # Sent again as the gateway accepted or generated them (the client's hook).
    "x-request-id",
    "x-correlation-id",
    INTERNAL_TOKEN_HEADER.lower(),
}
# Set again by the gateway itself (its middleware, its HTTP server) on the way out.
NOT_RETURNED = HOP_BY_HOP | {"x-request-id", "x-correlation-id", "date", "server"}
NOT_RETURNED_RAW = frozenset(name.encode("latin-1") for name in NOT_RETURNED)
# Upstream answers up to this size (by their Content-Length) are read whole before replying.
BUFFERED_MAX_BYTES = 64 * 1024
CONTROL_CHARACTERS = frozenset(chr(code) for code in [*range(0x20), 0x7F])
DOT_SEGMENTS = frozenset({".", ".."})


class InvalidPath(DomainError):
    code = "invalid_path"

    def __init__(self, message: str) -> None:
        super().__init__(
            f"The request path {message}.", errors=[{"field": "path", "message": message}]
        )


def forwardable_path(request: Request) -> str:
    """The path exactly as the caller sent it, once it cannot address anything but what it says.

    Services route on the raw path, as the gateway does (`PathGuardMiddleware`), so an encoded
    slash stays inside its segment on both sides: `/v1/users/a%2Ftags` is user `a/tags` here and
    upstream. A dot segment (`..`, `%2e%2e`) is refused all the same, since a proxy or client
    between the caller and us could resolve it; control characters reach no valid id. The path
    goes upstream byte for byte, never re-encoded from a decoded form.
    """
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    raw = raw.split(b"?", 1)[0]
    segments = [unquote(segment) for segment in raw.decode("latin-1").split("/")]
    if any(not CONTROL_CHARACTERS.isdisjoint(segment) for segment in segments):
        raise InvalidPath("must not contain control characters")
    if not DOT_SEGMENTS.isdisjoint(segments):
        raise InvalidPath("must not contain dot segments ('.' or '..')")
    return raw.decode("latin-1")


def _connection_listed(connection: str | None) -> set[str]:
    """Headers the sender marked hop-by-hop by naming them in `Connection`."""
    if not connection:
        return set()
    return {name.strip().lower() for name in connection.split(",") if name.strip()}


def _request_headers(request: Request, token: str) -> list[tuple[str, str]]:
    dropped = NOT_FORWARDED | _connection_listed(request.headers.get("connection"))
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in dropped]
    headers.append((INTERNAL_TOKEN_HEADER, token))
    headers += identity_headers()
    return headers


async def forward(request: Request, *, service: Upstream, token: str) -> Response:
    """The upstream's answer, streamed; 503 (with `Retry-After` while its breaker is open) or
    504 problem+json when it gives none."""
    try:
        upstream = await service.open(
            request.method,
            forwardable_path(request),
            request.scope["query_string"],
            _request_headers(request, token),
            await request.body(),
        )
    except CircuitOpen as exc:
        return unavailable(request, service.name, exc.retry_after, circuit="open")
    except UpstreamFailed as exc:
        return _no_answer(request, service.name, exc)
    listed = _connection_listed(upstream.header("connection"))
    response: Response
    if _small(upstream):
        # Read whole and sent in one message: streaming costs a task group and a disconnect
        # watcher per response, more than a small body's copy.
        try:
            body = await upstream.read_raw()
        except TRANSPORT_ERRORS as exc:
            return _no_answer(request, service.name, UpstreamFailed(service.name, exc))
        finally:
            await upstream.aclose()
        response = Response(body, status_code=upstream.status_code)
    else:
        # Streamed as it arrives, so large exports never sit whole in the gateway's memory.
        response = StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            background=BackgroundTask(upstream.aclose),
        )
    # As received, bytes for bytes: no decoding and encoding of every header per response.
    dropped = NOT_RETURNED_RAW | {name.encode("latin-1") for name in listed}
    response.raw_headers = [(k, v) for k, v in upstream.raw_headers if k.lower() not in dropped]
    return response


def _small(upstream: Answer) -> bool:
    length = upstream.header("content-length")
    return length is not None and length.isdigit() and int(length) <= BUFFERED_MAX_BYTES


def _no_answer(request: Request, service: str, exc: UpstreamFailed) -> Response:
    if exc.timed_out:
        return problem(
            504,
            "Gateway timeout",
            f"The {service} service did not answer in time.",
            code="upstream_timeout",
            instance=request.url.path,
            service=service,
        )
    return unavailable(request, service, 1)


def unavailable(request: Request, service: str, retry_after: int, **extensions: str) -> Response:
    response = problem(
        503,
        "Service unavailable",
        f"The {service} service is unavailable; retry in {retry_after} s.",
        code="service_unavailable",
        instance=request.url.path,
        service=service,
        **extensions,
    )
    response.headers["Retry-After"] = str(retry_after)
    return response
