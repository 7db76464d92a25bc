"""Running due steps (after waits and condition windows) in bounded batches.

Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL (the clause compiles to nothing on
SQLite, whose single writer serialises the job anyway): replicas take disjoint batches and no
advisory lock is needed. The claim, the steps and their effects (coupons, sends, outbox events)
commit together, so a crash re-runs a batch whose effects were never committed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaigns.models import Campaign
from campaigns.journeys.effects import Effects
from campaigns.journeys.models import Enrollment, Journey
from campaigns.journeys.steps import advance


async def run_due_steps(session: AsyncSession, *, now: datetime, limit: int) -> int:
    due = list(
        await session.scalars(
            select(Enrollment)
            .where(Enrollment.state == "waiting", Enrollment.due_at <= now)
            .order_by(Enrollment.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return 0
    journeys = {
        j.id: j
        for j in await session.scalars(
            select(Journey).where(Journey.id.in_({e.journey_id for e in due}))
        )
    }
    campaigns = {
        c.id: c
        for c in await session.scalars(
            select(Campaign).where(Campaign.id.in_({e.campaign_id for e in due}))
        )
    }
    effects = Effects()
    for enrollment in due:
        await advance(
            session,
            enrollment,
            journeys[enrollment.journey_id],
            campaigns[enrollment.campaign_id],
            now=now,
            effects=effects,
        )
    await effects.apply(session, now=now)
    await session.flush()
    return len(due)
