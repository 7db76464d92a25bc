"""The sizes stored through the API: written per workspace and per API key, read back with where
each effective size comes from, and loaded whole by every replica (gateway.ratelimit.stored)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.apikeys.models import ApiKey
from gateway.db import utcnow
from gateway.ratelimit.limits import Limit, LimitTable, WorkspaceLimits
from gateway.ratelimit.models import ApiKeyRateLimit, WorkspaceRateLimit
from gateway.ratelimit.schemas import (
    ApiKeyRateLimitOut,
    EffectiveLimit,
    LimitIn,
    Source,
    WorkspaceRateLimitsOut,
)
from gateway.workspaces.models import Workspace
from yunying_shared.errors import InvalidInput, NotFound

WORKSPACE_KINDS = ("api_key", "user")


# What a replica reads every period, as plain rows: comparing them is cheap, so the limiter's
# table (pydantic sizes per workspace and key) is rebuilt only when they changed.
StoredRows = tuple[
    tuple[tuple[uuid.UUID, str, float, int], ...],  # workspace, kind, per_second, burst
    tuple[tuple[uuid.UUID, float, int], ...],  # API key, per_second, burst
]


async def stored_rows(session: AsyncSession) -> StoredRows:
    workspaces = await session.execute(
        select(
            WorkspaceRateLimit.workspace_id,
            WorkspaceRateLimit.kind,
            WorkspaceRateLimit.per_second,
            WorkspaceRateLimit.burst,
        ).order_by(WorkspaceRateLimit.workspace_id, WorkspaceRateLimit.kind)
    )
    keys = await session.execute(
        select(
            ApiKeyRateLimit.api_key_id, ApiKeyRateLimit.per_second, ApiKeyRateLimit.burst
        ).order_by(ApiKeyRateLimit.api_key_id)
    )
    return (
        tuple((w, kind, rate, burst) for w, kind, rate, burst in workspaces),
        tuple((k, rate, burst) for k, rate, burst in keys),
    )


def overriding(deployment: LimitTable, rows: StoredRows) -> LimitTable:
    """The deployment's table with the stored sizes taking precedence."""
    workspace_rows, key_rows = rows
    kinds: dict[uuid.UUID, dict[str, Limit]] = {}
    for workspace, kind, per_second, burst in workspace_rows:
        kinds.setdefault(workspace, {})[kind] = Limit(per_second=per_second, burst=burst)
    return deployment.overridden(
        {workspace: WorkspaceLimits(**sizes) for workspace, sizes in kinds.items()},
        {str(key): Limit(per_second=rate, burst=burst) for key, rate, burst in key_rows},
    )


def check_ceilings(
    limits: Mapping[str, LimitIn | None], *, max_per_second: float, max_burst: int
) -> None:
    """The deployment's ceilings (`rate_limit_max_per_second`, `rate_limit_max_burst`), each
    problem named by its field (`limits` maps a field path such as `body.api_key` to a size)."""
    errors = []
    for where, limit in limits.items():
        if limit is None:
            continue
        if limit.per_second > max_per_second:
            errors.append(
                {"field": f"{where}.per_second", "message": f"at most {max_per_second:g} here"}
            )
        if limit.burst > max_burst:
            errors.append({"field": f"{where}.burst", "message": f"at most {max_burst} here"})
    if errors:
        fields = ", ".join(error["field"] for error in errors)
        raise InvalidInput(f"Above this deployment's ceiling: {fields}.", errors=errors)


async def workspace_rows(
    session: AsyncSession, workspace_id: uuid.UUID
) -> dict[str, WorkspaceRateLimit]:
    rows = await session.scalars(
        select(WorkspaceRateLimit).where(WorkspaceRateLimit.workspace_id == workspace_id)
    )
    return {row.kind: row for row in rows}


