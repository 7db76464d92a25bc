from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from gateway.audit.deps import AuditActorDep
from gateway.audit.record import Action, record
from gateway.identity.deps import CorrelationIdDep, SettingsDep, UserDep, user_id_of
from gateway.proxy.clients import UpstreamsDep
from gateway.workspaces import propagation, service
from gateway.workspaces.models import Workspace
from gateway.workspaces.schemas import PropagationOut, WorkspaceIn, WorkspaceOut
from yunying_shared.auth import Role, issue_internal_token
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.errors import Forbidden
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/workspaces", tags=["workspaces"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown, or the caller is not a member"}
}


def _out(workspace: Workspace, role: str) -> WorkspaceOut:
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        slug=workspace.slug,
        created_at=workspace.created_at,
        role=Role(role),
    )


@router.post(
    "",
    status_code=201,
    response_model=WorkspaceOut,
    summary="Create a workspace",
    description="Superusers only. The creator becomes the workspace's admin, and "
    "`workspace.created` is published so every service records the workspace.",
    responses={403: {"description": "Not a superuser"}, 409: {"description": "The slug is taken"}},
)
async def create_workspace(
    body: WorkspaceIn,
    session: SessionDep,
    user: UserDep,
    correlation_id: CorrelationIdDep,
    actor: AuditActorDep,
) -> WorkspaceOut:
    if not user.is_superuser:
        raise Forbidden("Only superusers create workspaces.")
    workspace = await service.create_workspace(
        session,
        creator_id=user_id_of(user),
        name=body.name,
        slug=body.slug,
        correlation_id=correlation_id,
    )
    await record(
        session,
        actor,
        Action(
            "workspace.created",
            workspace_id=workspace.id,
            target_type="workspace",
            target_id=str(workspace.id),
            detail={"name": workspace.name, "slug": workspace.slug},
        ),
    )
    return _out(workspace, Role.ADMIN.value)


@router.get(
    "",
    response_model=Page[WorkspaceOut],
    summary="List my workspaces",
    description="The workspaces the caller belongs to, with the caller's role in each, oldest "
    "first; `role` keeps those where the caller holds that role.",
)
async def list_workspaces(
    session: ReadSessionDep,
    user: UserDep,
    page: PageParams,
    role: Annotated[
        Role | None, Query(description="Only workspaces where I hold this role")
    ] = None,
) -> Page[WorkspaceOut]:
    rows = await service.page_workspaces(session, user_id=user_id_of(user), page=page, role=role)
    return rows.to_page(lambda row: _out(row[0], row[1]))


@router.get(
    "/{workspace_id}", response_model=WorkspaceOut, summary="Read a workspace", responses=NOT_FOUND
)
async def read_workspace(
    workspace_id: UUID, session: ReadSessionDep, user: UserDep
) -> WorkspaceOut:
    workspace, role = await service.get_workspace(
        session, user_id=user_id_of(user), workspace_id=workspace_id
    )
    return _out(workspace, role)


@router.get(
    "/{workspace_id}/propagation",
    response_model=PropagationOut,
    summary="Which services have recorded the workspace",
    description="Asks every service whether it has received `workspace.created` for "
    "this workspace. Right after creation some may still say no; poll until "
    "`complete` is true.",
    responses=NOT_FOUND,
)
async def read_propagation(
    workspace_id: UUID,
    session: ReadSessionDep,
    user: UserDep,
    clients: UpstreamsDep,
    settings: SettingsDep,
) -> PropagationOut:
    membership = await service.require_member(
        session, user_id=user_id_of(user), workspace_id=workspace_id
    )
    caller = replace(user, workspace_id=workspace_id, roles=frozenset({membership.role}))
    token = issue_internal_token(
        caller,
        secret=settings.internal_token_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
    )
    return await propagation.check_propagation(
        session, workspace_id=workspace_id, clients=clients, internal_token=token
    )
