"""Segments: save (validated, then evaluated at once), read, delete, preview."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc, utcnow
from segmentation.db import BUS
from segmentation.records.models import Profile
from segmentation.segments import days
from segmentation.segments.compiler import compile_rule, is_time_dependent
from segmentation.segments.membership import SOURCE, evaluate
from segmentation.segments.models import Segment, SegmentDayChange, SegmentMembership
from segmentation.segments.rules import RuleNode, parse_rule
from segmentation.segments.schemas import (
    MAX_HISTORY_DAYS,
    PreviewOut,
    SegmentDayOut,
    SegmentDaysOut,
    SegmentIn,
    SegmentOut,
    SegmentPatch,
)
from segmentation.segments.validation import MAX_LIVE_SEGMENTS, LiveSegmentLimit, check_rule
from yunying_shared.bus import publish
from yunying_shared.errors import Conflict, InvalidInput, NotFound
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import SEGMENT_CREATED, SEGMENT_DELETED, SEGMENT_UPDATED
from yunying_shared.events.payloads.segmentation import SegmentDeleted, SegmentSaved
from yunying_shared.http.pagination import Page, PageRequest, keyset_page

PREVIEW_SAMPLE = 10


async def preview(
    session: AsyncSession, *, workspace_id: UUID, rule: RuleNode, now: datetime | None = None
) -> PreviewOut:
    check_rule(rule)
    now = now or utcnow()
    matching = select(Profile.user_id).where(
        Profile.workspace_id == workspace_id, compile_rule(rule, now=now)
    )
    size = await session.scalar(select(func.count()).select_from(matching.subquery()))
    sample = (await session.scalars(matching.order_by(Profile.user_id).limit(PREVIEW_SAMPLE))).all()
    return PreviewOut(size=size or 0, sample=list(sample), evaluated_at=now)


async def create_segment(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    data: SegmentIn,
    actor: str,
    now: datetime | None = None,
) -> SegmentOut:
    check_rule(data.rule)
    await _ensure_name_free(session, workspace_id, data.name)
    if data.live:
        await _ensure_live_room(session, workspace_id)
    now = now or utcnow()
    segment = Segment(
        workspace_id=workspace_id,
        name=data.name,
        description=data.description,
        rule=data.rule.model_dump(mode="json"),
        live=data.live,
        time_dependent=is_time_dependent(data.rule),
        version=1,
        created_by=actor,
        created_at=now,
        updated_at=now,
        last_evaluated_at=now,
    )
    session.add(segment)
    await session.flush()
    # no other transaction sees the segment before this one commits: none writes its members
    await evaluate(session, segment, data.rule, now=now, reason="segment_saved", bulk=True)
    return await _announce(session, segment, SEGMENT_CREATED, now)


async def update_segment(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    segment_id: UUID,
    patch: SegmentPatch,
    now: datetime | None = None,
) -> SegmentOut:
    segment = await _get(session, workspace_id, segment_id)
    now = now or utcnow()
    if patch.name is not None and patch.name != segment.name:
        await _ensure_name_free(session, workspace_id, patch.name)
        segment.name = patch.name
    if patch.description is not None:
        segment.description = patch.description
    reevaluate = False
    if patch.rule is not None:
        check_rule(patch.rule)
        segment.rule = patch.rule.model_dump(mode="json")
        segment.time_dependent = is_time_dependent(patch.rule)
        reevaluate = True
    if patch.live is not None and patch.live != segment.live:
        if patch.live:
            await _ensure_live_room(session, workspace_id)
        segment.live = patch.live
        reevaluate = reevaluate or patch.live
    segment.version += 1
    segment.updated_at = now
    await session.flush()
    if reevaluate:
        segment.last_evaluated_at = now
        rule = patch.rule if patch.rule is not None else _stored_rule(segment)
        await evaluate(session, segment, rule, now=now, reason="segment_saved", bulk=True)
    return await _announce(session, segment, SEGMENT_UPDATED, now)


async def delete_segment(
    session: AsyncSession, *, workspace_id: UUID, segment_id: UUID, now: datetime | None = None
) -> None:
    segment = await _get(session, workspace_id, segment_id)
    # Memberships and pending day counts have no foreign key to cascade (migration 0007).
    await session.execute(
        delete(SegmentMembership).where(SegmentMembership.segment_id == segment.id)
    )
    await session.execute(delete(SegmentDayChange).where(SegmentDayChange.segment_id == segment.id))
    await session.delete(segment)
    await session.flush()
    payload = SegmentDeleted(
        segment_id=str(segment.id), name=segment.name, deleted_at=now or utcnow()
    )
    await publish(
        session, BUS, make_event(SEGMENT_DELETED, payload, source=SOURCE, workspace=workspace_id)
    )


async def get_segment(session: AsyncSession, *, workspace_id: UUID, segment_id: UUID) -> SegmentOut:
    segment = await _get(session, workspace_id, segment_id)
    return _out(segment, (await _member_counts(session, [segment.id])).get(segment.id, 0))


async def list_segments(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    name_contains: str | None = None,
    live: bool | None = None,
) -> Page[SegmentOut]:
    """The workspace's segments in name order, one page at a time."""
    statement = select(Segment).where(Segment.workspace_id == workspace_id)
    if name_contains:
        statement = statement.where(Segment.name.contains(name_contains, autoescape=True))
    if live is not None:
        statement = statement.where(Segment.live.is_(live))
    rows = await keyset_page(session, statement, page, keys=(Segment.name, Segment.id))
    counts = await _member_counts(session, [s.id for s in rows.rows])
    return rows.to_page(lambda s: _out(s, counts.get(s.id, 0)))