async def set_workspace_limits(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limits: Mapping[str, Limit | None],
    by: uuid.UUID,
) -> None:
    """Replaces the workspace's sizes: a kind given None follows the deployment's again."""
    # The workspace's row, locked: two admins setting sizes at once take turns.
    await session.scalar(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())
    await session.execute(
        delete(WorkspaceRateLimit).where(WorkspaceRateLimit.workspace_id == workspace_id)
    )
    now = utcnow()
    for kind, limit in limits.items():
        if limit is not None:
            session.add(
                WorkspaceRateLimit(
                    workspace_id=workspace_id,
                    kind=kind,
                    per_second=limit.per_second,
                    burst=limit.burst,
                    updated_at=now,
                    updated_by=by,
                )
            )
    await session.flush()


async def workspace_key(
    session: AsyncSession, *, workspace_id: uuid.UUID, key_id: uuid.UUID, lock: bool = False
) -> ApiKey:
    """The workspace's key (revoked or not); a key of another workspace is not found here."""
    statement = select(ApiKey).where(ApiKey.workspace_id == workspace_id, ApiKey.id == key_id)
    key = await session.scalar(statement.with_for_update() if lock else statement)
    if key is None:
        raise NotFound("API key not found.")
    return key


async def set_key_limit(session: AsyncSession, *, key: ApiKey, limit: Limit, by: uuid.UUID) -> None:
    row = await session.get(ApiKeyRateLimit, key.id)
    if row is None:
        row = ApiKeyRateLimit(api_key_id=key.id)
        session.add(row)
    row.per_second, row.burst = limit.per_second, limit.burst
    row.updated_at, row.updated_by = utcnow(), by
    await session.flush()


async def clear_key_limit(session: AsyncSession, *, key: ApiKey) -> None:
    await session.execute(delete(ApiKeyRateLimit).where(ApiKeyRateLimit.api_key_id == key.id))


def workspace_view(
    deployment: LimitTable,
    workspace_id: uuid.UUID,
    rows: Mapping[str, WorkspaceRateLimit],
    *,
    propagation_seconds: float,
) -> WorkspaceRateLimitsOut:
    configured = deployment.by_workspace.get(workspace_id)

    def kind(name: str, default: Limit) -> EffectiveLimit:
        row = rows.get(name)
        if row is not None:
            return _effective(_limit(row), "workspace")
        own = getattr(configured, name) if configured else None
        return _effective(own or default, "deployment")

    return WorkspaceRateLimitsOut(
        workspace_id=workspace_id,
        api_key=kind("api_key", deployment.api_key),
        user=kind("user", deployment.user),
        address=_effective(deployment.address, "deployment"),
        updated_at=max((row.updated_at for row in rows.values()), default=None),
        propagation_seconds=propagation_seconds,
    )


def key_view(
    deployment: LimitTable,
    key: ApiKey,
    own: ApiKeyRateLimit | None,
    workspace: WorkspaceRateLimitsOut,
    *,
    propagation_seconds: float,
) -> ApiKeyRateLimitOut:
    """The key's size as the limiter picks it (LimitTable.buckets): the key's own stored size,
    else the deployment's for the key, else the workspace's for its keys."""
    configured = deployment.by_api_key.get(str(key.id))
    if own is not None:
        effective = _effective(_limit(own), "api_key")
    elif configured is not None:
        effective = _effective(configured, "deployment")
    else:
        effective = workspace.api_key
    return ApiKeyRateLimitOut(
        api_key_id=key.id,
        per_second=effective.per_second,
        burst=effective.burst,
        source=effective.source,
        updated_at=own.updated_at if own else None,
        propagation_seconds=propagation_seconds,
    )


def described(limit: Limit | None) -> str | None:
    """A size as the audit entry's detail shows it."""
    return f"{limit.per_second:g}/s, burst {limit.burst}" if limit else None


def _limit(row: WorkspaceRateLimit | ApiKeyRateLimit) -> Limit:
    return Limit(per_second=row.per_second, burst=row.burst)


def _effective(limit: Limit, source: Source) -> EffectiveLimit:
    return EffectiveLimit(per_second=limit.per_second, burst=limit.burst, source=source)
