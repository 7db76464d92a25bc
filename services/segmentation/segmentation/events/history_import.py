"""Importing a CRM's history: many chunks of events through the same validation into the same
tables as `POST /v1/events`, then one re-score and one derivation of the imported users' stage
histories by event time at the end.

An import is a row of `history_imports`, named by the operator (a file name, say): each chunk's
transaction stores its events and moves the row's counters and line count, so an interrupted
import resumes after the last committed chunk. Chunks skip what only makes sense once: no
re-stage (the users' histories are derived at the end), no republishing on
`segmentation.event.v1` (journeys and coupon redemption act on the present, not on a brand's
1997 orders). Imported rows are stamped with the import's start as `received_at`, which is how
the end finds the users the import touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.afterwrite import Touched, after_write
from segmentation.afterwrite.tag_rules import apply_tag_rules
from segmentation.clock import utcnow
from segmentation.db import Base
from segmentation.events.aggregate import Aggregate, per_user
from segmentation.events.import_packing import StagedRows, stage_rows, store_staged
from segmentation.events.schemas import ItemResult, ValidEvent
from segmentation.events.service import validate_batch
from segmentation.events.storage import STORAGE
from segmentation.lifecycle.rederive import Replay, rederive
from segmentation.lifecycle.rules import LifecycleRules
from segmentation.records.models import Profile, TagRule, UserEvent
from segmentation.rfm.service import rescore
from segmentation.settings.service import get_settings
from yunying_shared.db import sql_dialect

NAME_LENGTH = 200


class HistoryImport(Base):
    """One named import per workspace: how far it got and what it counted."""

    __tablename__ = "history_imports"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    started_at: Mapped[datetime]  # also the `received_at` of every row it stored
    lines_done: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


@dataclass(frozen=True)
class Finished:
    users: int
    transitions_published: int
    profiles_scored: int


async def open_import(
    session: AsyncSession, *, workspace_id: UUID, name: str, now: datetime | None = None
) -> HistoryImport:
    """The named import, created on first use (a second run resumes it)."""
    found = await session.get(HistoryImport, (workspace_id, name))
    if found is not None:
        return found
    now = now or utcnow()
    run = HistoryImport(
        workspace_id=workspace_id,
        name=name,
        started_at=now,
        lines_done=0,
        accepted=0,
        duplicates=0,
        rejected=0,
        updated_at=now,
    )
    session.add(run)
    await session.flush()
    return run


@dataclass(frozen=True)
class Prepared:
    """A chunk checked before its transaction (pure Python: the import's worker process
    prepares the next chunk while the database stores this one)."""

    items: int
    rejected: list[ItemResult]  # rejected items, and repeats within the chunk
    # Every valid event; when `staged`, only those of a type some tag rule reads.
    valid: list[ValidEvent]
    aggregates: list[tuple[str, Aggregate]]  # of every valid event; empty when `staged`
    staged: StagedRows | None = None  # every valid event, as PostgreSQL's COPY rows


def prepare(
    items: Sequence[Any], now: datetime, *, tagged_types: frozenset[str] | None = None
) -> Prepared:
    """`tagged_types` (PostgreSQL): stage the valid events as COPY rows, folded into profiles
    in SQL; only the events of these types (the workspace's tag rules' types) stay as objects,
    so the worker sends back a buffer instead of every event and aggregate."""
    results, valid = validate_batch(items, now)
    events = [event for _, event in valid]
    if tagged_types is None:
        return Prepared(len(items), results, events, per_user(events))
    tagged = [event for event in events if event.type in tagged_types]
    return Prepared(len(items), results, tagged, [], stage_rows(events) if events else None)


async def tagged_types(session: AsyncSession, workspace_id: UUID) -> frozenset[str]:
    """The event types the workspace's tag rules read (what a staged chunk keeps as objects)."""
    types = await session.scalars(
        select(TagRule.event_type).where(TagRule.workspace_id == workspace_id).distinct()
    )
    return frozenset(types)


