"""Importing a CRM's history: many chunks of events through the same validation into the same
tables as `POST /v1/events`, then one re-score and one derivation of the imported users' stage
histories by event time at the end.

An import is a row of `history_imports`, named by the operator (a file name, say): each chunk's
transaction stores its events and moves the row's counters and line count, so an interrupted
import resumes after the last committed chunk. The command on PostgreSQL stores each chunk in
parts instead, its events split by user (`part_of`), one connection and transaction per part,
each moving its own row of `history_import_parts`; the parts' counters are added to the
import's row when the chunks are done (`fold_parts`). Chunks skip what only makes sense once: no
re-stage (the users' histories are derived at the end), no republishing on
`segmentation.event.v1` (journeys and coupon redemption act on the present, not on a brand's
1997 orders). Imported rows are stamped with the import's start as `received_at`, and so are
their users' profiles (`imported_at`), which is how the end finds the users the import touched.

The end comes in steps so the command can spread it over two connections (`import_cli`): the
re-score, committed with `finishing_since` (the finish's time); the stage histories, one
transaction per part of the users; then the memberships and `finished_at`. A finish resumed
after an interruption skips the re-score and dates its moves by `finishing_since`, so a part
already committed derives the rows it has and publishes nothing again (rederive compares).
`finish_import` runs the steps in one transaction (SQLite, small imports).
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import SmallInteger, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.afterwrite import Touched, after_write
from segmentation.afterwrite.tag_rules import apply_tag_rules
from segmentation.clock import as_utc, utcnow
from segmentation.db import Base
from segmentation.events.aggregate import Aggregate, per_user
from segmentation.events.import_packing import StagedRows, stage_rows, store_staged
from segmentation.events.schemas import ItemResult, ValidEvent
from segmentation.events.service import validate_batch
from segmentation.events.storage import STORAGE
from segmentation.lifecycle.rederive import Replay, rederive
from segmentation.lifecycle.rules import LifecycleRules
from segmentation.records.models import Profile, TagRule
from segmentation.rfm.service import rescore
from segmentation.settings.service import get_settings
from yunying_shared.db import Database, sql_dialect

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
    # When the finishing step's re-score committed: the time its moves are dated by.
    finishing_since: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class HistoryImportPart(Base):
    """One part's progress while an import's chunks are stored in parts (PostgreSQL): the lines
    whose events of this part's users are stored, and what they counted. Folded into the
    import's row (and deleted) when the chunks are done."""

    __tablename__ = "history_import_parts"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    part: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    lines_done: Mapped[int]
    accepted: Mapped[int]
    duplicates: Mapped[int]
    rejected: Mapped[int]
    updated_at: Mapped[datetime]


@dataclass(frozen=True)
class Finished:
    users: int
    transitions_published: int


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


def part_of(user_id: str, parts: int) -> int:
    """The part a user's events are stored in: the same in every process and run (a resumed
    part must meet the same users), so not Python's salted `hash`."""
    return zlib.crc32(user_id.encode()) % parts


def prepare_parts(
    items: Sequence[Any], now: datetime, *, tagged_types: frozenset[str], parts: int
) -> list[Prepared]:
    """A chunk prepared as `prepare` does, its valid events split by user into `parts` parts
    that share no user (so no profile or, repeats within the chunk being found here, no event
    id). The first part carries the chunk's rejected items and repeats; each part's `items`
    is what it counts: its events, and for the first also those results."""
    results, valid = validate_batch(items, now)
    by_part: list[list[ValidEvent]] = [[] for _ in range(parts)]
    for _, event in valid:
        by_part[part_of(event.user_id, parts)].append(event)
    return [
        Prepared(
            items=len(events) + (len(results) if k == 0 else 0),
            rejected=results if k == 0 else [],
            valid=[event for event in events if event.type in tagged_types],
            aggregates=[],
            staged=stage_rows(events) if events else None,
        )
        for k, events in enumerate(by_part)
    ]


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
    part: HistoryImportPart | None = None,
) -> list[ItemResult]:
    """Validate (unless prepared) and store one chunk; `lines` (default: the items) is how far
    into the source it reaches. Returns the rejected items (each naming its fields) and repeats
    within the chunk; the run's counters hold the totals, or `part`'s when the chunk is one
    part of a chunk stored in parts (the run's row is then left alone: the other parts'
    transactions would wait for it). On PostgreSQL the chunk goes through a staging table
    (events.import_packing); SQLite takes live ingestion's statements."""
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
            # The staged path stamps its profiles in the same statement (import_packing).
            await session.execute(
                update(Profile)
                .where(
                    Profile.workspace_id == run.workspace_id,
                    Profile.user_id.in_({user_id for user_id, _ in aggregates}),
                )
                .values(imported_at=run.started_at)
            )
    else:
        stored, accepted = 0, []
    if accepted:
        await apply_tag_rules(session, workspace_id=run.workspace_id, events=accepted, now=now)
    rejected = sum(r.status == "rejected" for r in chunk.rejected)
    counts = run if part is None else part
    counts.accepted += stored
    counts.rejected += rejected
    counts.duplicates += chunk.items - rejected - stored
    counts.lines_done += chunk.items if lines is None else lines
    counts.updated_at = now
    if stored and part is None:  # stored after a finish began (a grown file): it starts over
        run.finishing_since = None
        run.updated_at = now
    await session.flush()
    return chunk.rejected


