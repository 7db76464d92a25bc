"""Live membership: diff a segment's rule against stored memberships, in SQL, set-wise.

One statement per segment finds the users whose membership must change (the rule's verdict
differs from the stored row), for a set of users or the whole workspace. The changes are then
written with INSERT ... ON CONFLICT DO NOTHING RETURNING and DELETE ... RETURNING, and events are
published only for rows this transaction actually inserted or deleted: a concurrent evaluator
that raced us to the same change publishes it, we do not, so each change is published once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, delete, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc, utcnow
from segmentation.db import BUS
from segmentation.events.upsert import dialect_of, insert_for
from segmentation.profiles.models import Profile
from segmentation.segments.compiler import compile_rule
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.segments.rules import RuleNode, parse_rule
from yunying_shared.bus import publish
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED, USER_SEGMENT_EXITED
from yunying_shared.events.payloads.segmentation import UserSegmentEntered, UserSegmentExited

SOURCE = "/yunying/segmentation"
USERS_PER_STATEMENT = 500  # bound parameters per IN list / multi-row insert stay small
# Past this many users (a re-score moving 5% of a million profiles), one pass over the whole
# workspace per segment beats thousands of IN-list statements.
WHOLE_WORKSPACE_FROM = 20_000
MEMBERSHIPS = SegmentMembership.__table__


@dataclass
class Changes:
    entered: dict[UUID, list[str]] = field(default_factory=dict)
    exited: dict[UUID, list[str]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(map(len, self.entered.values())) + sum(map(len, self.exited.values()))


async def refresh_memberships(
    session: AsyncSession, *, workspace_id: UUID, user_ids: Iterable[str],
    now: datetime | None = None, reason: str = "events",
) -> Changes:
    """Re-evaluate these users against every live segment of the workspace; call it in the
    transaction that changed their profiles, events or tags, after those writes."""
    ids = sorted(set(user_ids))
    changes = Changes()
    if not ids:
        return changes
    now = now or utcnow()
    segments = (await session.scalars(
        select(Segment).where(Segment.workspace_id == workspace_id, Segment.live.is_(True))
        .order_by(Segment.id)
    )).all()
    for segment in segments:
        rule = parse_rule(segment.rule)
        if len(ids) >= WHOLE_WORKSPACE_FROM:
            await evaluate(session, segment, rule, now=now, reason=reason, changes=changes)
            continue
        for start in range(0, len(ids), USERS_PER_STATEMENT):
            chunk = ids[start:start + USERS_PER_STATEMENT]
            await evaluate(session, segment, rule, scope=Profile.user_id.in_(chunk), now=now,
                           reason=reason, changes=changes)
    return changes


async def evaluate(
    session: AsyncSession, segment: Segment, rule: RuleNode, *, now: datetime, reason: str,
    scope: ColumnElement[bool] | None = None, changes: Changes | None = None,
) -> Changes:
    """Bring the segment's memberships in line with its rule, for `scope` (default: everyone)."""
    changes = changes if changes is not None else Changes()
    matches = compile_rule(rule, now=now).label("matches")
    member = SegmentMembership.user_id.is_not(None).label("was_member")
    verdicts = (
        select(Profile.user_id, matches, member)
        .outerjoin(SegmentMembership, and_(SegmentMembership.segment_id == segment.id,
                                           SegmentMembership.user_id == Profile.user_id))
        .where(Profile.workspace_id == segment.workspace_id,
               scope if scope is not None else true())
        .subquery()
    )
    rows = (await session.execute(
        select(verdicts.c.user_id, verdicts.c.matches)
        .where(verdicts.c.matches != verdicts.c.was_member)
    )).all()
    entering = [row.user_id for row in rows if row.matches]
    leaving = [row.user_id for row in rows if not row.matches]
    entered = await _enter(session, segment, entering, now, reason)
    exited = await _exit(session, segment, leaving, now, reason)
    if entered:
        changes.entered.setdefault(segment.id, []).extend(entered)
    if exited:
        changes.exited.setdefault(segment.id, []).extend(exited)
    return changes


async def _enter(session: AsyncSession, segment: Segment, user_ids: Sequence[str],
                 now: datetime, reason: str) -> list[str]:
    entered: list[str] = []
    for start in range(0, len(user_ids), USERS_PER_STATEMENT):
        rows = [{"segment_id": segment.id, "user_id": user_id,
                 "workspace_id": segment.workspace_id, "entered_at": now}
                for user_id in user_ids[start:start + USERS_PER_STATEMENT]]
        statement = (insert_for(dialect_of(session), MEMBERSHIPS).values(rows)
                     .on_conflict_do_nothing(index_elements=["segment_id", "user_id"])
                     .returning(MEMBERSHIPS.c.user_id))
        entered.extend((await session.execute(statement)).scalars())
    await publish(session, BUS, *(
        make_event(USER_SEGMENT_ENTERED, UserSegmentEntered(
            user_id=user_id, segment_id=str(segment.id), segment_name=segment.name,
            entered_at=now, reason=reason), source=SOURCE, workspace=segment.workspace_id)
        for user_id in entered
    ))
    return entered


async def _exit(session: AsyncSession, segment: Segment, user_ids: Sequence[str],
                now: datetime, reason: str) -> list[str]:
    exited: list[Any] = []
    for start in range(0, len(user_ids), USERS_PER_STATEMENT):
        statement = (
            delete(MEMBERSHIPS)
            .where(MEMBERSHIPS.c.segment_id == segment.id,
                   MEMBERSHIPS.c.user_id.in_(user_ids[start:start + USERS_PER_STATEMENT]))
            .returning(MEMBERSHIPS.c.user_id, MEMBERSHIPS.c.entered_at)
        )
        exited.extend((await session.execute(statement)).all())
    await publish(session, BUS, *(
        make_event(USER_SEGMENT_EXITED, UserSegmentExited(
            user_id=row.user_id, segment_id=str(segment.id), segment_name=segment.name,
            entered_at=as_utc(row.entered_at), exited_at=now, reason=reason),
            source=SOURCE, workspace=segment.workspace_id)
        for row in exited
    ))
    return [row.user_id for row in exited]
