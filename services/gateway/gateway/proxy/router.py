from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gateway.identity.deps import SettingsDep
from gateway.proxy.clients import UpstreamsDep
from gateway.proxy.forward import forward
from gateway.proxy.routes import owner_of
from yunying_shared.auth import Principal, issue_internal_token
from yunying_shared.auth.access import judged_upstream
from yunying_shared.errors import NotFound, ServiceUnavailable

router = APIRouter()

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_route("/v1/{path:path}", methods=METHODS, include_in_schema=False)
async def proxy(
    request: Request,
    principal: Annotated[Principal, Depends(judged_upstream())],
    clients: UpstreamsDep,
    settings: SettingsDep,
) -> Response:
    service = owner_of(request.app.state.route_table, request.url.path)
    if service is None:
        raise NotFound(f"No endpoint at {request.url.path}.")
    client = clients.get(service)
    if client is None:
        raise ServiceUnavailable(f"The {service} service is not configured.", service=service)
    token = issue_internal_token(
        principal,
        secret=settings.internal_token_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
    )
    return await forward(request, service=service, client=client, token=token)
