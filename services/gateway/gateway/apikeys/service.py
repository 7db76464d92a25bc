from __future__ import annotations

import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.apikeys.models import ApiKey
from gateway.apikeys.schemas import ApiKeyCreated, ApiKeyOut
from gateway.db import utcnow
from gateway.identity.tokens import new_secret, sha256_hex
from yunying_shared.auth import Principal
from yunying_shared.errors import NotFound, Unauthorized
from yunying_shared.http.pagination import Page, PageRequest, keyset_page

KEY_MARK = "yk"


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


async def create_key(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    scopes: list[str],
    created_by: uuid.UUID | None,
) -> ApiKeyCreated:
    prefix, secret = secrets.token_hex(6), new_secret()
    key = ApiKey(
        workspace_id=workspace_id,
        name=name,
        prefix=prefix,
        secret_hash=sha256_hex(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(key)
    await session.flush()
    return ApiKeyCreated(**_out(key).model_dump(), key=f"{KEY_MARK}_{prefix}_{secret}")


async def list_keys(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    page: PageRequest,
    revoked: bool | None = None,
) -> Page[ApiKeyOut]:
    """The workspace's keys, oldest first; `revoked` picks revoked or active ones only."""
    statement = select(ApiKey).where(ApiKey.workspace_id == workspace_id)
    if revoked is not None:
        revoked_at = ApiKey.revoked_at
        statement = statement.where(revoked_at.is_not(None) if revoked else revoked_at.is_(None))
    rows = await keyset_page(session, statement, page, keys=(ApiKey.created_at, ApiKey.id))
    return rows.to_page(_out)


async def revoke_key(session: AsyncSession, *, workspace_id: uuid.UUID, key_id: uuid.UUID) -> None:
    key = await session.scalar(
        select(ApiKey).where(ApiKey.workspace_id == workspace_id, ApiKey.id == key_id)
    )
    if key is None:
        raise NotFound("API key not found.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()


async def principal_for_key(session: AsyncSession, *, presented: str) -> Principal:
    """The API client a presented key stands for; one message for every way it can be wrong."""
    mark, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    key = None
    if mark == KEY_MARK and prefix and secret:
        key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if (
        key is None
        or key.revoked_at is not None
        or not hmac.compare_digest(key.secret_hash, sha256_hex(secret))
    ):
        raise Unauthorized("Invalid or revoked API key.")
    return Principal(
        subject=str(key.id),
        kind="api_key",
        workspace_id=key.workspace_id,
        scopes=frozenset(key.scopes),
    )
