"""Stage distribution per day, replayed from the stage-change history, by event time.

Profiles start as `potential` and only moves are recorded, so: a day's counts are the previous
day's, plus profiles first seen that day (as potential), minus each moving user's stage before
the day's first move, plus their stage after the day's last move. The starting point is each
user's last recorded stage before the range (potential when they have none). A user exists from
their first event (`first_seen_at`; a profile created without events, from its creation), so an
imported history counts its users from when they were first seen, not from the import.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from segmentation.lifecycle.models import StageChange
from segmentation.population.schemas import StageDay, StageDistribution
from segmentation.population.window import DateRange, as_date
from segmentation.records.models import Profile
from yunying_shared.db import sql_dialect
from yunying_shared.events.payloads.segmentation import LIFECYCLE_STAGES

INITIAL_STAGE = "potential"


def _born() -> ColumnElement[object]:
    """When a profile starts to count: its first event, else its creation."""
    return func.coalesce(Profile.first_seen_at, Profile.created_at)


async def stage_distribution(
    session: AsyncSession, *, workspace_id: UUID, window: DateRange
) -> StageDistribution:
    counts = await stages_at(session, workspace_id=workspace_id, moment_before=window)
    created = await _created_per_day(session, workspace_id, window)
    leaving, arriving = await _moves_per_day(session, workspace_id, window)
    days = []
    for day in window.days():
        counts[INITIAL_STAGE] += created.get(day, 0)
        counts.subtract(leaving.get(day, Counter()))
        counts.update(arriving.get(day, Counter()))
        days.append(
            StageDay(date=day, counts={stage: counts.get(stage, 0) for stage in _stages(counts)})
        )
    return StageDistribution(start=window.start, end=window.end, days=days)


async def stages_at(
    session: AsyncSession, *, workspace_id: UUID, moment_before: DateRange
) -> Counter[str]:
    """Users per stage just before the range starts."""
    since = moment_before.since
    ranked = (
        select(
            StageChange.to_value,
            func.row_number()
            .over(
                partition_by=StageChange.user_id,
                order_by=(StageChange.changed_at.desc(), StageChange.id.desc()),
            )
            .label("rn"),
        )
        .where(
            StageChange.workspace_id == workspace_id,
            StageChange.kind == "stage",
            StageChange.changed_at < since,
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.to_value, func.count()).where(ranked.c.rn == 1).group_by(ranked.c.to_value)
    )
    counts: Counter[str] = Counter({row[0]: row[1] for row in rows if row[0] is not None})
    profiles = (
        await session.scalar(
            select(func.count()).where(Profile.workspace_id == workspace_id, _born() < since)
        )
        or 0
    )
    counts[INITIAL_STAGE] += max(profiles - sum(counts.values()), 0)
    return counts


async def _created_per_day(
    session: AsyncSession, workspace_id: UUID, window: DateRange
) -> dict[date, int]:
    born = _born()
    day = sql_dialect(session).utc_day(born)
    rows = await session.execute(
        select(day, func.count())
        .where(
            Profile.workspace_id == workspace_id,
            born >= window.since,
            born < window.until,
        )
        .group_by(day)
    )
    return {as_date(row[0]): row[1] for row in rows}


async def _moves_per_day(
    session: AsyncSession, workspace_id: UUID, window: DateRange
) -> tuple[dict[date, Counter[str]], dict[date, Counter[str]]]:
    day = sql_dialect(session).utc_day(StageChange.changed_at).label("day")
    per_user_day = (StageChange.user_id, day)
    ranked = (
        select(
            day,
            StageChange.from_value,
            StageChange.to_value,
            func.row_number()
            .over(partition_by=per_user_day, order_by=(StageChange.changed_at, StageChange.id))
            .label("first"),
            func.row_number()
            .over(
                partition_by=per_user_day,
                order_by=(StageChange.changed_at.desc(), StageChange.id.desc()),
            )
            .label("last"),
        )
        .where(
            StageChange.workspace_id == workspace_id,
            StageChange.kind == "stage",
            StageChange.changed_at >= window.since,
            StageChange.changed_at < window.until,
        )
        .subquery()
    )
    leaving: dict[date, Counter[str]] = {}
    arriving: dict[date, Counter[str]] = {}
    for target, value, rank in (
        (leaving, ranked.c.from_value, ranked.c.first),
        (arriving, ranked.c.to_value, ranked.c.last),
    ):
        rows = await session.execute(
            select(ranked.c.day, value, func.count())
            .where(rank == 1, value.is_not(None))
            .group_by(ranked.c.day, value)
        )
        for row in rows:
            target.setdefault(as_date(row[0]), Counter())[row[1]] = row[2]
    return leaving, arriving


def _stages(counts: Counter[str]) -> list[str]:
    return [*LIFECYCLE_STAGES, *sorted(set(counts) - set(LIFECYCLE_STAGES))]
