from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import extract, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.calendar.holidays import BUILTIN_KEYS, builtin_day, builtin_holidays
from campaigns.calendar.models import WorkspaceDay
from campaigns.calendar.schemas import DayIn, DayOut
from campaigns.clock import utcnow
from campaigns.errors import naming
from yunying_shared.errors import Conflict


async def calendar(session: AsyncSession, *, workspace_id: UUID, year: int) -> list[DayOut]:
    days = [DayOut(key=h.key, name=h.name, day=h.day, builtin=True) for h in builtin_holidays(year)]
    own = await session.scalars(
        select(WorkspaceDay).where(
            WorkspaceDay.workspace_id == workspace_id, extract("year", WorkspaceDay.day) == year
        )
    )
    days += [DayOut(key=d.key, name=d.name, day=d.day, builtin=False) for d in own]
    return sorted(days, key=lambda d: (d.day, d.key))


async def add_day(
    session: AsyncSession, *, workspace_id: UUID, data: DayIn, now: datetime | None = None
) -> DayOut:
    if data.key in BUILTIN_KEYS:
        raise naming(Conflict, "key", f"{data.key!r} is a built-in holiday.")
    taken = await session.scalar(
        select(WorkspaceDay.id).where(
            WorkspaceDay.workspace_id == workspace_id,
            WorkspaceDay.key == data.key,
            WorkspaceDay.day == data.day,
        )
    )
    if taken is not None:
        raise naming(Conflict, "day", f"{data.key!r} is already on {data.day}.")
    session.add(
        WorkspaceDay(workspace_id=workspace_id, **data.model_dump(), created_at=now or utcnow())
    )
    await session.flush()
    return DayOut(**data.model_dump(), builtin=False)


async def day_of(session: AsyncSession, *, workspace_id: UUID, key: str, year: int) -> date | None:
    """The date `key` falls on in `year`: a built-in holiday or the workspace's own day."""
    found = builtin_day(key, year)
    if found is not None:
        return found
    return await session.scalar(
        select(WorkspaceDay.day).where(
            WorkspaceDay.workspace_id == workspace_id,
            WorkspaceDay.key == key,
            extract("year", WorkspaceDay.day) == year,
        )
    )
