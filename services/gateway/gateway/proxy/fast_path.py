"""Forwarding without FastAPI's routing: the proxied prefixes are matched first, by one lookup.

Behind the catch-all route, a forwarded request paid for being tried against each of the
gateway's own routes, then for FastAPI's request handling and the solving of three dependencies
(the app-wide one, the 405 probe, the principal), all of which a path some service owns never
needs. This route sits first in the app's router and claims exactly the requests the catch-all
would have forwarded: a method it accepts, on a path the route table gives an owner. Everything
outside the router is unchanged (request id, path guard, body limit, authentication, rate
limits, metrics, audit); errors are raised as before, so the app's handlers answer them; and the
request carries the catch-all route in its scope, so metrics and any reader of `scope["route"]`
see what they saw before.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from gateway.audit.proxied import audit_if_setting
from gateway.proxy.forward import forward
from gateway.proxy.internal_tokens import InternalTokens
from gateway.proxy.routes import Owners
from yunying_shared.auth import Principal
from yunying_shared.errors import ServiceUnavailable, Unauthorized

PROXIED_PREFIX = "/v1/"
UPSTREAM_KEY = "yunying.upstream"


class ForwardingRoute(BaseRoute):
    def __init__(self, catch_all: APIRoute) -> None:
        self.catch_all = catch_all
        self.path = catch_all.path
        self.methods = frozenset(catch_all.methods or ())

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in self.methods:
            return Match.NONE, {}
        owners: Owners | None = getattr(scope["app"].state, "owners", None)
        route_path = get_route_path(scope)
        if owners is None or not route_path.startswith(PROXIED_PREFIX):
            return Match.NONE, {}
        service = owners.of(scope["path"])
        if service is None:
            return Match.NONE, {}
        return Match.FULL, {
            "route": self.catch_all,
            "endpoint": self.catch_all.endpoint,
            "path_params": {"path": route_path[len(PROXIED_PREFIX) :]},
            UPSTREAM_KEY: service,
        }

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        principal: Principal | None = scope.get("state", {}).get("principal")
        if principal is None:
            raise Unauthorized("Authentication required.")
        state: Any = scope["app"].state
        service: str = scope[UPSTREAM_KEY]
        upstream = state.upstreams.get(service)
        if upstream is None:
            raise ServiceUnavailable(f"The {service} service is not configured.", service=service)
        tokens: InternalTokens = state.internal_tokens
        response = await forward(request, service=upstream, token=tokens.for_principal(principal))
        await audit_if_setting(request, principal, response.status_code)
        await response(scope, receive, send)
