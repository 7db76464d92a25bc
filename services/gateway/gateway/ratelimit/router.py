"""Workspace admins size their workspace's rate-limit buckets, and a single API key's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit.deps import AuditActorDep
from gateway.audit.record import Action, ActionName, Actor, Detail, record
from gateway.identity.deps import SettingsDep, UserDep, user_id_of
from gateway.ratelimit import service
from gateway.ratelimit.models import ApiKeyRateLimit
from gateway.ratelimit.schemas import (
    PROPAGATION,
    ApiKeyRateLimitOut,
    LimitIn,
    WorkspaceRateLimitsIn,
    WorkspaceRateLimitsOut,
)
from gateway.ratelimit.stored import StoredLimits, StoredLimitsDep
from gateway.workspaces.service import require_admin
from yunying_shared.db import ReadSessionDep, SessionDep

router = APIRouter(prefix="/v1/workspaces/{workspace_id}", tags=["rate limits"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller is not an admin of the workspace"},
    404: {"description": "Unknown workspace (or not a member), or a key not of this workspace"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    422: {
        "description": "A size out of bounds or above the deployment's ceiling, named in `errors`"
    },
}
SIZES = (
    "Sizes are token buckets: `burst` requests at once, refilled at `per_second`. The "
    "server accepts `per_second` in (0, 10000] and `burst` in [1, 100000], and no more than the "
    "deployment's ceilings (`rate_limit_max_per_second`, `rate_limit_max_burst`: 1000 and 10000 "
    "unless configured). "
)


async def _workspace_view(
    session: AsyncSession, stored: StoredLimits, workspace_id: UUID
) -> WorkspaceRateLimitsOut:
    rows = await service.workspace_rows(session, workspace_id)
    return service.workspace_view(
        stored.deployment, workspace_id, rows, propagation_seconds=stored.refresh_seconds
    )


async def _recorded_and_applied(
    session: AsyncSession, stored: StoredLimits, actor: Actor, action: Action
) -> None:
    """The audit entry in the change's transaction, committed now so this replica's table takes
    the change before answering (the others within their refresh period)."""
    await record(session, actor, action)
    await session.commit()
    await stored.reload_or_wait()


def _action(
    name: ActionName, workspace_id: UUID, target: tuple[str, UUID], detail: Detail
) -> Action:
    return Action(
        name,
        workspace_id=workspace_id,
        target_type=target[0],
        target_id=str(target[1]),
        detail=detail,
    )


@router.get(
    "/rate-limits",
    response_model=WorkspaceRateLimitsOut,
    summary="The workspace's rate limits",
    description="Workspace admins only. The size of each bucket the workspace's requests draw "
    "from, and where each size comes from: set for the workspace, or the deployment's. A key "
    "with a size of its own shows it at its `rate-limit`. Every response carries the caller's "
    "`X-RateLimit-*` headers.",
    responses=ERRORS,
)
async def read_workspace_limits(
    workspace_id: UUID, session: ReadSessionDep, user: UserDep, stored: StoredLimitsDep
) -> WorkspaceRateLimitsOut:
    await require_admin(session, user, workspace_id)
    return await _workspace_view(session, stored, workspace_id)


@router.put(
    "/rate-limits",
    response_model=WorkspaceRateLimitsOut,
    summary="Set the workspace's rate limits",
    description="Workspace admins only. Replaces the workspace's sizes for its API keys' and "
    "its users' buckets (each key and each user still has a bucket of its own, of this size); "
    "a kind left out or null follows the deployment's again. Client-address buckets are "
    "shared by every workspace and set by the deployment only. " + SIZES + PROPAGATION + " "
    "Recorded in the audit log as `rate_limit.set`.",
    responses=WRITE_ERRORS,
)
async def set_workspace_limits(
    workspace_id: UUID,
    body: WorkspaceRateLimitsIn,
    session: SessionDep,
    user: UserDep,
    settings: SettingsDep,
    stored: StoredLimitsDep,
    actor: AuditActorDep,
) -> WorkspaceRateLimitsOut:
    await require_admin(session, user, workspace_id)
    service.check_ceilings(
        {"body.api_key": body.api_key, "body.user": body.user},
        max_per_second=settings.rate_limit_max_per_second,
        max_burst=settings.rate_limit_max_burst,
    )
    limits = {
        "api_key": body.api_key.limit() if body.api_key else None,
        "user": body.user.limit() if body.user else None,
    }
    await service.set_workspace_limits(
        session, workspace_id=workspace_id, limits=limits, by=user_id_of(user)
    )
    detail: Detail = {kind: service.described(limit) for kind, limit in limits.items()}
    action = _action("rate_limit.set", workspace_id, ("workspace", workspace_id), detail)
    await _recorded_and_applied(session, stored, actor, action)
    return await _workspace_view(session, stored, workspace_id)


@router.delete(
    "/rate-limits",
    status_code=204,
    response_class=Response,
    summary="Clear the workspace's rate limits",
    description="Workspace admins only. The workspace's keys and users follow the deployment's "
    "sizes again (keys with a size of their own keep it). " + PROPAGATION + " Recorded in the "
    "audit log as `rate_limit.cleared`.",
    responses=ERRORS,
)
async def clear_workspace_limits(
    workspace_id: UUID,
    session: SessionDep,
    user: UserDep,
    stored: StoredLimitsDep,
    actor: AuditActorDep,
) -> Response:
    await require_admin(session, user, workspace_id)
    await service.set_workspace_limits(
        session, workspace_id=workspace_id, limits={}, by=user_id_of(user)
    )
    action = _action("rate_limit.cleared", workspace_id, ("workspace", workspace_id), {})
    await _recorded_and_applied(session, stored, actor, action)
    return Response(status_code=204)


async def _key_view(
    session: AsyncSession, stored: StoredLimits, workspace_id: UUID, key_id: UUID
) -> ApiKeyRateLimitOut:
    key = await service.workspace_key(session, workspace_id=workspace_id, key_id=key_id)
    own = await session.get(ApiKeyRateLimit, key.id, populate_existing=True)
    workspace = await _workspace_view(session, stored, workspace_id)
    return service.key_view(
        stored.deployment, key, own, workspace, propagation_seconds=stored.refresh_seconds
    )


@router.get(
    "/api-keys/{key_id}/rate-limit",
    response_model=ApiKeyRateLimitOut,
    summary="An API key's rate limit",
    description="Workspace admins only. The size of the key's bucket and where it comes from: "
    "set for the key, for the workspace's keys, or the deployment's.",
    responses=ERRORS,
)
async def read_key_limit(
    workspace_id: UUID,
    key_id: UUID,
    session: ReadSessionDep,
    user: UserDep,
    stored: StoredLimitsDep,
) -> ApiKeyRateLimitOut:
    await require_admin(session, user, workspace_id)
    return await _key_view(session, stored, workspace_id, key_id)


@router.put(
    "/api-keys/{key_id}/rate-limit",
    response_model=ApiKeyRateLimitOut,
    summary="Set an API key's rate limit",
    description="Workspace admins only. The key's own size, ahead of the workspace's and the "
    "deployment's. " + SIZES + PROPAGATION + " Recorded in the audit log as `rate_limit.set`.",
    responses=WRITE_ERRORS,
)
async def set_key_limit(
    workspace_id: UUID,
    key_id: UUID,
    body: LimitIn,
    session: SessionDep,
    user: UserDep,
    settings: SettingsDep,
    stored: StoredLimitsDep,
    actor: AuditActorDep,
) -> ApiKeyRateLimitOut:
    await require_admin(session, user, workspace_id)
    key = await service.workspace_key(session, workspace_id=workspace_id, key_id=key_id, lock=True)
    service.check_ceilings(
        {"body": body},
        max_per_second=settings.rate_limit_max_per_second,
        max_burst=settings.rate_limit_max_burst,
    )
    limit = body.limit()
    await service.set_key_limit(session, key=key, limit=limit, by=user_id_of(user))
    detail: Detail = {"api_key": service.described(limit)}
    action = _action("rate_limit.set", workspace_id, ("api_key", key.id), detail)
    await _recorded_and_applied(session, stored, actor, action)
    return await _key_view(session, stored, workspace_id, key_id)


@router.delete(
    "/api-keys/{key_id}/rate-limit",
    status_code=204,
    response_class=Response,
    summary="Clear an API key's rate limit",
    description="Workspace admins only. The key takes the workspace's size for its keys again, "
    "or the deployment's. " + PROPAGATION + " Recorded in the audit log as `rate_limit.cleared`.",
    responses=ERRORS,
)
async def clear_key_limit(
    workspace_id: UUID,
    key_id: UUID,
    session: SessionDep,
    user: UserDep,
    stored: StoredLimitsDep,
    actor: AuditActorDep,
) -> Response:
    await require_admin(session, user, workspace_id)
    key = await service.workspace_key(session, workspace_id=workspace_id, key_id=key_id, lock=True)
    await service.clear_key_limit(session, key=key)
    action = _action("rate_limit.cleared", workspace_id, ("api_key", key.id), {})
    await _recorded_and_applied(session, stored, actor, action)
    return Response(status_code=204)
