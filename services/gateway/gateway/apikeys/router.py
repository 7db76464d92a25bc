from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from gateway.apikeys import service
from gateway.apikeys.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from gateway.audit.deps import AuditActorDep
from gateway.audit.record import Action, record
from gateway.identity.deps import UserDep, user_id_of
from gateway.workspaces.service import require_admin
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/api-keys", tags=["api keys"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller is not an admin of the workspace"},
    404: {"description": "Unknown workspace (or not a member), or unknown key"},
}


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Create an API key",
    description="Workspace admins only. The full key is in this response and nowhere "
    "else: only its prefix and a hash of its secret are stored.",
    responses=ERRORS,
)
async def create_key(
    workspace_id: UUID, body: ApiKeyIn, session: SessionDep, user: UserDep, actor: AuditActorDep
) -> ApiKeyCreated:
    await require_admin(session, user, workspace_id)
    created = await service.create_key(
        session,
        workspace_id=workspace_id,
        name=body.name,
        scopes=body.scopes,
        created_by=user_id_of(user),
    )
    await record(
        session,
        actor,
        Action(
            "api_key.created",
            workspace_id=workspace_id,
            target_type="api_key",
            target_id=str(created.id),
            # The scopes and prefix, never the secret.
            detail={
                "name": created.name,
                "prefix": created.prefix,
                "scopes": " ".join(created.scopes),
            },
        ),
    )
    return created


@router.get(
    "",
    response_model=Page[ApiKeyOut],
    summary="List API keys",
    description="Workspace admins only, oldest first. Secrets are never shown again. "
    "`revoked=false` lists the keys still in use.",
    responses=ERRORS,
)
async def list_keys(
    workspace_id: UUID,
    session: ReadSessionDep,
    user: UserDep,
    page: PageParams,
    revoked: Annotated[bool | None, Query(description="Revoked keys only, or active only")] = None,
) -> Page[ApiKeyOut]:
    await require_admin(session, user, workspace_id)
    return await service.list_keys(session, workspace_id=workspace_id, page=page, revoked=revoked)


@router.delete(
    "/{key_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke an API key",
    description="Workspace admins only. The key stops working at once.",
    responses=ERRORS,
)
async def revoke_key(
    workspace_id: UUID, key_id: UUID, session: SessionDep, user: UserDep, actor: AuditActorDep
) -> Response:
    await require_admin(session, user, workspace_id)
    await service.revoke_key(session, workspace_id=workspace_id, key_id=key_id)
    await record(
        session,
        actor,
        Action(
            "api_key.revoked",
            workspace_id=workspace_id,
            target_type="api_key",
            target_id=str(key_id),
        ),
    )
    return Response(status_code=204)
