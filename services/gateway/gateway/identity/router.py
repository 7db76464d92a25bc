from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.identity import service
from gateway.identity.deps import SettingsDep, UserDep, user_id_of
from gateway.identity.exceptions import RefreshTokenReused
from gateway.identity.schemas import LoginIn, MembershipOut, MeOut, RefreshIn, TokenPair
from gateway.workspaces.service import list_workspaces
from yunying_shared.auth import Role
from yunying_shared.db import SessionDep
from yunying_shared.errors import problem

router = APIRouter(tags=["auth"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Wrong credentials or token"}}


@router.post(
    "/v1/auth/login",
    response_model=TokenPair,
    summary="Log in",
    description="Exchanges email and password for an access token (send it as "
    "`Authorization: Bearer …`) and a single-use refresh token.",
    responses=UNAUTHORIZED,
)
async def login(body: LoginIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return await service.login(session, email=body.email, password=body.password, settings=settings)


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
async def me(session: SessionDep, user: UserDep) -> MeOut:
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
