"""Sessions a frontend expects: my devices, signing one out, an admin signing a member out
everywhere, and a password change that signs out every other device."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from gateway.audit.record import Action, Actor, record
from gateway.identity import passwords
from gateway.identity import service as identity
from gateway.identity.authenticator import SESSION_STATE
from gateway.identity.deps import CorrelationIdDep, SettingsDep, UserDep, user_id_of
from gateway.sessions import service
from gateway.sessions.schemas import PasswordChangeIn, RevokedOut, SessionOut
from gateway.workspaces.models import Membership
from gateway.workspaces.service import require_member
from yunying_shared.auth import Principal, Role
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.errors import Forbidden, InvalidInput, NotFound
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(tags=["sessions"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Not logged in"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such session of the caller"}}
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not an admin of the workspace, or the member is a superuser"},
    404: {"description": "Unknown workspace (or not a member), or unknown member"},
}


def _current_session(request: Request) -> UUID | None:
    current: UUID | None = getattr(request.state, SESSION_STATE, None)
    return current


CurrentSessionDep = Annotated[UUID | None, Depends(_current_session)]


def _actor(request: Request, user: Principal, correlation_id: str | None) -> Actor:
    return Actor(
        user_id=user_id_of(user),
        address=request.client.host if request.client else None,
        correlation_id=correlation_id,
    )


@router.get(
    "/v1/me/sessions",
    response_model=Page[SessionOut],
    responses=UNAUTHORIZED,
    summary="My sessions",
    description="The caller's live logins (one per device or browser), most recently used "
    "first; `current` marks the one making this request.",
)
async def list_my_sessions(
    session: ReadSessionDep, user: UserDep, current: CurrentSessionDep, page: PageParams
) -> Page[SessionOut]:
    rows = await service.page_active(session, user_id=user_id_of(user), page=page)
    return rows.to_page(lambda login: SessionOut.of(login, current))


@router.delete(
    "/v1/me/sessions/{session_id}",
    status_code=204,
    response_class=Response,
    responses={**UNAUTHORIZED, **NOT_FOUND},
    summary="Sign out one of my sessions",
    description="Ends the session at once: its refresh token stops working and its access "
    "tokens answer 401 from the next request (the current session too, if named).",
)
async def revoke_my_session(
    session_id: UUID,
    request: Request,
    session: SessionDep,
    user: UserDep,
    correlation_id: CorrelationIdDep,
) -> Response:
    if await service.find(session, session_id=session_id, user_id=user_id_of(user)) is None:
        raise NotFound("No such session.")
    await service.revoke(session, session_id=session_id, reason="revoked")
    await record(
        session,
        _actor(request, user, correlation_id),
        Action("session.revoked", target_type="session", target_id=str(session_id)),
    )
    return Response(status_code=204)


@router.delete(
    "/v1/workspaces/{workspace_id}/members/{user_id}/sessions",
    response_model=RevokedOut,
    responses={**UNAUTHORIZED, **ADMIN_ERRORS},
    summary="Sign a member out everywhere",
    description="Workspace admins only: ends every session of the member (a lost phone, a "
    "departing employee). The member can log in again unless also removed.",
)
async def revoke_member_sessions(
    workspace_id: UUID,
    user_id: UUID,
    request: Request,
    session: SessionDep,
    user: UserDep,
    correlation_id: CorrelationIdDep,
) -> RevokedOut:
    await require_member(
        session,
        user_id=user_id_of(user),
        workspace_id=workspace_id,
        roles=(Role.ADMIN,),
        is_superuser=user.is_superuser,
    )
    if await session.get(Membership, (workspace_id, user_id)) is None:
        raise NotFound("Member not found.")
    target = await identity.get_active_user(session, user_id=user_id)
    if target.is_superuser and not user.is_superuser:
        raise Forbidden("Only a superuser can sign out a superuser.")
    revoked = await service.revoke_all(session, user_id=user_id, reason="admin")
    await record(
        session,
        _actor(request, user, correlation_id),
        Action(
            "member.sessions_revoked",
            workspace_id=workspace_id,
            target_type="user",
            target_id=str(user_id),
            detail={"sessions": revoked},
        ),
    )
    return RevokedOut(revoked=revoked)


@router.post(
    "/v1/me/password",
    response_model=RevokedOut,
    responses={
        **UNAUTHORIZED,
        422: {"description": "The current password is wrong, or the new one is too weak"},
    },
    summary="Change my password",
    description="Needs the current password. Every other session of the caller is signed out "
    "(their refresh and access tokens stop working); this one stays.",
)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    session: SessionDep,
    user: UserDep,
    settings: SettingsDep,
    current: CurrentSessionDep,
    correlation_id: CorrelationIdDep,
) -> RevokedOut:
    account = await identity.get_active_user(session, user_id=user_id_of(user))
    hasher, gate = passwords.hasher_for(settings), passwords.gate_for(settings)
    if not await passwords.verify_password(
        hasher, account.password_hash, body.current_password, gate=gate
    ):
        raise InvalidInput(
            "The current password is wrong.",
            errors=[{"field": "body.current_password", "message": "does not match"}],
        )
    account.password_hash = await passwords.hash_password(hasher, body.new_password, gate=gate)
    revoked = await service.revoke_all(
        session, user_id=account.id, reason="password_changed", keep=current
    )
    await record(
        session,
        Actor(
            user_id=account.id,
            email=account.email,
            address=request.client.host if request.client else None,
            correlation_id=correlation_id,
        ),
        Action(
            "auth.password_changed",
            target_type="user",
            target_id=str(account.id),
            detail={"sessions_revoked": revoked},
        ),
    )
    return RevokedOut(revoked=revoked)
