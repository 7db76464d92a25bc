"""Daily segment figures: size at the end of each day (UTC), entered and exited that day.

Every membership write appends its counts to `segment_day_changes` in its own transaction: one
multi-row insert, no row shared with another writer, so concurrent batches changing the same
popular segment never queue on a counter row. The sweep loop folds those rows into
`segment_days` (one folder at a time: a transaction lock), where a day's first row starts from
the segment's latest earlier size. Reads add the rows not folded yet, so they are exact at any
moment. Days without a row carry the size forward.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from segmentation.segments.models import SegmentDay, SegmentDayChange
from yunying_shared.db import Database, PerDialect, cast_table, driver_connection, sql_dialect

Counts = Mapping[UUID, tuple[int, int]]  # segment id -> (entered, exited)
FOLD_LOCK = "segmentation.segment-days-fold"

_PG_APPEND = """
    INSERT INTO segment_day_changes (segment_id, day, workspace_id, entered, exited)
    SELECT u.segment_id, $1, $2, u.entered, u.exited
    FROM unnest($3::uuid[], $4::int4[], $5::int4[]) AS u(segment_id, entered, exited)
"""


async def _append_postgres(
    session: AsyncSession, workspace_id: UUID, day: date, counts: Counts
) -> None:
    ids = list(counts)
    connection = await driver_connection(session)
    await connection.execute(
        _PG_APPEND,
        day,
        workspace_id,
        ids,
        [counts[i][0] for i in ids],
        [counts[i][1] for i in ids],
    )


async def _append_rows(
    session: AsyncSession, workspace_id: UUID, day: date, counts: Counts
) -> None:
    await session.execute(
        insert(SegmentDayChange),
        [
            {
                "segment_id": segment_id,
                "day": day,
                "workspace_id": workspace_id,
                "entered": entered,
                "exited": exited,
            }
            for segment_id, (entered, exited) in counts.items()
        ],
    )


APPEND: PerDialect[Any] = PerDialect(postgresql=_append_postgres, sqlite=_append_rows)


async def add_counts(session: AsyncSession, workspace_id: UUID, day: date, counts: Counts) -> None:
    if counts:
        await APPEND.of(session)(session, workspace_id, day, counts)


async def fold(session: AsyncSession) -> int:
    """Move the appended counts into `segment_days`; returns the rows folded. Call it in a
    transaction holding FOLD_LOCK (fold_all does)."""
    changes = cast_table(SegmentDayChange.__table__)
    last = await session.scalar(select(func.max(changes.c.id)))
    if last is None:
        return 0
    rows = (
        await session.execute(
            select(
                changes.c.segment_id,
                changes.c.day,
                changes.c.workspace_id,
                changes.c.entered,
                changes.c.exited,
            ).where(changes.c.id <= last)
        )
    ).all()
    await session.execute(delete(changes).where(changes.c.id <= last))
    totals: dict[tuple[UUID, date], list[Any]] = {}
    for segment_id, day, workspace_id, entered, exited in rows:
        total = totals.setdefault((segment_id, day), [workspace_id, 0, 0])
        total[1] += entered
        total[2] += exited
    sql = sql_dialect(session)
    for (segment_id, day), (workspace_id, entered, exited) in sorted(totals.items()):
        earlier = (
            select(SegmentDay.size)
            .where(SegmentDay.segment_id == segment_id, SegmentDay.day < day)
            .order_by(SegmentDay.day.desc())
            .limit(1)
            .scalar_subquery()
        )
        statement = sql.insert(SegmentDay.__table__).from_select(
            ["segment_id", "day", "workspace_id", "size", "entered", "exited"],
            select(
                literal(segment_id),
                literal(day),
                literal(workspace_id),
                func.coalesce(earlier, 0) + (entered - exited),
                literal(entered),
                literal(exited),
            ),
        )
        excluded = statement.excluded
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["segment_id", "day"],
                set_={
                    "size": SegmentDay.__table__.c.size + excluded.entered - excluded.exited,
                    "entered": SegmentDay.__table__.c.entered + excluded.entered,
                    "exited": SegmentDay.__table__.c.exited + excluded.exited,
                },
            )
        )
        # A count for an earlier day than rows already folded (a transaction that committed
        # after midnight): the later days' sizes move with it.
        await session.execute(
            update(SegmentDay)
            .where(SegmentDay.segment_id == segment_id, SegmentDay.day > day)
            .values(size=SegmentDay.size + (entered - exited))
        )
    return len(rows)


async def fold_all(database: Database) -> int:
    async with database.session() as session, session.begin():
        if not await database.sql.try_transaction_lock(session, FOLD_LOCK):
            return 0  # another replica is folding
        return await fold(session)


async def _pending(
    session: AsyncSession, segment_ids: list[UUID]
) -> dict[UUID, dict[date, list[int]]]:
    """The counts not folded yet: segment -> day -> [entered, exited]."""
    pending: dict[UUID, dict[date, list[int]]] = defaultdict(dict)
    rows = await session.execute(
        select(
            SegmentDayChange.segment_id,
            SegmentDayChange.day,
            func.sum(SegmentDayChange.entered),
            func.sum(SegmentDayChange.exited),
        )
        .where(SegmentDayChange.segment_id.in_(segment_ids))
        .group_by(SegmentDayChange.segment_id, SegmentDayChange.day)
    )
    for segment_id, day, entered, exited in rows:
        pending[segment_id][day] = [int(entered), int(exited)]
    return pending


async def sizes(session: AsyncSession, segment_ids: list[UUID]) -> dict[UUID, int]:
    """Each segment's current size: its latest folded size plus the counts not folded yet."""
    if not segment_ids:
        return {}
    later = aliased(SegmentDay)
    newest = select(func.max(later.day)).where(later.segment_id == SegmentDay.segment_id)
    rows = await session.execute(
        select(SegmentDay.segment_id, SegmentDay.size).where(
            SegmentDay.segment_id.in_(segment_ids), SegmentDay.day == newest.scalar_subquery()
        )
    )
    result = {row[0]: row[1] for row in rows}
    for segment_id, days in (await _pending(session, segment_ids)).items():
        result[segment_id] = result.get(segment_id, 0) + sum(e - x for e, x in days.values())
    return result


async def history(
    session: AsyncSession, segment_id: UUID, first: date, last: date
) -> list[tuple[date, int, int, int]]:
    """(day, size, entered, exited) for every day from first to last."""
    folded_before = await session.scalar(
        select(SegmentDay.size)
        .where(SegmentDay.segment_id == segment_id, SegmentDay.day < first)
        .order_by(SegmentDay.day.desc())
        .limit(1)
    )
    folded = {
        row.day: row
        for row in await session.scalars(
            select(SegmentDay).where(
                SegmentDay.segment_id == segment_id,
                SegmentDay.day >= first,
                SegmentDay.day <= last,
            )
        )
    }
    pending = (await _pending(session, [segment_id])).get(segment_id, {})
    base = folded_before or 0  # folded size at the end of the day before
    moved = sum(e - x for day, (e, x) in pending.items() if day < first)  # pending, cumulated
    days = []
    for offset in range((last - first).days + 1):  # (no day after `last`: 9999-12-31 is valid)
        day = first + timedelta(days=offset)
        row = folded.get(day)
        entered, exited = pending.get(day, (0, 0))
        moved += entered - exited
        if row is not None:
            base = row.size
            entered, exited = entered + row.entered, exited + row.exited
        days.append((day, base + moved, entered, exited))
    return days
