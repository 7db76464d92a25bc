from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from yunying_shared.errors import problem

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok", "service": request.app.state.settings.service_name}


async def _check(probe: Callable[[], Awaitable[Any]]) -> str:
    """Returns "ok", the status line the probe returned ("degraded: …"), or why it failed."""
    try:
        status = await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
        return status if isinstance(status, str) else "ok"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"


@router.get(
    "/readyz",
    summary="Readiness: the database, the bus and the service's own dependencies answer",
    description="Checks that are not critical (the gateway's upstreams) are reported but "
    "leave the service ready.",
    responses={503: {"description": "A critical dependency is unreachable"}},
)
async def readyz(request: Request) -> JSONResponse:
    app = request.app
    state = app.state
    extra = state.readiness
    results = await asyncio.gather(
        _check(state.database.ping),
        _check(state.transport.ping),
        *(_check(partial(check.probe, app)) for check in extra),
    )
    checks = dict(zip(["database", "bus", *(check.name for check in extra)], results, strict=True))
    critical = ["database", "bus", *(check.name for check in extra if check.critical)]
    ready = all(checks[name] == "ok" for name in critical)
    return JSONResponse(
        {
            "status": "ready" if ready else "not ready",
            "service": state.settings.service_name,
            "checks": checks,
        },
        status_code=200 if ready else 503,
    )


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="With `metrics_token` set, send `Authorization: Bearer <token>`; without it, "
    "only clients on the loopback address are answered.",
    response_class=Response,
    responses={401: {"description": "Missing or wrong scrape token"}},
)
async def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token is None:
        allowed = request.client is not None and request.client.host in LOOPBACK
    else:
        sent = request.headers.get("authorization", "")
        allowed = hmac.compare_digest(sent.encode(), f"Bearer {token.get_secret_value()}".encode())
    if not allowed:
        return problem(
            401,
            "Unauthorized",
            "Metrics need the scrape token (or a loopback client when none is configured).",
            code="metrics_token_required",
            instance="/metrics",
        )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
