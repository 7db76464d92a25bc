"""Reading the audit log. There is deliberately no route that changes or deletes an entry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from gateway.audit import service
from gateway.audit.models import AuditEntry
from gateway.audit.record import ActionName
from gateway.audit.schemas import AuditEntryOut
from gateway.audit.service import AuditFilter
from gateway.identity.deps import UserDep, user_id_of
from gateway.workspaces.service import require_member
from yunying_shared.auth import Role
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.errors import Forbidden, InvalidInput
from yunying_shared.http.pagination import Page, PageParams, keyset_page
from yunying_shared.storable import text_problem

router = APIRouter(tags=["audit"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "Not an admin of the workspace (or not a superuser, for all entries)"},
    404: {"description": "Unknown workspace, or the caller is not a member"},
    422: {"description": "A bad filter or cursor, named in `errors`"},
}
ORDER = (
    "Newest first (by time, then id), one page of the cursor envelope at a time (`limit`, "
    "`cursor` from `next_cursor`)."
)


def _filters(
    actor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=320,
            description="The acting user's id or email",
            examples=["admin@brand.example"],
        ),
    ] = None,
    action: Annotated[ActionName | None, Query(description="One action")] = None,
    since: Annotated[
        datetime | None,
        Query(alias="from", description="Entries at or after this instant (ISO 8601, offset)"),
    ] = None,
    until: Annotated[
        datetime | None,
        Query(alias="to", description="Entries before this instant (ISO 8601, offset)"),
    ] = None,
) -> AuditFilter:
    problem = text_problem(actor) if actor is not None else None
    if problem is not None:
        raise InvalidInput(
            f"`actor` {problem}.", errors=[{"field": "query.actor", "message": problem}]
        )
    for name, value in (("from", since), ("to", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(
                f"`{name}` needs a UTC offset.",
                errors=[{"field": f"query.{name}", "message": "add an offset, e.g. Z or +08:00"}],
            )
    if since is not None and until is not None and until <= since:
        raise InvalidInput(
            "`to` is not after `from`.",
            errors=[{"field": "query.to", "message": "must be after `from`"}],
        )
    return AuditFilter(actor=actor, action=action, since=since, until=until)


FiltersDep = Annotated[AuditFilter, Depends(_filters)]


@router.get(
    "/v1/workspaces/{workspace_id}/audit",
    response_model=Page[AuditEntryOut],
    responses=ERRORS,
    summary="The workspace's audit log",
    description="Workspace admins only. Every admin action on the workspace (members, roles, "
    "API keys, rate limits, sessions revoked), every change of a workspace setting kept by a "
    "service (`setting.changed`: RFM and lifecycle rules, tagging, sending and monitoring "
    "rules, word lists, cadence, FAQ settings, notification channels) and every login attempt "
    "of its "
    "current members, successful or not, filtered by actor, action and time. "
    + ORDER
    + " Entries are also published "
    "on `gateway.audit.v1`; none can be changed or deleted through the API.",
)
async def workspace_audit(
    workspace_id: UUID,
    session: ReadSessionDep,
    user: UserDep,
    filters: FiltersDep,
    page: PageParams,
) -> Page[AuditEntryOut]:
    await require_member(
        session,
        user_id=user_id_of(user),
        workspace_id=workspace_id,
        roles=(Role.ADMIN,),
        is_superuser=user.is_superuser,
    )
    statement = service.filtered(service.workspace_entries(workspace_id), filters)
    return await _page(session, statement, page)


@router.get(
    "/v1/audit",
    response_model=Page[AuditEntryOut],
    responses=ERRORS,
    summary="The whole audit log",
    description="Superusers only: every workspace's entries, and login attempts for unknown "
    "emails. Same filters and order as the workspace's log. " + ORDER,
)
async def platform_audit(
    session: ReadSessionDep, user: UserDep, filters: FiltersDep, page: PageParams
) -> Page[AuditEntryOut]:
    if not user.is_superuser:
        raise Forbidden("Only superusers read the whole audit log.")
    return await _page(session, service.filtered(service.all_entries(), filters), page)


async def _page(session: SessionDep, statement: Any, page: PageParams) -> Page[AuditEntryOut]:
    rows = await keyset_page(
        session, statement, page, keys=(AuditEntry.occurred_at, AuditEntry.id), descending=True
    )
    return rows.to_page(AuditEntryOut.of)
