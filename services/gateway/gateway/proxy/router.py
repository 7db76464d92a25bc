from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gateway.audit.proxied import audit_if_setting
from gateway.proxy.forward import forward
from gateway.proxy.internal_tokens import InternalTokens
from gateway.proxy.routes import Owners, own_methods
from yunying_shared.auth import Principal
from yunying_shared.auth.access import judged_upstream
from yunying_shared.errors import MethodNotAllowed, NotFound, ServiceUnavailable

router = APIRouter()

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def _own_path_with_another_method(request: Request) -> None:
    """A `/v1/…` path the gateway itself answers, with a method it does not: 405 with `Allow`,
    before authentication, as on any other path. A path a service owns skips the probe, so
    forwarding pays one prefix lookup for it."""
    owners: Owners = request.app.state.owners
    if owners.of(request.url.path) is not None:
        return
    allowed = own_methods(request, router)
    if allowed:
        raise MethodNotAllowed(request.method, allowed)


@router.api_route("/v1/{path:path}", methods=METHODS, include_in_schema=False)
async def proxy(
    request: Request,
    _: Annotated[None, Depends(_own_path_with_another_method)],
    principal: Annotated[Principal, Depends(judged_upstream())],
) -> Response:
    owners: Owners = request.app.state.owners
    service = owners.of(request.url.path)
    if service is None:
        raise NotFound(f"No endpoint at {request.url.path}.")
    upstream = request.app.state.upstreams.get(service)
    if upstream is None:
        raise ServiceUnavailable(f"The {service} service is not configured.", service=service)
    tokens: InternalTokens = request.app.state.internal_tokens
    response = await forward(request, service=upstream, token=tokens.for_principal(principal))
    await audit_if_setting(request, principal, response.status_code)
    return response
