"""Daily segment figures: size at the end of each day (UTC), entered and exited that day.

Every membership write adds its counts here in the same transaction (one statement for all the
segments it touched, in segment order so concurrent writers lock rows in one order). A day's
first row starts from the size of the segment's latest earlier row. Reading a range fills the
days without a row (nothing changed) with the size carried forward.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Protocol
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from segmentation.segments.models import SegmentDay
from yunying_shared.db import PerDialect, driver_connection

Counts = Mapping[UUID, tuple[int, int]]  # segment id -> (entered, exited)


class DayWriter(Protocol):
    async def __call__(
        self, session: AsyncSession, workspace_id: UUID, day: date, counts: Counts
    ) -> None: ...


_PG_ADD = """
    INSERT INTO segment_days AS d (segment_id, day, workspace_id, size, entered, exited)
    SELECT u.segment_id, $1, $2,
           coalesce((SELECT p.size FROM segment_days p
                     WHERE p.segment_id = u.segment_id AND p.day < $1
                     ORDER BY p.day DESC LIMIT 1), 0) + u.entered - u.exited,
           u.entered, u.exited
    FROM unnest($3::uuid[], $4::int4[], $5::int4[]) AS u(segment_id, entered, exited)
    ON CONFLICT (segment_id, day) DO UPDATE
    SET size = d.size + excluded.entered - excluded.exited,
        entered = d.entered + excluded.entered, exited = d.exited + excluded.exited
"""


async def _add_postgres(
    session: AsyncSession, workspace_id: UUID, day: date, counts: Counts
) -> None:
    ids = sorted(counts)
    connection = await driver_connection(session)
    await connection.execute(
        _PG_ADD,
        day,
        workspace_id,
        ids,
        [counts[i][0] for i in ids],
        [counts[i][1] for i in ids],
    )


# SQLite needs `WHERE true` before ON CONFLICT in an INSERT ... SELECT (parsing ambiguity).
_SQLITE_ADD = text("""
    INSERT INTO segment_days AS d (segment_id, day, workspace_id, size, entered, exited)
    SELECT :segment_id, :day, :workspace_id,
           coalesce((SELECT p.size FROM segment_days p
                     WHERE p.segment_id = :segment_id AND p.day < :day
                     ORDER BY p.day DESC LIMIT 1), 0) + :entered - :exited,
           :entered, :exited
    WHERE true
    ON CONFLICT (segment_id, day) DO UPDATE
    SET size = d.size + excluded.entered - excluded.exited,
        entered = d.entered + excluded.entered, exited = d.exited + excluded.exited
""")


async def _add_sqlite(session: AsyncSession, workspace_id: UUID, day: date, counts: Counts) -> None:
    # Stored as SQLAlchemy's Uuid and Date store them on SQLite: 32 hex digits, ISO date.
    await session.execute(
        _SQLITE_ADD,
        [
            {
                "segment_id": segment_id.hex,
                "day": day.isoformat(),
                "workspace_id": workspace_id.hex,
                "entered": entered,
                "exited": exited,
            }
            for segment_id, (entered, exited) in sorted(counts.items())
        ],
    )


ADD: PerDialect[DayWriter] = PerDialect(postgresql=_add_postgres, sqlite=_add_sqlite)


async def add_counts(session: AsyncSession, workspace_id: UUID, day: date, counts: Counts) -> None:
    if counts:
        await ADD.of(session)(session, workspace_id, day, counts)


async def sizes(session: AsyncSession, segment_ids: list[UUID]) -> dict[UUID, int]:
    """Each segment's current size: its latest day's row (no row: never had a member)."""
    if not segment_ids:
        return {}
    later = aliased(SegmentDay)
    newest = select(func.max(later.day)).where(later.segment_id == SegmentDay.segment_id)
    rows = await session.execute(
        select(SegmentDay.segment_id, SegmentDay.size).where(
            SegmentDay.segment_id.in_(segment_ids), SegmentDay.day == newest.scalar_subquery()
        )
    )
    return {row[0]: row[1] for row in rows}


async def history(
    session: AsyncSession, segment_id: UUID, first: date, last: date
) -> list[tuple[date, int, int, int]]:
    """(day, size, entered, exited) for every day from first to last."""
    before = await session.scalar(
        select(SegmentDay.size)
        .where(SegmentDay.segment_id == segment_id, SegmentDay.day < first)
        .order_by(SegmentDay.day.desc())
        .limit(1)
    )
    rows = {
        row.day: row
        for row in await session.scalars(
            select(SegmentDay).where(
                SegmentDay.segment_id == segment_id,
                SegmentDay.day >= first,
                SegmentDay.day <= last,
            )
        )
    }
    size = before or 0
    days = []
    day = first
    while day <= last:
        row = rows.get(day)
        if row is None:
            days.append((day, size, 0, 0))
        else:
            size = row.size
            days.append((day, row.size, row.entered, row.exited))
        day += timedelta(days=1)
    return days
