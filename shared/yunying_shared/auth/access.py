"""Who may call a route, declared once per route with one dependency:

    Writer = Annotated[Principal, Depends(authorize(Role.OPERATOR, scopes=["segments:write"]))]

People are judged by their role in the workspace (admins and superusers always pass), API keys
by their scopes (every listed scope; a route listing none is closed to API keys). The
declaration stays readable on the route (`access_of`), so the authorization-matrix test and the
API document are derived from it, and a route without one fails that test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from yunying_shared.auth.principal import Principal, PrincipalDep, Role
from yunying_shared.errors import Forbidden

ACCESS_ATTRIBUTE = "yunying_access"
# Async, so FastAPI runs it on the event loop instead of a worker thread per request.
Check = Callable[[Principal], Awaitable[Principal]]
ANY_ROLE = tuple(Role)


@dataclass(frozen=True)
class Access:
    roles: frozenset[str]
    scopes: frozenset[str]

    def allows(self, principal: Principal) -> bool:
        if principal.kind == "api_key":
            if "*" in self.scopes:
                return True
            return bool(self.scopes) and self.scopes <= principal.scopes
        return principal.is_superuser or bool(principal.roles & self.roles)


def authorize(*roles: Role, scopes: Iterable[str] = ()) -> Check:
    access = Access(frozenset(str(r) for r in (*roles, Role.ADMIN)), frozenset(scopes))

    async def check(principal: PrincipalDep) -> Principal:
        if access.allows(principal):
            return principal
        if principal.kind == "api_key":
            if not access.scopes:
                raise Forbidden("This endpoint is for people, not API keys.")
            missing = ", ".join(sorted(access.scopes - principal.scopes))
            raise Forbidden(f"API key lacks scopes: {missing}.")
        raise Forbidden(f"Requires one of the roles: {', '.join(sorted(access.roles))}.")

    setattr(check, ACCESS_ATTRIBUTE, access)
    return check


async def _forwarded(principal: PrincipalDep) -> Principal:
    return principal


# The gateway's proxy: any authenticated caller passes here; the owning service judges the
# route it reaches with its own declaration.
setattr(_forwarded, ACCESS_ATTRIBUTE, Access(frozenset(str(r) for r in Role), frozenset({"*"})))


def judged_upstream() -> Check:
    return _forwarded


def require_roles(*roles: Role) -> Check:
    """People holding one of `roles` (admins always pass); closed to API keys."""
    return authorize(*roles)


def require_scopes(*scopes: str) -> Check:
    """API keys holding every scope, and people of any role."""
    return authorize(*ANY_ROLE, scopes=scopes)


def access_of(route: APIRoute | Any) -> Access | None:
    """The route's declaration, wherever it sits among its dependencies (`route` is an APIRoute
    or what the router put in the request scope for it: anything with a `dependant`)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        found: Access | None = getattr(dependant.call, ACCESS_ATTRIBUTE, None)
        if found is not None:
            return found
        pending.extend(dependant.dependencies)
    return None


async def refuse_undeclared_for_api_keys(request: Request) -> None:
    """App-wide safety net: an API key never reaches a route that declares no access."""
    principal: Any = getattr(request.state, "principal", None)
    route = request.scope.get("route")
    if (
        principal is not None
        and principal.kind == "api_key"
        and hasattr(route, "dependant")
        and access_of(route) is None
    ):
        raise Forbidden("This endpoint is for people, not API keys.")
