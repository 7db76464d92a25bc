"""Windows expire without any event: "3 views in the last 7 days" stops holding on its own.
The sweep re-evaluates every live, time-dependent segment over its whole workspace, one
workspace per transaction; only users whose verdict changed are written and announced."""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import utcnow
from segmentation.config import SegmentationConfig
from segmentation.segments.membership import Changes, evaluate, rule_of
from segmentation.segments.models import Segment
from yunying_shared.db import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)


async def sweep_time_windows(
    session: AsyncSession, *, workspace_id: UUID, now: datetime | None = None
) -> Changes:
    now = now or utcnow()
    changes = Changes()
    segments = (
        await session.scalars(
            select(Segment)
            .where(
                Segment.workspace_id == workspace_id,
                Segment.live.is_(True),
                Segment.time_dependent.is_(True),
            )
            .order_by(Segment.id)
        )
    ).all()
    for segment in segments:
        await evaluate(session, segment, rule_of(segment), now=now, reason="sweep", changes=changes)
        segment.last_evaluated_at = now
    await session.flush()
    return changes


async def sweep_all_workspaces(database: Database, *, now: datetime | None = None) -> int:
    async with database.session() as session:
        workspaces = (
            await session.scalars(
                select(Segment.workspace_id)
                .where(Segment.live.is_(True), Segment.time_dependent.is_(True))
                .distinct()
            )
        ).all()
    changed = 0
    for workspace_id in workspaces:
        async with database.session() as session, session.begin():
            # Replicas: one sweeps a workspace, the others skip it this round.
            lock = f"segmentation.segment-sweep.{workspace_id}"
            if not await database.sql.try_transaction_lock(session, lock):
                continue
            changed += (
                await sweep_time_windows(session, workspace_id=workspace_id, now=now)
            ).count()
    return changed


async def sweep_segments_forever(app: FastAPI) -> None:
    config: SegmentationConfig = app.state.settings
    if not config.sweep_enabled:
        return
    database: Database = app.state.database
    while True:
        await asyncio.sleep(config.segment_sweep_interval_seconds)
        try:
            changed = await sweep_all_workspaces(database)
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception("segment sweep failed")
        else:
            log.info("segment sweep done", changed=changed)
