from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.audit.deps import AuditActorDep, client_address
from gateway.audit.record import Action, Actor, record
from gateway.identity import service, throttle
from gateway.identity.deps import CorrelationIdDep, SettingsDep, UserDep, user_id_of
from gateway.identity.exceptions import InvalidCredentials, RefreshTokenReused
from gateway.identity.schemas import (
    LoginIn,
    MembershipOut,
    MeOut,
    RefreshIn,
    ThrottleClearIn,
    ThrottleClearOut,
    TokenPair,
)
from gateway.workspaces.service import list_workspaces
from yunying_shared.auth import Role
from yunying_shared.db import Database, ReadSessionDep, SessionDep
from yunying_shared.errors import Forbidden, problem

router = APIRouter(tags=["auth"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Wrong credentials or token"}}
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many failed logins for the account or address (see `Retry-After`), "
        "or too many logins being checked at this moment"
    }
}


@router.post(
    "/v1/auth/login",
    response_model=TokenPair,
    summary="Log in",
    description="Exchanges email and password for an access token (send it as "
    "`Authorization: Bearer …`) and a single-use refresh token. Repeated failures lock the "
    "account and the client address for a growing time (429 with `Retry-After`).",
    responses={**UNAUTHORIZED, **THROTTLED},
)
async def login(
    body: LoginIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    correlation_id: CorrelationIdDep,
) -> TokenPair:
    database = request.app.state.database
    address = client_address(request)
    attempt = Actor(user_id=None, email=body.email, address=address, correlation_id=correlation_id)
    keys = throttle.keys_for(settings, email=body.email, address=address)
    try:
        await throttle.ensure_not_locked(database, keys)
    except throttle.LoginThrottled:
        await _record_failure(database, attempt, reason="locked")
        raise
    try:
        pair = await service.login(
            session,
            email=body.email,
            password=body.password,
            settings=settings,
            user_agent=request.headers.get("user-agent"),
            address=address,
        )
    except InvalidCredentials:
        # The failed login's reads end first: SQLite lets the count's own transaction commit
        # only once no other transaction holds the database.
        await session.rollback()
        await throttle.record_failure(database, keys, settings)
        await _record_failure(database, attempt, reason="invalid_credentials")
        raise
    await throttle.forget_failures(session, email=body.email)
    user = await service.find_user_by_email(session, email=body.email)
    await record(
        session,
        replace(attempt, user_id=user.id if user else None),
        Action("auth.login", target_type="user", target_id=str(user.id) if user else None),
    )
    return pair


async def _record_failure(database: Database, attempt: Actor, *, reason: str) -> None:
    """In a transaction of its own: the request's is rolled back with the failure."""
    async with database.session() as session:
        user = await service.find_user_by_email(session, email=attempt.email or "")
        await record(
            session,
            replace(attempt, user_id=user.id if user else None),
            Action(
                "auth.login",
                target_type="user",
                target_id=str(user.id) if user else None,
                outcome="failure",
                detail={"reason": reason},
            ),
        )
        await session.commit()


@router.post(
    "/v1/login-throttles/clear",
    response_model=ThrottleClearOut,
    summary="Lift a login lock",
    description="Superusers only: forgets the failed logins of an account (by email) and/or "
    "of a client address, lifting their lock at once.",
    responses={403: {"description": "Not a superuser"}},
)
async def clear_login_throttle(
    body: ThrottleClearIn,
    request: Request,
    session: SessionDep,
    user: UserDep,
    actor: AuditActorDep,
) -> ThrottleClearOut:
    if not user.is_superuser:
        raise Forbidden("Only a superuser can lift login locks.")
    keys = [throttle.account_key(body.email)] if body.email else []
    if body.address:
        keys.append(throttle.address_key(body.address))
    cleared = await throttle.clear(request.app.state.database, keys)
    await record(
        session,
        actor,
        Action(
            "login_throttle.cleared",
            target_type="throttle",
            target_id=body.email or body.address,
            detail={"email": body.email, "address": body.address, "cleared": cleared},
        ),
    )
    return ThrottleClearOut(cleared=cleared)


@router.post(
    "/v1/auth/refresh",
    response_model=TokenPair,
    summary="Refresh the tokens",
    description="Exchanges a refresh token for a new pair. Each refresh token works "
    "once; presenting a used one again signs out every session of that login.",
    responses=UNAUTHORIZED,
)
async def refresh(
    body: RefreshIn, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenPair | JSONResponse:
    try:
        return await service.refresh(session, refresh_token=body.refresh_token, settings=settings)
    except RefreshTokenReused as exc:
        # Returned, not raised: the session dependency then commits the family's revocation,
        # which must outlive this failed request.
        return problem(
            exc.status_code, exc.title, exc.detail, code=exc.code, instance=request.url.path
        )


@router.post(
    "/v1/auth/logout",
    status_code=204,
    response_class=Response,
    summary="Log out",
    description="Revokes the refresh token and every token rotated from the same "
    "login. Access tokens already issued stay valid until they expire (minutes).",
)
async def logout(body: RefreshIn, session: SessionDep) -> Response:
    await service.logout(session, refresh_token=body.refresh_token)
    return Response(status_code=204)


@router.get(
    "/v1/me",
    response_model=MeOut,
    summary="Who am I",
    description="The logged-in user and the workspaces they belong to.",
    responses=UNAUTHORIZED,
)
async def me(session: ReadSessionDep, user: UserDep) -> MeOut:
    account = await service.get_active_user(session, user_id=user_id_of(user))
    workspaces = await list_workspaces(session, user_id=account.id)
    return MeOut(
        id=account.id,
        email=account.email,
        is_superuser=account.is_superuser,
        created_at=account.created_at,
        memberships=[
            MembershipOut(
                workspace_id=w.id, workspace_name=w.name, workspace_slug=w.slug, role=Role(role)
            )
            for w, role in workspaces
        ],
    )