async def open_parts(
    session: AsyncSession, *, run: HistoryImport, parts: int, now: datetime | None = None
) -> list[HistoryImportPart]:
    """The import's parts, each starting after the lines the import's row has done; those of
    an interrupted run as it left them (however many parts it had)."""
    found = list(
        await session.scalars(
            select(HistoryImportPart)
            .where(
                HistoryImportPart.workspace_id == run.workspace_id,
                HistoryImportPart.name == run.name,
            )
            .order_by(HistoryImportPart.part)
        )
    )
    if found:
        return found
    now = now or utcnow()
    made = [
        HistoryImportPart(
            workspace_id=run.workspace_id,
            name=run.name,
            part=k,
            lines_done=run.lines_done,
            accepted=0,
            duplicates=0,
            rejected=0,
            updated_at=now,
        )
        for k in range(parts)
    ]
    session.add_all(made)
    await session.flush()
    return made


async def fold_parts(session: AsyncSession, *, run: HistoryImport, now: datetime) -> None:
    """The chunks are done: the parts' counters added to the import's row, their rows deleted.
    Lines stored after a finish began (a grown file) start that finish over."""
    parts = await open_parts(session, run=run, parts=0)
    if not parts:
        return
    assert len({part.lines_done for part in parts}) == 1, "every part reaches the same line"
    run.lines_done = parts[0].lines_done
    run.accepted += sum(part.accepted for part in parts)
    run.duplicates += sum(part.duplicates for part in parts)
    run.rejected += sum(part.rejected for part in parts)
    if any(part.accepted for part in parts):
        run.finishing_since = None
    run.updated_at = now
    await session.execute(
        delete(HistoryImportPart).where(
            HistoryImportPart.workspace_id == run.workspace_id,
            HistoryImportPart.name == run.name,
        )
    )
    await session.flush()


async def imported_users(session: AsyncSession, *, run: HistoryImport) -> dict[str, int]:
    """The users the import stored events of (user id -> profile id): the profiles its chunks
    stamped with its start (`Profile.imported_at`), read once for the re-score and the stage
    histories; the import's events are not read (a DISTINCT over them took 4.7 s at 1M)."""
    rows = await session.execute(
        select(Profile.user_id, Profile.id).where(
            Profile.workspace_id == run.workspace_id, Profile.imported_at == run.started_at
        )
    )
    return {user_id: profile_id for user_id, profile_id in rows}


async def rescore_once(
    session: AsyncSession,
    *,
    run: HistoryImport,
    now: datetime,
    imported: Mapping[str, int],
    parts_on: Database | None = None,
) -> datetime:
    """The finishing step's first step: re-score the workspace (the `imported` users quietly:
    their histories are derived next) and note the finish's time. Returns that time; a finish
    already begun (an interrupted one) is not re-scored again and keeps its first time.
    `parts_on`: the re-score's writes in parts on this database's connections (`rfm.service`;
    a part committed before an interruption is found unchanged by the finish run again)."""
    if run.finishing_since is not None:
        since = as_utc(run.finishing_since)
        assert since is not None
        return since
    ids = np.fromiter(imported.values(), dtype=np.int64, count=len(imported))
    await rescore(session, workspace_id=run.workspace_id, now=now, quiet=ids, parts_on=parts_on)
    run.finishing_since = now
    run.updated_at = now
    await session.flush()
    return now


async def imported_stages(
    session: AsyncSession, *, run: HistoryImport, imported: Collection[str]
) -> dict[str, str]:
    """The imported users' stages now (user id -> stage), what their histories end in: the
    workspace's profiles read and kept for the imported users (the import's events are not
    read again; profiles are far fewer)."""
    rows = await session.execute(
        select(Profile.user_id, Profile.stage).where(Profile.workspace_id == run.workspace_id)
    )
    return {user_id: stage for user_id, stage in rows if user_id in imported}


def split_users(stages: Mapping[str, str], count: int) -> list[dict[str, str]]:
    """The users split into `count` parts for as many connections (every `count`-th user id in
    sorted order: the skewed users spread evenly, the same split every time)."""
    users = sorted(stages)
    return [{user: stages[user] for user in users[k::count]} for k in range(count)]


async def derive_histories(
    session: AsyncSession, *, workspace_id: UUID, stages: Mapping[str, str], now: datetime
) -> int:
    """These users' stage histories derived by event time, their new moves published; returns
    how many were published. Users in different calls never overlap, so calls on different
    connections take no lock of each other's."""
    settings = await get_settings(session, workspace_id=workspace_id)
    rules = LifecycleRules.model_validate(settings.lifecycle_rules)
    return await rederive(
        session,
        workspace_id=workspace_id,
        current=stages,
        replay=Replay(rules, settings.last_edges or None, settings.rfm_window_days, now),
    )


async def end_import(
    session: AsyncSession, *, run: HistoryImport, stages: Mapping[str, str], now: datetime
) -> None:
    """The last step: memberships follow the imported users (tags set from the imported events
    may move them too, as stages and scores did); the import is finished."""
    await after_write(
        session, workspace_id=run.workspace_id, touched=Touched(users=stages), now=now
    )
    run.finished_at = now
    run.updated_at = now
    await session.flush()


async def finish_import(
    session: AsyncSession, *, run: HistoryImport, now: datetime | None = None
) -> Finished:
    """Once, at the end, in one transaction: re-score the workspace, then derive the imported
    users' stage histories (their moves published with their time, historical when old)."""
    imported = await imported_users(session, run=run)
    now = await rescore_once(session, run=run, now=now or utcnow(), imported=imported)
    stages = await imported_stages(session, run=run, imported=imported)
    published = await derive_histories(
        session, workspace_id=run.workspace_id, stages=stages, now=now
    )
    await end_import(session, run=run, stages=stages, now=now)
    return Finished(users=len(stages), transitions_published=published)


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
