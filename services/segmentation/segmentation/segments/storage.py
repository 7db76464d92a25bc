"""The storage seam of memberships: reading stored pairs, inserting and deleting them, on
either database. `STORAGE.of(session)` picks the path for the session's database.

Rows are inserted with ON CONFLICT DO NOTHING RETURNING and deleted with DELETE ... RETURNING,
so the caller learns which rows this statement actually changed (a concurrent evaluator may have
raced it to the same change). On PostgreSQL the pairs go as one array per column on the
driver connection of the session's transaction, joined with unnest(): a row-value IN list of
(segment, user) pairs is not turned into primary-key lookups (each 500-pair DELETE scanned the
memberships: 85 s of a re-score moving 160,000 of them), the join probes the key. SQLite gets
SQLAlchemy statements in pages of bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import bindparam, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.segments.models import SegmentMembership
from yunying_shared.db import PerDialect, SqliteDialect, driver_connection

MEMBERSHIPS = SegmentMembership.__table__
ROWS_PER_STATEMENT = 500  # bound parameters per multi-row insert / IN list stay small (SQLite)
PG_PAIRS_PER_STATEMENT = 10_000

Key = tuple[UUID, str]  # (segment id, user id)
Exit = tuple[UUID, str, datetime]  # and when the membership began


class MembershipStorage(Protocol):
    async def stored(
        self,
        session: AsyncSession,
        workspace_id: UUID,
        user_ids: list[str],
        segment_ids: list[UUID],
    ) -> set[Key]:
        """The stored (segment, user) memberships among these users and segments."""
        ...

    async def insert(
        self, session: AsyncSession, workspace_id: UUID, keys: Sequence[Key], now: datetime
    ) -> list[Key]:
        """Insert memberships; returns the ones this statement created."""
        ...

    async def delete(self, session: AsyncSession, keys: Sequence[Key]) -> list[Exit]:
        """Delete memberships; returns the ones this statement removed, with their start."""
        ...


_PG_STORED = """
    SELECT segment_id, user_id FROM segment_memberships
    WHERE workspace_id = $1 AND user_id = ANY($2::text[]) AND segment_id = ANY($3::uuid[])
"""
_PG_INSERT = """
    INSERT INTO segment_memberships (segment_id, user_id, workspace_id, entered_at)
    SELECT m.segment_id, m.user_id, $1, $2
    FROM unnest($3::uuid[], $4::text[]) AS m(segment_id, user_id)
    ON CONFLICT (segment_id, user_id) DO NOTHING
    RETURNING segment_id, user_id
"""
_PG_DELETE = """
    DELETE FROM segment_memberships AS s
    USING unnest($1::uuid[], $2::text[]) AS m(segment_id, user_id)
    WHERE s.segment_id = m.segment_id AND s.user_id = m.user_id
    RETURNING s.segment_id, s.user_id, s.entered_at
"""


class PostgresMemberships:
    async def stored(
        self,
        session: AsyncSession,
        workspace_id: UUID,
        user_ids: list[str],
        segment_ids: list[UUID],
    ) -> set[Key]:
        connection = await driver_connection(session)
        rows = await connection.fetch(_PG_STORED, workspace_id, user_ids, segment_ids)
        return {(row[0], row[1]) for row in rows}

    async def insert(
        self, session: AsyncSession, workspace_id: UUID, keys: Sequence[Key], now: datetime
    ) -> list[Key]:
        connection = await driver_connection(session)
        done: list[Key] = []
        for start in range(0, len(keys), PG_PAIRS_PER_STATEMENT):
            part = keys[start : start + PG_PAIRS_PER_STATEMENT]
            rows = await connection.fetch(
                _PG_INSERT, workspace_id, now, [s for s, _ in part], [u for _, u in part]
            )
            done += [(row[0], row[1]) for row in rows]
        return done

    async def delete(self, session: AsyncSession, keys: Sequence[Key]) -> list[Exit]:
        connection = await driver_connection(session)
        done: list[Exit] = []
        for start in range(0, len(keys), PG_PAIRS_PER_STATEMENT):
            part = keys[start : start + PG_PAIRS_PER_STATEMENT]
            rows = await connection.fetch(_PG_DELETE, [s for s, _ in part], [u for _, u in part])
            done += [(row[0], row[1], row[2]) for row in rows]
        return done


_STORED = select(SegmentMembership.segment_id, SegmentMembership.user_id).where(
    SegmentMembership.workspace_id == bindparam("workspace_id"),
    SegmentMembership.user_id.in_(bindparam("user_ids", expanding=True)),
    SegmentMembership.segment_id.in_(bindparam("segment_ids", expanding=True)),
)


class SqliteMemberships:
    sql = SqliteDialect()

    async def stored(
        self,
        session: AsyncSession,
        workspace_id: UUID,
        user_ids: list[str],
        segment_ids: list[UUID],
    ) -> set[Key]:
        rows = await session.execute(
            _STORED,
            {"workspace_id": workspace_id, "user_ids": user_ids, "segment_ids": segment_ids},
        )
        return {(row[0], row[1]) for row in rows}

    async def insert(
        self, session: AsyncSession, workspace_id: UUID, keys: Sequence[Key], now: datetime
    ) -> list[Key]:
        # executemany ("insertmanyvalues"): one cached statement whatever the row count.
        statement = (
            self.sql.insert(MEMBERSHIPS)
            .on_conflict_do_nothing(index_elements=["segment_id", "user_id"])
            .returning(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id)
        )
        done: list[Key] = []
        for start in range(0, len(keys), ROWS_PER_STATEMENT):
            rows: list[dict[str, Any]] = [
                {
                    "segment_id": segment_id,
                    "user_id": user_id,
                    "workspace_id": workspace_id,
                    "entered_at": now,
                }
                for segment_id, user_id in keys[start : start + ROWS_PER_STATEMENT]
            ]
            done += [(row[0], row[1]) for row in (await session.execute(statement, rows)).all()]
        return done

    async def delete(self, session: AsyncSession, keys: Sequence[Key]) -> list[Exit]:
        done: list[Exit] = []
        for start in range(0, len(keys), ROWS_PER_STATEMENT):
            page = list(keys[start : start + ROWS_PER_STATEMENT])
            statement = (
                delete(SegmentMembership)
                .where(tuple_(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id).in_(page))
                .returning(
                    MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id, MEMBERSHIPS.c.entered_at
                )
            )
            done += [(row[0], row[1], row[2]) for row in (await session.execute(statement)).all()]
        return done


STORAGE: PerDialect[MembershipStorage] = PerDialect(
    postgresql=PostgresMemberships(), sqlite=SqliteMemberships()
)
