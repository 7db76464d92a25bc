from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.config import GatewaySettings
from gateway.db import utcnow
from gateway.identity import passwords, tokens
from gateway.identity.exceptions import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
)
from gateway.identity.models import RefreshToken, User
from gateway.identity.schemas import TokenPair
from gateway.sessions import service as login_sessions
from gateway.sessions.models import LoginSession
from yunying_shared.errors import Conflict, Unauthorized

# Sessions ended on purpose: their refresh tokens are refused plainly, not as a reuse.
SIGNED_OUT = frozenset({"logout", "revoked", "admin", "password_changed"})


async def find_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def get_active_user(session: AsyncSession, *, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The user no longer exists or is disabled.")
    return user


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    hasher: PasswordHasher,
    is_superuser: bool = False,
) -> User:
    if await find_user_by_email(session, email=email) is not None:
        raise Conflict(f"A user with the email {email!r} already exists.")
    password_hash = await passwords.hash_password(hasher, password)
    user = User(
        email=email.strip().lower(),
        password_hash=password_hash,
        is_superuser=is_superuser,
        is_active=True,
    )
    session.add(user)
    await session.flush()
    return user


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    settings: GatewaySettings,
    user_agent: str | None = None,
    address: str | None = None,
) -> TokenPair:
    """A new login session (`user_agent` and `address` let its owner recognise it)."""
    hasher = passwords.hasher_for(settings)
    gate = passwords.gate_for(settings)
    found = await find_user_by_email(session, email=email)
    user = found if found is not None and found.is_active else None
    matches = await passwords.verify_password(
        hasher, user.password_hash if user else None, password, gate=gate
    )
    if user is None or not matches:
        raise InvalidCredentials()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(hasher, password, gate=gate)
    session_id = uuid.uuid4()
    await login_sessions.start(
        session,
        session_id=session_id,
        user_id=user.id,
        expires_at=_refresh_expiry(settings),
        user_agent=user_agent,
        address=address,
    )
    return await _issue_pair(session, user_id=user.id, family_id=session_id, settings=settings)


async def refresh(
    session: AsyncSession, *, refresh_token: str, settings: GatewaySettings
) -> TokenPair:
    token = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == tokens.sha256_hex(refresh_token))
    )
    if token is None:
        raise InvalidRefreshToken()
    ended = await session.get(LoginSession, token.family_id)
    if ended is not None and ended.revoked_reason in SIGNED_OUT:
        # Signed out on purpose (not a stolen token): say so, and change nothing.
        raise InvalidRefreshToken()
    if token.revoked_at is not None or not await _claim(session, token):
        await revoke_family(session, family_id=token.family_id, reason="reuse")
        raise RefreshTokenReused()
    if token.expires_at <= utcnow():
        raise InvalidRefreshToken()
    await get_active_user(session, user_id=token.user_id)
    await login_sessions.continued(
        session,
        session_id=token.family_id,
        user_id=token.user_id,
        expires_at=_refresh_expiry(settings),
    )
    return await _issue_pair(
        session, user_id=token.user_id, family_id=token.family_id, settings=settings
    )


async def logout(session: AsyncSession, *, refresh_token: str) -> None:
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(
            RefreshToken.token_hash == tokens.sha256_hex(refresh_token)
        )
    )
    if family_id is not None:
        await revoke_family(session, family_id=family_id, reason="logout")


async def revoke_family(
    session: AsyncSession, *, family_id: uuid.UUID, reason: login_sessions.RevokeReason
) -> None:
    """Ends the login session: its refresh tokens and the access tokens naming it."""
    await login_sessions.revoke(session, session_id=family_id, reason=reason)


def _refresh_expiry(settings: GatewaySettings) -> datetime:
    return utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds)


async def _claim(session: AsyncSession, token: RefreshToken) -> bool:
    """Revoke the token unless someone else just did: two concurrent refreshes with one token
    must not both succeed, so the UPDATE's row count decides."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def _issue_pair(
    session: AsyncSession, *, user_id: uuid.UUID, family_id: uuid.UUID, settings: GatewaySettings
) -> TokenPair:
    secret = tokens.new_secret()
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=tokens.sha256_hex(secret),
            expires_at=_refresh_expiry(settings),
        )
    )
    await session.flush()
    access = tokens.issue_access_token(
        user_id,
        secret=settings.jwt_secret.get_secret_value(),
        ttl_seconds=settings.access_token_ttl_seconds,
        session_id=family_id,
    )
    return TokenPair(
        access_token=access, refresh_token=secret, expires_in=settings.access_token_ttl_seconds
    )
