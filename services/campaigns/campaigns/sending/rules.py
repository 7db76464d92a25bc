"""Per-workspace sending rules: quiet hours in local time and the frequency cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import utcnow
from campaigns.sending.models import SendingRules
from campaigns.sending.schemas import RulesIn, RulesOut
from campaigns.sending.zones import zone


@dataclass(frozen=True)
class Rules:
    timezone: str
    quiet_start: time | None
    quiet_end: time | None
    cap_count: int
    cap_window_hours: int

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the quiet hours around `now` end (UTC), or None outside them."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        local = now.astimezone(zone(self.timezone))
        start, end, clock = self.quiet_start, self.quiet_end, local.time()
        overnight = start > end  # 22:00–08:00
        inside = (clock >= start or clock < end) if overnight else (start <= clock < end)
        if not inside:
            return None
        day = local.date() if clock < end else local.date() + timedelta(days=1)
        return datetime.combine(day, end, tzinfo=local.tzinfo).astimezone(now.tzinfo)


def _minute(value: time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def _time(minute: int | None) -> time | None:
    return None if minute is None else time(minute // 60, minute % 60)


async def rules_for(
    session: AsyncSession, *, workspace_ids: set[UUID], default_cap: tuple[int, int]
) -> dict[UUID, Rules]:
    stored = {
        row.workspace_id: row
        for row in await session.scalars(
            select(SendingRules).where(SendingRules.workspace_id.in_(workspace_ids))
        )
    }
    found = {}
    for workspace_id in workspace_ids:
        row = stored.get(workspace_id)
        found[workspace_id] = (
            Rules("Asia/Shanghai", None, None, *default_cap)
            if row is None
            else Rules(
                row.timezone,
                _time(row.quiet_start_minute),
                _time(row.quiet_end_minute),
                row.cap_count,
                row.cap_window_hours,
            )
        )
    return found


async def read_rules(
    session: AsyncSession, *, workspace_id: UUID, default_cap: tuple[int, int]
) -> RulesOut:
    rules = (await rules_for(session, workspace_ids={workspace_id}, default_cap=default_cap))[
        workspace_id
    ]
    return RulesOut(
        timezone=rules.timezone,
        quiet_start=rules.quiet_start,
        quiet_end=rules.quiet_end,
        cap_count=rules.cap_count,
        cap_window_hours=rules.cap_window_hours,
    )


async def write_rules(session: AsyncSession, *, workspace_id: UUID, data: RulesIn) -> RulesOut:
    row = await session.get(SendingRules, workspace_id)
    if row is None:
        row = SendingRules(workspace_id=workspace_id)
        session.add(row)
    row.timezone = data.timezone
    row.quiet_start_minute = _minute(data.quiet_start)
    row.quiet_end_minute = _minute(data.quiet_end)
    row.cap_count = data.cap_count
    row.cap_window_hours = data.cap_window_hours
    row.updated_at = utcnow()
    await session.flush()
    return RulesOut.model_validate(data.model_dump())
