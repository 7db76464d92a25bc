"""Who is calling: a user or an API client, in one workspace, with roles and scopes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, Request

from yunying_shared.errors import DomainError, Unauthorized

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


async def _principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthorized("Authentication required.")
    return principal


PrincipalDep = Annotated[Principal, Depends(_principal)]


async def _workspace(principal: PrincipalDep) -> UUID:
    if principal.workspace_id is None:
        raise WorkspaceRequired(
            "No workspace selected: send the X-Workspace-Id header with the id of one of your "
            "workspaces (optional only when you belong to exactly one).",
            header="X-Workspace-Id",
        )
    return principal.workspace_id


WorkspaceDep = Annotated[UUID, Depends(_workspace)]
