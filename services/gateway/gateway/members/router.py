from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from gateway.audit.deps import AuditActorDep
from gateway.audit.record import Action, record
from gateway.identity.deps import SettingsDep, UserDep, user_id_of
from gateway.identity.passwords import hasher_for
from gateway.members import service
from gateway.members.schemas import MemberIn, MemberOut, MemberPatch
from gateway.workspaces.service import require_admin, require_member
from yunying_shared.auth import Role
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import StorableText

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/members", tags=["members"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller is not an admin of the workspace"},
    404: {"description": "Unknown workspace (or not a member), or unknown member"},
}


@router.post(
    "",
    status_code=201,
    response_model=MemberOut,
    summary="Add a member",
    description="Workspace admins only. Adds an existing user by email, or creates "
    "the user when a password is given.",
    responses={**ERRORS, 409: {"description": "Already a member"}},
)
async def add_member(
    workspace_id: UUID,
    body: MemberIn,
    session: SessionDep,
    user: UserDep,
    settings: SettingsDep,
    actor: AuditActorDep,
) -> MemberOut:
    await require_admin(session, user, workspace_id)
    added = await service.add_member(
        session,
        workspace_id=workspace_id,
        email=body.email,
        password=body.password,
        role=body.role,
        hasher=hasher_for(settings),
    )
    await record(
        session,
        actor,
        Action(
            "member.added",
            workspace_id=workspace_id,
            target_type="user",
            target_id=str(added.user_id),
            detail={
                "email": added.email,
                "role": str(added.role),
                "created": body.password is not None,
            },
        ),
    )
    return added


@router.get(
    "",
    response_model=Page[MemberOut],
    summary="List members",
    description="Any member may list the workspace's members, in the order they joined; "
    "`role` and `email` (a prefix, case-insensitive) narrow the list.",
    responses=ERRORS,
)
async def list_members(
    workspace_id: UUID,
    session: ReadSessionDep,
    user: UserDep,
    page: PageParams,
    role: Annotated[Role | None, Query(description="Only members holding this role")] = None,
    email: Annotated[
        StorableText | None,
        Query(min_length=1, max_length=320, description="Start of the member's email"),
    ] = None,
) -> Page[MemberOut]:
    await require_member(session, user_id=user_id_of(user), workspace_id=workspace_id)
    return await service.list_members(
        session, workspace_id=workspace_id, page=page, role=role, email_prefix=email
    )


@router.patch(
    "/{user_id}",
    response_model=MemberOut,
    summary="Change a member's role",
    description="Workspace admins only; the last admin cannot be demoted.",
    responses={**ERRORS, 409: {"description": "It would leave no admin"}},
)
async def change_role(
    workspace_id: UUID,
    user_id: UUID,
    body: MemberPatch,
    session: SessionDep,
    user: UserDep,
    actor: AuditActorDep,
) -> MemberOut:
    await require_admin(session, user, workspace_id)
    changed = await service.change_role(
        session, workspace_id=workspace_id, user_id=user_id, role=body.role
    )
    await record(
        session,
        actor,
        Action(
            "member.role_changed",
            workspace_id=workspace_id,
            target_type="user",
            target_id=str(user_id),
            detail={"role": str(changed.role)},
        ),
    )
    return changed


@router.delete(
    "/{user_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a member",
    description="Workspace admins only; the last admin cannot be removed. The user account stays.",
    responses={**ERRORS, 409: {"description": "It would leave no admin"}},
)
async def remove_member(
    workspace_id: UUID, user_id: UUID, session: SessionDep, user: UserDep, actor: AuditActorDep
) -> Response:
    await require_admin(session, user, workspace_id)
    await service.remove_member(session, workspace_id=workspace_id, user_id=user_id)
    await record(
        session,
        actor,
        Action(
            "member.removed", workspace_id=workspace_id, target_type="user", target_id=str(user_id)
        ),
    )
    return Response(status_code=204)
