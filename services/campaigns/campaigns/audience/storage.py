"""The storage seam of the audience mirrors' bulk writes (a consumer batch's stage and tier
changes, its segment memberships, its users' activity), on either database.

PostgreSQL takes a batch as one array per column on the driver connection of the session's
transaction (asyncpg encodes arrays in C, where SQLAlchemy's executemany built a parameter set
per row); SQLite keeps SQLAlchemy's executemany. Both write the same rows; `STORAGE.of(session)`
picks the path for the session's database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.arrays import columns_of_dicts
from campaigns.audience.models import SegmentMember, UserActivity, UserState
from yunying_shared.db import PerDialect, SqliteDialect, driver_connection

STATES = UserState.__table__
MEMBERS = SegmentMember.__table__
ACTIVITY = UserActivity.__table__
# The fields of an activity row, in the PostgreSQL statement's array order.
ACTIVITY_FIELDS = ("event_id", "user_id", "kind", "occurred_at")


class AudienceStorage(Protocol):
    async def upsert_states(
        self, session: AsyncSession, workspace_id: UUID, rows: Sequence[dict[str, Any]]
    ) -> None:
        """One row per user (`user_id`, `stage`, `tier`, `churn_reason`, `updated_at`); a None
        keeps what is stored."""
        ...

    async def add_members(
        self, session: AsyncSession, workspace_id: UUID, pairs: Sequence[tuple[str, str]]
    ) -> None:
        """(segment, user) memberships; one already recorded stays as it is."""
        ...

    async def remove_members(
        self, session: AsyncSession, workspace_id: UUID, pairs: Sequence[tuple[str, str]]
    ) -> None: ...

    async def add_activity(
        self, session: AsyncSession, workspace_id: UUID, columns: Sequence[Sequence[Any]]
    ) -> None:
        """Accepted events, one list per ACTIVITY_FIELDS entry; an event id recorded before
        stays as it is."""
        ...


_PG_UPSERT_STATES = """
    INSERT INTO user_states AS s (workspace_id, user_id, stage, tier, churn_reason, updated_at)
    SELECT $1, r.user_id, r.stage, r.tier, r.churn_reason, r.updated_at
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
         AS r(user_id, stage, tier, churn_reason, updated_at)
    ON CONFLICT (workspace_id, user_id) DO UPDATE SET
        stage = coalesce(excluded.stage, s.stage),
        tier = coalesce(excluded.tier, s.tier),
        churn_reason = coalesce(excluded.churn_reason, s.churn_reason),
        updated_at = excluded.updated_at
"""

_PG_ADD_MEMBERS = """
    INSERT INTO segment_members (workspace_id, segment_id, user_id)
    SELECT $1, m.segment_id, m.user_id FROM unnest($2::text[], $3::text[]) AS m(segment_id, user_id)
    ON CONFLICT DO NOTHING
"""

_PG_REMOVE_MEMBERS = """
    DELETE FROM segment_members AS s
    USING unnest($2::text[], $3::text[]) AS m(segment_id, user_id)
    WHERE s.workspace_id = $1 AND s.segment_id = m.segment_id AND s.user_id = m.user_id
"""


_PG_ADD_ACTIVITY = """
    INSERT INTO user_activity (workspace_id, event_id, user_id, kind, occurred_at)
    SELECT $1, a.event_id, a.user_id, a.kind, a.occurred_at
    FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
         AS a(event_id, user_id, kind, occurred_at)
    ON CONFLICT DO NOTHING
"""


def _columns(pairs: Sequence[tuple[str, str]]) -> list[list[str]]:
    return [[segment for segment, _ in pairs], [user for _, user in pairs]]


class PostgresAudience:
    async def upsert_states(
        self, session: AsyncSession, workspace_id: UUID, rows: Sequence[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        await (await driver_connection(session)).execute(
            _PG_UPSERT_STATES,
            workspace_id,
            *columns_of_dicts(rows, _STATE_FIELDS),
        )

    async def add_members(
        self, session: AsyncSession, workspace_id: UUID, pairs: Sequence[tuple[str, str]]
    ) -> None:
        if pairs:
            connection = await driver_connection(session)
            await connection.execute(_PG_ADD_MEMBERS, workspace_id, *_columns(pairs))

    async def remove_members(
        self, session: AsyncSession, workspace_id: UUID, pairs: Sequence[tuple[str, str]]
    ) -> None:
        if pairs:
            connection = await driver_connection(session)
            await connection.execute(_PG_REMOVE_MEMBERS, workspace_id, *_columns(pairs))

    async def add_activity(
        self, session: AsyncSession, workspace_id: UUID, columns: Sequence[Sequence[Any]]
    ) -> None:
        connection = await driver_connection(session)
        await connection.execute(_PG_ADD_ACTIVITY, workspace_id, *map(list, columns))


_STATE_FIELDS = ("user_id", "stage", "tier", "churn_reason", "updated_at")


class SqliteAudience:
    sql = SqliteDialect()

    async def upsert_states(
        self, session: AsyncSession, workspace_id: UUID, rows: Sequence[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        insert = self.sql.insert(STATES)
        excluded, table = insert.excluded, STATES.c
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=["workspace_id", "user_id"],
                set_={
                    "stage": func.coalesce(excluded.stage, table.stage),
                    "tier": func.coalesce(excluded.tier, table.tier),
                    "churn_reason": func.coalesce(excluded.churn_reason, table.churn_reason),
                    "updated_at": excluded.updated_at,
                },
            ),
            [{"workspace_id": workspace_id, **row} for row in rows],
        )

    async def add_members(
        self, session: AsyncSession, workspace_id: UUID, pairs: Sequence[tuple[str, str]]
    ) -> None:
        if pairs:
            await session.execute(
                self.sql.insert(MEMBERS).on_conflict_do_nothing(),
                [
                    {"workspace_id": workspace_id, "segment_id": segment, "user_id": user}
                    for segment, user in pairs
                ],
            )

    async def remove_members(
        self, session: AsyncSession, workspace_id: UUID, pairs: Sequence[tuple[str, str]]
    ) -> None:
        for segment, user in pairs:  # SQLite: the embedded mode's volumes, no round trips
            await session.execute(
                delete(SegmentMember).where(
                    SegmentMember.workspace_id == workspace_id,
                    SegmentMember.segment_id == segment,
                    SegmentMember.user_id == user,
                )
            )

    async def add_activity(
        self, session: AsyncSession, workspace_id: UUID, columns: Sequence[Sequence[Any]]
    ) -> None:
        await session.execute(
            self.sql.insert(ACTIVITY).on_conflict_do_nothing(),
            [
                {"workspace_id": workspace_id, **dict(zip(ACTIVITY_FIELDS, row, strict=True))}
                for row in zip(*columns, strict=True)
            ],
        )


STORAGE: PerDialect[AudienceStorage] = PerDialect(
    postgresql=PostgresAudience(), sqlite=SqliteAudience()
)
