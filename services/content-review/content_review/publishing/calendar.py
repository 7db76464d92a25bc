"""The publishing calendar: what goes out when, and per platform and account whether each day
or week is under, within or over its cadence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.clock import as_utc
from content_review.items.models import ContentItem
from content_review.publishing.cadence import Cadence, effective_cadence
from content_review.publishing.exceptions import InvalidCalendarRange
from content_review.publishing.models import CadenceRule
from content_review.publishing.schemas import CalendarEntry, CalendarOut, CalendarPeriod
from content_review.publishing.service import PLANNED_STATES

MAX_RANGE = timedelta(days=366)
PeriodStatus = Literal["under", "ok", "over", "partial"]
# Approved items carry a publish time too: they count as planned.
CALENDAR_STATES = ("approved", *PLANNED_STATES)


def _check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidCalendarRange(
            "`to` must be after `from`.",
            errors=[{"field": "query.to", "message": "must be after from"}],
        )
    if end - start > MAX_RANGE:
        raise InvalidCalendarRange(
            "The calendar covers at most 366 days.",
            errors=[{"field": "query.to", "message": "at most 366 days after from"}],
        )


def _periods(first: date, last: date, period: str) -> Iterator[tuple[date, date]]:
    start = first if period == "day" else first - timedelta(days=first.weekday())
    step = timedelta(days=1 if period == "day" else 7)
    while start <= last:
        yield start, start + step - timedelta(days=1)
        start += step


def _status(count: int, cadence: Cadence, partial: bool) -> PeriodStatus:
    if count > cadence.maximum:
        return "over"
    if partial:
        return "partial"
    return "under" if count < cadence.minimum else "ok"


async def calendar(
    session: AsyncSession, *, workspace_id: UUID, start: datetime, end: datetime, zone: str
) -> CalendarOut:
    start, end = as_utc(start), as_utc(end)
    _check_range(start, end)
    tz = ZoneInfo(zone)
    items = (
        await session.scalars(
            select(ContentItem)
            .where(
                ContentItem.workspace_id == workspace_id,
                ContentItem.state.in_(CALENDAR_STATES),
                ContentItem.planned_publish_at >= start,
                ContentItem.planned_publish_at < end,
            )
            .order_by(ContentItem.planned_publish_at, ContentItem.id)
        )
    ).all()
    cadence = await effective_cadence(session, workspace_id=workspace_id)
    overridden = set(
        (
            await session.scalars(
                select(CadenceRule.platform).where(CadenceRule.workspace_id == workspace_id)
            )
        ).all()
    )
    per_day: Counter[tuple[str, str, date]] = Counter()
    accounts: dict[str, set[str]] = {platform: {"main"} for platform in overridden}
    for item in items:
        assert item.planned_publish_at is not None
        local_day = as_utc(item.planned_publish_at).astimezone(tz).date()
        per_day[(item.platform, item.account, local_day)] += 1
        accounts.setdefault(item.platform, set()).add(item.account)
    first_day = start.astimezone(tz).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    covers_first = start.astimezone(tz).time() == datetime.min.time()
    periods: list[CalendarPeriod] = []
    for platform in sorted(accounts):
        rule = cadence.get(platform)
        if rule is None:
            continue
        for account in sorted(accounts[platform]):
            for period_start, period_end in _periods(first_day, last_day, rule.period):
                count = sum(
                    per_day[(platform, account, period_start + timedelta(days=offset))]
                    for offset in range((period_end - period_start).days + 1)
                )
                partial = (
                    period_start < first_day
                    or (period_start == first_day and not covers_first)
                    or period_end > last_day
                    or (period_end == last_day and _ends_mid_day(end, tz))
                )
                periods.append(
                    CalendarPeriod(
                        platform=platform,
                        account=account,
                        period=rule.period,
                        start=period_start,
                        end=period_end,
                        count=count,
                        minimum=rule.minimum,
                        maximum=rule.maximum,
                        status=_status(count, rule, partial),
                    )
                )
    entries = [
        CalendarEntry(
            id=item.id,
            platform=item.platform,
            account=item.account,
            kind=item.kind,
            state=item.state,
            title=item.title,
            planned_publish_at=as_utc(item.planned_publish_at),
        )
        for item in items
        if item.planned_publish_at is not None
    ]
    return CalendarOut(**{"from": start}, to=end, timezone=zone, items=entries, periods=periods)


def _ends_mid_day(end: datetime, tz: ZoneInfo) -> bool:
    return end.astimezone(tz).time() != datetime.min.time()