async def import_chunk(
    session: AsyncSession,
    *,
    run: HistoryImport,
    items: Sequence[Any] | Prepared,
    lines: int | None = None,
    now: datetime | None = None,
) -> list[ItemResult]:
    """Validate (unless prepared) and store one chunk; `lines` (default: the items) is how far
    into the source it reaches. Returns the rejected items (each naming its fields) and repeats
    within the chunk; the run's counters hold the totals. On PostgreSQL the chunk goes through
    a staging table (events.import_packing); SQLite takes live ingestion's statements."""
    now = now or utcnow()
    postgres = sql_dialect(session).name == "postgresql"
    if isinstance(items, Prepared):
        chunk = items
    else:
        types = await tagged_types(session, run.workspace_id) if postgres else None
        chunk = prepare(items, now, tagged_types=types)
    if chunk.staged is not None:
        stored, tagged_ids = await store_staged(
            session,
            run.workspace_id,
            chunk.staged,
            received_at=run.started_at,
            now=now,
            tagged_types={event.type for event in chunk.valid},
        )
        accepted = [event for event in chunk.valid if event.event_id in tagged_ids]
    elif chunk.valid:
        storage = STORAGE.of(session)
        inserted = await storage.insert_events(
            session, run.workspace_id, chunk.valid, run.started_at
        )
        stored = len(inserted)
        # Usually every valid event is new: the aggregates prepared beforehand hold.
        accepted, aggregates = chunk.valid, chunk.aggregates
        if stored < len(chunk.valid):
            accepted = [event for event in chunk.valid if event.event_id in inserted]
            aggregates = per_user(accepted)
        if accepted:
            await storage.upsert_profiles(session, run.workspace_id, aggregates, now)
    else:
        stored, accepted = 0, []
    if accepted:
        await apply_tag_rules(session, workspace_id=run.workspace_id, events=accepted, now=now)
    rejected = sum(r.status == "rejected" for r in chunk.rejected)
    run.accepted += stored
    run.rejected += rejected
    run.duplicates += chunk.items - rejected - stored
    run.lines_done += chunk.items if lines is None else lines
    run.updated_at = now
    await session.flush()
    return chunk.rejected


async def finish_import(
    session: AsyncSession, *, run: HistoryImport, now: datetime | None = None
) -> Finished:
    """Once, at the end: re-score the workspace, then derive the imported users' stage
    histories (their moves published with their time, historical when old)."""
    now = now or utcnow()
    workspace_id = run.workspace_id
    imported = (
        select(UserEvent.user_id)
        .where(UserEvent.workspace_id == workspace_id, UserEvent.received_at == run.started_at)
        .distinct()
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Profile.id, Profile.user_id).where(
                Profile.workspace_id == workspace_id, Profile.user_id.in_(imported)
            )
        )
    ).all()
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    scored = await rescore(session, workspace_id=workspace_id, now=now, quiet=ids)
    stages = dict(
        (
            await session.execute(
                select(Profile.user_id, Profile.stage).where(
                    Profile.workspace_id == workspace_id, Profile.user_id.in_(imported)
                )
            )
        ).all()
    )
    settings = await get_settings(session, workspace_id=workspace_id)
    rules = LifecycleRules.model_validate(settings.lifecycle_rules)
    published = await rederive(
        session,
        workspace_id=workspace_id,
        current=stages,
        replay=Replay(rules, settings.last_edges or None, settings.rfm_window_days, now),
    )
    # Tags set from the imported events may move memberships too (stages and scores did).
    await after_write(session, workspace_id=workspace_id, touched=Touched(users=stages), now=now)
    run.finished_at = now
    run.updated_at = now
    await session.flush()
    return Finished(
        users=len(stages), transitions_published=published, profiles_scored=scored.profiles
    )


async def import_rows(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    items: Sequence[Any],
    name: str,
    now: datetime | None = None,
) -> Finished:
    """A whole (small) import in one transaction: open, one chunk, finish."""
    run = await open_import(session, workspace_id=workspace_id, name=name, now=now)
    await import_chunk(session, run=run, items=items, now=now)
    return await finish_import(session, run=run, now=now)
