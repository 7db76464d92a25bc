"""Windows expire without any event: "3 views in the last 7 days" stops holding on its own.

Each sweep evaluates, for the workspace's live time-dependent segments, only the users with a
window edge crossing since the segment's last sweep (segments/edges.py: an event aging out of a
window, a timestamp aging past "within N days", a tag expiring), all those segments together in
one pass per batch of users. A segment never swept (no `last_evaluated_at`) is evaluated whole.
One workspace per transaction; only users whose verdict changed are written and announced.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc, utcnow
from segmentation.config import SegmentationConfig
from segmentation.segments.applied import apply_changes, create_changes_table
from segmentation.segments.days import fold_all
from segmentation.segments.diff import DIFFS
from segmentation.segments.edges import users_crossing
from segmentation.segments.live import LiveSegment
from segmentation.segments.membership import Changes, evaluate, refresh_segments, rule_of
from segmentation.segments.models import Segment
from yunying_shared.db import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)


async def sweep_time_windows(
    session: AsyncSession, *, workspace_id: UUID, now: datetime | None = None
) -> Changes:
    now = now or utcnow()
    changes = Changes()
    rows = (
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
    # PostgreSQL: every segment's changes are staged, then applied by one statement, so the
    # sweep's row locks go in one key order like an ingest batch's (applied.py):
    # two statements would each start over from the lowest key, and could deadlock with it.
    set_wise = DIFFS.of(session).set_wise
    swept: list[LiveSegment] = []
    spans = []
    for segment in rows:
        since = as_utc(segment.last_evaluated_at)
        if since is None:
            await evaluate(
                session,
                segment,
                rule_of(segment),
                now=now,
                reason="sweep",
                changes=changes,
                stage_only=set_wise,
            )
            continue
        if since >= now:
            continue  # evaluated at or after this instant already (a save, a later sweep)
        live = LiveSegment(segment.id, segment.version, segment.name, segment.workspace_id)
        swept.append(live)
        spans.append((rule_of(segment), (since, now)))
    users = await users_crossing(session, workspace_id, spans)
    await refresh_segments(
        session,
        workspace_id=workspace_id,
        segments=swept,
        user_ids=users,
        now=now,
        reason="sweep",
        changes=changes,
        stage_only=set_wise,
    )
    if set_wise:
        await create_changes_table(session)  # (when neither call above had one to stage into)
        await apply_changes(
            session, workspace_id=workspace_id, now=now, reason="sweep", changes=changes
        )
    if rows:
        await session.execute(
            update(Segment)
            .where(
                Segment.id.in_([s.id for s in rows]),
                or_(Segment.last_evaluated_at.is_(None), Segment.last_evaluated_at < now),
            )
            .values(last_evaluated_at=now)
            .execution_options(synchronize_session=False)
        )
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
            folded = await fold_all(database)
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception("segment sweep failed")
        else:
            log.info("segment sweep done", changed=changed, day_counts_folded=folded)
