"""Login sessions: one per login, continued by each refresh, ended by logout, by the user, by a
workspace admin, by a password change or by a refresh token presented twice.

Ending a session revokes its refresh tokens and, through the `sid` claim the authenticator
checks, every access token it issued: the next request with one answers 401 at once, without
waiting for the token to expire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import utcnow
from gateway.identity.models import RefreshToken
from gateway.sessions.models import LoginSession
from yunying_shared.errors import Unauthorized
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page

RevokeReason = Literal["logout", "revoked", "admin", "password_changed", "reuse"]
USER_AGENT_LENGTH = 300


async def start(
    session: AsyncSession,
    *,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    expires_at: datetime,
    user_agent: str | None,
    address: str | None,
) -> LoginSession:
    now = utcnow()
    login = LoginSession(
        id=session_id,
        user_id=user_id,
        created_at=now,
        last_used_at=now,
        expires_at=expires_at,
        user_agent=user_agent[:USER_AGENT_LENGTH] if user_agent else None,
        address=address,
    )
    session.add(login)
    await session.flush()
    return login


async def continued(
    session: AsyncSession, *, session_id: uuid.UUID, user_id: uuid.UUID, expires_at: datetime
) -> None:
    """A refresh: the session was used now and lasts until the new refresh token expires."""
    login = await session.get(LoginSession, session_id)
    if login is None:  # a login from before sessions existed and was not carried over
        now = utcnow()
        session.add(
            LoginSession(
                id=session_id,
                user_id=user_id,
                created_at=now,
                last_used_at=now,
                expires_at=expires_at,
            )
        )
    else:
        login.last_used_at = utcnow()
        login.expires_at = expires_at
    await session.flush()


async def ensure_active(
    session: AsyncSession, *, session_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """For the authenticator: the access token's session still stands (one primary-key read)."""
    row = (
        await session.execute(
            select(LoginSession.revoked_at).where(
                LoginSession.id == session_id, LoginSession.user_id == user_id
            )
        )
    ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("This session was signed out: log in again.")


async def list_active(session: AsyncSession, *, user_id: uuid.UUID) -> list[LoginSession]:
    rows = await session.scalars(
        select(LoginSession)
        .where(
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > utcnow(),
        )
        .order_by(LoginSession.last_used_at.desc(), LoginSession.id)
    )
    return list(rows)


async def page_active(
    session: AsyncSession, *, user_id: uuid.UUID, page: PageRequest
) -> RowsPage[LoginSession]:
    """The user's live sessions, most recently used first, one page at a time."""
    statement = select(LoginSession).where(
        LoginSession.user_id == user_id,
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > utcnow(),
    )
    keys = (LoginSession.last_used_at, LoginSession.id)
    return await keyset_page(session, statement, page, keys=keys, descending=True)


async def find(
    session: AsyncSession, *, session_id: uuid.UUID, user_id: uuid.UUID
) -> LoginSession | None:
    return await session.scalar(
        select(LoginSession).where(LoginSession.id == session_id, LoginSession.user_id == user_id)
    )


async def revoke(session: AsyncSession, *, session_id: uuid.UUID, reason: RevokeReason) -> None:
    """Ends one session and its refresh tokens (idempotent)."""
    now = utcnow()
    await session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == session_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke_all(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    reason: RevokeReason,
    keep: uuid.UUID | None = None,
) -> int:
    """Ends every session of the user but `keep`; returns how many were still live."""
    live = select(LoginSession.id).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
    )
    if keep is not None:
        live = live.where(LoginSession.id != keep)
    ids = list(await session.scalars(live))
    for session_id in ids:
        await revoke(session, session_id=session_id, reason=reason)
    # Refresh-token families from before sessions existed have no row: end those too.
    tokens = update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    )
    if keep is not None:
        tokens = tokens.where(RefreshToken.family_id != keep)
    await session.execute(
        tokens.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    )
    return len(ids)
