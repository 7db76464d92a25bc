from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import BUS, utcnow
from gateway.workspaces.exceptions import WorkspaceNotFound
from gateway.workspaces.models import Membership, Workspace
from yunying_shared.auth import Principal, Role
from yunying_shared.bus import publish
from yunying_shared.errors import Conflict, Forbidden
from yunying_shared.events import WORKSPACE_CREATED, make_event
from yunying_shared.events.payloads.gateway import WorkspaceCreated
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_rows

EVENT_SOURCE = "/yunying/gateway"


async def create_workspace(
    session: AsyncSession,
    *,
    creator_id: uuid.UUID,
    name: str,
    slug: str,
    correlation_id: str | None = None,
) -> Workspace:
    """The workspace, its creator as admin, and `workspace.created` in the outbox: all or none."""
    if await session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict(f"The slug {slug!r} is taken.", field="slug")
    workspace = Workspace(id=uuid.uuid4(), name=name, slug=slug, created_at=utcnow())
    session.add(workspace)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create took the slug after our check
        raise Conflict(f"The slug {slug!r} is taken.", field="slug") from exc
    session.add(Membership(workspace_id=workspace.id, user_id=creator_id, role=Role.ADMIN.value))
    await session.flush()
    payload = WorkspaceCreated(
        workspace_id=workspace.id, name=name, slug=slug, created_at=workspace.created_at
    )
    await publish(
        session,
        BUS,
        make_event(
            WORKSPACE_CREATED,
            payload,
            source=EVENT_SOURCE,
            workspace=workspace.id,
            correlationid=correlation_id,
        ),
    )
    return workspace


async def find_membership(
    session: AsyncSession, *, user_id: uuid.UUID, workspace_id: uuid.UUID
) -> Membership | None:
    return await session.get(Membership, (workspace_id, user_id))


async def require_member(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    roles: Collection[Role] = (),
    is_superuser: bool = False,
) -> Membership:
    """The caller's membership; 404 when there is none, 403 when its role is not enough.

    Workspace admins and superusers pass every role check."""
    membership = await find_membership(session, user_id=user_id, workspace_id=workspace_id)
    if membership is None:
        raise WorkspaceNotFound()
    allowed = {str(role) for role in roles} | {Role.ADMIN.value}
    if roles and membership.role not in allowed and not is_superuser:
        raise Forbidden(f"Requires one of the roles: {', '.join(sorted(allowed))}.")
    return membership


async def require_admin(
    session: AsyncSession, user: Principal, workspace_id: uuid.UUID
) -> Membership:
    """The logged-in user administers the workspace (404 when not a member, 403 otherwise)."""
    return await require_member(
        session,
        user_id=uuid.UUID(user.subject),
        workspace_id=workspace_id,
        roles=(Role.ADMIN,),
        is_superuser=user.is_superuser,
    )


async def list_workspaces(
    session: AsyncSession, *, user_id: uuid.UUID
) -> list[tuple[Workspace, str]]:
    """Every workspace the user belongs to (what `/v1/me` shows), oldest first."""
    rows = await session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.created_at, Workspace.slug)
    )
    return [(workspace, role) for workspace, role in rows]


async def page_workspaces(
    session: AsyncSession, *, user_id: uuid.UUID, page: PageRequest, role: Role | None = None
) -> RowsPage[Any]:
    """The user's workspaces, oldest first, as rows of (workspace, the user's role there)."""
    statement = (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
    )
    if role is not None:
        statement = statement.where(Membership.role == role.value)
    return await keyset_rows(
        session,
        statement,
        page,
        keys=(Workspace.created_at, Workspace.id),
        key_of=lambda row: (row[0].created_at, row[0].id),
    )


async def get_workspace(
    session: AsyncSession, *, user_id: uuid.UUID, workspace_id: uuid.UUID
) -> tuple[Workspace, str]:
    membership = await require_member(session, user_id=user_id, workspace_id=workspace_id)
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise WorkspaceNotFound()
    return workspace, membership.role