async def load_segment(session: AsyncSession, *, workspace_id: UUID, segment_id: UUID) -> Segment:
    return await _get(session, workspace_id, segment_id)


def _stored_rule(segment: Segment) -> RuleNode:
    return parse_rule(segment.rule)


async def _get(session: AsyncSession, workspace_id: UUID, segment_id: UUID) -> Segment:
    segment = await session.scalar(
        select(Segment).where(Segment.workspace_id == workspace_id, Segment.id == segment_id)
    )
    if segment is None:
        raise NotFound(f"Segment {segment_id} does not exist in this workspace.")
    return segment


async def _ensure_name_free(session: AsyncSession, workspace_id: UUID, name: str) -> None:
    taken = await session.scalar(
        select(Segment.id).where(Segment.workspace_id == workspace_id, Segment.name == name)
    )
    if taken is not None:
        raise Conflict(f"A segment named {name!r} already exists.", segment_id=str(taken))


async def _ensure_live_room(session: AsyncSession, workspace_id: UUID) -> None:
    live = await session.scalar(
        select(func.count())
        .select_from(Segment)
        .where(Segment.workspace_id == workspace_id, Segment.live.is_(True))
    )
    if (live or 0) >= MAX_LIVE_SEGMENTS:
        raise LiveSegmentLimit(
            f"The workspace has {live} live segments, the most it may keep live; "
            "freeze (live: false) or delete one first.",
            limit=MAX_LIVE_SEGMENTS,
        )


async def segment_days(
    session: AsyncSession, *, workspace_id: UUID, segment_id: UUID, first: date, last: date
) -> SegmentDaysOut:
    if last < first:
        raise InvalidInput(
            "`to` is before `from`.", errors=[{"field": "query.to", "message": "before `from`"}]
        )
    if (last - first).days + 1 > MAX_HISTORY_DAYS:
        raise InvalidInput(
            f"At most {MAX_HISTORY_DAYS} days per request.",
            errors=[
                {"field": "query.to", "message": f"more than {MAX_HISTORY_DAYS} days after `from`"}
            ],
        )
    segment = await _get(session, workspace_id, segment_id)
    rows = await days.history(session, segment.id, first, last)
    return SegmentDaysOut(
        segment_id=segment.id,
        days=[SegmentDayOut(day=d, size=n, entered=e, exited=x) for d, n, e, x in rows],
    )


async def _member_counts(session: AsyncSession, segment_ids: list[UUID]) -> dict[UUID, int]:
    return await days.sizes(session, segment_ids)


async def _announce(
    session: AsyncSession, segment: Segment, spec: Any, now: datetime
) -> SegmentOut:
    out = _out(segment, (await _member_counts(session, [segment.id])).get(segment.id, 0))
    payload = SegmentSaved(
        segment_id=str(segment.id),
        name=segment.name,
        description=segment.description,
        rule=segment.rule,
        live=segment.live,
        member_count=out.member_count,
        saved_at=now,
    )
    await publish(
        session, BUS, make_event(spec, payload, source=SOURCE, workspace=segment.workspace_id)
    )
    return out


def _out(segment: Segment, member_count: int) -> SegmentOut:
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        rule=segment.rule,
        live=segment.live,
        time_dependent=segment.time_dependent,
        version=segment.version,
        member_count=member_count,
        created_by=segment.created_by,
        created_at=as_utc(segment.created_at),
        updated_at=as_utc(segment.updated_at),
        last_evaluated_at=as_utc(segment.last_evaluated_at),
    )
