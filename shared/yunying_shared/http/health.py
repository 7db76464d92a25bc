from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok", "service": request.app.state.settings.service_name}


async def _check(probe: Any) -> str:
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
        return "ok"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"


@router.get(
    "/readyz",
    summary="Readiness: the database and the bus are reachable",
    responses={503: {"description": "A dependency is unreachable"}},
)
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks = {
        "database": await _check(state.database.ping),
        "bus": await _check(state.transport.ping),
    }
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {
            "status": "ready" if ready else "not ready",
            "service": state.settings.service_name,
            "checks": checks,
        },
        status_code=200 if ready else 503,
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
