from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gateway.identity.deps import SettingsDep
from gateway.proxy.forward import forward
from gateway.proxy.routes import own_methods, owner_of
from yunying_shared.auth import Principal, issue_internal_token
from yunying_shared.auth.access import judged_upstream
from yunying_shared.errors import MethodNotAllowed, NotFound, ServiceUnavailable

router = APIRouter()

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def _own_path_with_another_method(request: Request) -> None:
    """A `/v1/…` path the gateway itself answers, with a method it does not: 405 with `Allow`,
    before authentication, as on any other path. A path a service owns skips the probe, so
    forwarding pays one prefix lookup for it."""
    if owner_of(request.app.state.route_table, request.url.path) is not None:
        return
    allowed = own_methods(request, router)
    if allowed:
        raise MethodNotAllowed(request.method, allowed)


@router.api_route("/v1/{path:path}", methods=METHODS, include_in_schema=False)
async def proxy(
    request: Request,
    _: Annotated[None, Depends(_own_path_with_another_method)],
    principal: Annotated[Principal, Depends(judged_upstream())],
    settings: SettingsDep,
) -> Response:
    service = owner_of(request.app.state.route_table, request.url.path)
    if service is None:
        raise NotFound(f"No endpoint at {request.url.path}.")
    upstream = request.app.state.upstreams.get(service)
    if upstream is None:
        raise ServiceUnavailable(f"The {service} service is not configured.", service=service)
    token = issue_internal_token(
        principal,
        secret=settings.internal_token_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
    )
    return await forward(request, service=upstream, token=token)
