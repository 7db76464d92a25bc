"""Who is calling the gateway: a user with an access token, or an API client with its key."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers
from starlette.types import Scope

from gateway.apikeys.service import principal_for_key
from gateway.config import GatewaySettings
from gateway.identity.principal_cache import PrincipalCache, Verified
from gateway.identity.service import get_active_user
from gateway.identity.tokens import read_access_claims
from gateway.sessions.service import ensure_active
from gateway.workspaces.exceptions import WorkspaceNotFound
from gateway.workspaces.models import Membership
from yunying_shared.auth import Principal
from yunying_shared.db import Database
from yunying_shared.errors import Unauthorized
from yunying_shared.http.middleware import Authenticator
from yunying_shared.settings import ServiceSettings

WORKSPACE_HEADER = "x-workspace-id"
SESSION_STATE = "login_session_id"


def gateway_authenticator(settings: ServiceSettings) -> Authenticator:
    gateway_settings = cast(GatewaySettings, settings)
    secrets = [
        gateway_settings.jwt_secret.get_secret_value(),
        *(accepted.get_secret_value() for accepted in gateway_settings.jwt_accepted_secrets),
    ]

    async def authenticate(scope: Scope) -> Principal:
        headers = Headers(scope=scope)
        api_key = headers.get("x-api-key")
        bearer = _bearer(headers.get("authorization"))
        if api_key is None and bearer is None:
            raise Unauthorized(
                "Authentication required: send `Authorization: Bearer <token>` or `X-API-Key`."
            )
        credential = api_key if api_key is not None else bearer
        assert credential is not None
        workspace = None if api_key is not None else headers.get(WORKSPACE_HEADER)
        cache: PrincipalCache | None = getattr(scope["app"].state, "principal_cache", None)
        cached = cache.get(credential, workspace) if cache is not None else None
        if cached is None:
            generation = cache.generation if cache is not None else 0
            cached = await _verify(scope, api_key=api_key, bearer=bearer, workspace=workspace)
            if cache is not None:
                cache.put(
                    credential,
                    workspace,
                    cached.principal,
                    session_id=cached.session_id,
                    read_at_generation=generation,
                    expires_at=cached.valid_until or None,
                )
        if cached.session_id is not None:
            # The session routes tell "this device" from the others by it.
            scope.setdefault("state", {})[SESSION_STATE] = cached.session_id
        return cached.principal

    async def _verify(
        scope: Scope, *, api_key: str | None, bearer: str | None, workspace: str | None
    ) -> Verified:
        """From the database; `valid_until` is the access token's expiry (0 for a key)."""
        database: Database = scope["app"].state.database
        async with database.session() as session:
            if api_key is not None:
                return Verified(await principal_for_key(session, presented=api_key), None, 0)
            assert bearer is not None
            claims = read_access_claims(bearer, secrets=secrets)
            if claims.session_id is not None:
                await ensure_active(session, session_id=claims.session_id, user_id=claims.user_id)
            principal = await _user_principal(session, user_id=claims.user_id, workspace=workspace)
            return Verified(principal, claims.session_id, claims.expires_at)

    return authenticate


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use `Authorization: Bearer <access token>`.")
    return token.strip()


async def _user_principal(
    session: AsyncSession, *, user_id: UUID, workspace: str | None
) -> Principal:
    """The user in the workspace they named, or in their only one; without either, in none."""
    user = await get_active_user(session, user_id=user_id)
    memberships = select(Membership).where(Membership.user_id == user.id)
    if workspace is not None:
        try:
            workspace_id = UUID(workspace)
        except ValueError as exc:
            raise WorkspaceNotFound() from exc
        memberships = memberships.where(Membership.workspace_id == workspace_id)
    found = list((await session.scalars(memberships.limit(2))).all())
    if workspace is not None and not found:
        raise WorkspaceNotFound()
    chosen = found[0] if len(found) == 1 else None
    return Principal(
        subject=str(user.id),
        kind="user",
        is_superuser=user.is_superuser,
        workspace_id=chosen.workspace_id if chosen else None,
        roles=frozenset({chosen.role}) if chosen else frozenset(),
    )
