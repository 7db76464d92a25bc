"""Who is calling: a user or an API client, in one workspace, with roles and scopes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, Request

from yunying_shared.errors import DomainError, Forbidden, Unauthorized

INTERNAL_TOKEN_HEADER = "X-Yunying-Internal-Token"


class WorkspaceRequired(DomainError):
    status_code = 400
    title = "Workspace required"
    code = "workspace_required"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    REVIEWER = "reviewer"
    ANALYST = "analyst"


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: Literal["user", "api_key"]
    workspace_id: UUID | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    is_superuser: bool = False


def _principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthorized("Authentication required.")
    return principal


PrincipalDep = Annotated[Principal, Depends(_principal)]


def _workspace(principal: PrincipalDep) -> UUID:
    if principal.workspace_id is None:
        raise WorkspaceRequired(
            "No workspace selected: send the X-Workspace-Id header with the id of one of your "
            "workspaces (optional only when you belong to exactly one).",
            header="X-Workspace-Id",
        )
    return principal.workspace_id


WorkspaceDep = Annotated[UUID, Depends(_workspace)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """Dependency: the user holds one of `roles` in the workspace (admins always pass)."""
    allowed = {str(role) for role in roles} | {str(Role.ADMIN)}

    def check(principal: PrincipalDep) -> Principal:
        if principal.kind != "user" or not (principal.roles & allowed or principal.is_superuser):
            raise Forbidden(f"Requires one of the roles: {', '.join(sorted(allowed))}.")
        return principal

    return check


def require_scopes(*scopes: str) -> Callable[[Principal], Principal]:
    """Dependency: an API client holding every scope, or a user (users act through roles)."""

    def check(principal: PrincipalDep) -> Principal:
        missing = set(scopes) - principal.scopes
        if principal.kind == "api_key" and missing:
            raise Forbidden(f"API key lacks scopes: {', '.join(sorted(missing))}.")
        return principal

    return check
