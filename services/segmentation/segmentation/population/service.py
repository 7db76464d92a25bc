"""Population metrics per workspace and date range: repurchase, churn, activity, source mix."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.lifecycle.models import StageChange
from segmentation.population.schemas import (
    Activity,
    ActivityDay,
    ChurnRate,
    RepurchaseRate,
    SourceMix,
    SourceShare,
)
from segmentation.population.window import DateRange, as_date
from segmentation.records.models import Profile, UserEvent
from yunying_shared.db import sql_dialect

ACTIVE_STAGES = ("new", "active", "loyal")


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def repurchase_rate(
    session: AsyncSession, *, workspace_id: UUID, window: DateRange
) -> RepurchaseRate:
    per_user = (
        select(UserEvent.user_id, func.count().label("orders"))
        .where(
            UserEvent.workspace_id == workspace_id,
            UserEvent.type == "purchase",
            UserEvent.occurred_at >= window.since,
            UserEvent.occurred_at < window.until,
        )
        .group_by(UserEvent.user_id)
        .subquery()
    )
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((per_user.c.orders >= 2, 1), else_=0)), 0),
            ).select_from(per_user)
        )
    ).one()
    purchasers, repurchasers = int(row[0]), int(row[1])
    return RepurchaseRate(
        start=window.start,
        end=window.end,
        purchasers=purchasers,
        repurchasers=repurchasers,
        rate=_ratio(repurchasers, purchasers),
    )


async def churn_rate(session: AsyncSession, *, workspace_id: UUID, window: DateRange) -> ChurnRate:
    """One pass over the moves before the range's end, per user: the latest move before the
    range (ranked first among those) says whether they were active at its start, and a move to
    churned inside the range whether they churned. No join: joining the two sets let PostgreSQL
    misjudge the first as small and rescan the second per row (minutes at 800,000 moves)."""
    before = StageChange.changed_at < window.since
    inside = and_(StageChange.changed_at >= window.since, StageChange.to_value == "churned")
    per_user = (
        select(
            StageChange.changed_at,
            StageChange.to_value,
            func.row_number()
            .over(
                partition_by=StageChange.user_id,
                order_by=(
                    case((before, 0), else_=1),
                    StageChange.changed_at.desc(),
                    StageChange.id.desc(),
                ),
            )
            .label("rn"),
            func.max(case((inside, 1), else_=0))
            .over(partition_by=StageChange.user_id)
            .label("churned"),
        )
        .where(
            StageChange.workspace_id == workspace_id,
            StageChange.kind == "stage",
            StageChange.changed_at < window.until,
        )
        .subquery()
    )
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(per_user.c.churned), 0)).where(
                per_user.c.rn == 1,
                per_user.c.changed_at < window.since,
                per_user.c.to_value.in_(ACTIVE_STAGES),
            )
        )
    ).one()
    active_count, churned = int(row[0]), int(row[1])
    return ChurnRate(
        start=window.start,
        end=window.end,
        active_at_start=active_count,
        churned=churned,
        rate=_ratio(churned, active_count),
    )


async def activity(session: AsyncSession, *, workspace_id: UUID, window: DateRange) -> Activity:
    in_range = (
        UserEvent.workspace_id == workspace_id,
        UserEvent.occurred_at >= window.since,
        UserEvent.occurred_at < window.until,
    )
    day = sql_dialect(session).utc_day(UserEvent.occurred_at)
    rows = await session.execute(
        select(day, func.count(distinct(UserEvent.user_id))).where(*in_range).group_by(day)
    )
    per_day = {as_date(row[0]): row[1] for row in rows}
    total = await session.scalar(select(func.count(distinct(UserEvent.user_id))).where(*in_range))
    return Activity(
        start=window.start,
        end=window.end,
        days=[ActivityDay(date=d, active_users=per_day.get(d, 0)) for d in window.days()],
        distinct_active_users=total or 0,
    )


async def source_mix(session: AsyncSession, *, workspace_id: UUID, window: DateRange) -> SourceMix:
    rows = (
        await session.execute(
            select(Profile.source, func.count())
            .where(
                Profile.workspace_id == workspace_id,
                Profile.first_seen_at >= window.since,
                Profile.first_seen_at < window.until,
            )
            .group_by(Profile.source)
        )
    ).all()
    counts = {"organic": 0, "referral": 0, "campaign": 0, **{row[0]: row[1] for row in rows}}
    total = sum(counts.values())
    return SourceMix(
        start=window.start,
        end=window.end,
        new_users=total,
        sources=[
            SourceShare(source=source, users=users, share=_ratio(users, total) or 0.0)
            for source, users in counts.items()
        ],
    )
