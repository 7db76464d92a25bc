"""Live membership: a rule's verdicts, evaluated set-wise in SQL, diffed against stored rows.

For a batch of users (after ingestion, a re-score, a tag change), one statement evaluates every
live segment of the workspace for all of them at once (one boolean column per segment), and one
reads their stored memberships; for a whole workspace (a saved rule, the window sweep), one
statement per segment returns only the users whose verdict differs from the stored row.

Changes are written with INSERT ... ON CONFLICT DO NOTHING RETURNING and DELETE ... RETURNING,
and events are published only for rows this transaction actually inserted or deleted: when a
concurrent evaluator raced us to the same change, it publishes it and we do not, so each change
is published once, in the transaction that made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    String,
    Uuid,
    and_,
    bindparam,
    delete,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc, utcnow
from segmentation.db import BUS
from segmentation.events.upsert import dialect_of, insert_for
from segmentation.profiles.models import Profile
from segmentation.segments.compiler import ClockParams, compile_rule
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.segments.rules import RuleNode, parse_rule
from yunying_shared.bus import publish
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED, USER_SEGMENT_EXITED
from yunying_shared.events.payloads.segmentation import UserSegmentEntered, UserSegmentExited

SOURCE = "/yunying/segmentation"
USERS_PER_STATEMENT = 500  # bound parameters per IN list / multi-row insert stay small
SEGMENTS_PER_STATEMENT = 50  # verdict columns per statement
# Past this many users (a re-score moving 5% of a million profiles), one pass over the whole
# workspace per segment beats thousands of IN-list statements.
WHOLE_WORKSPACE_FROM = 20_000
MEMBERSHIPS = SegmentMembership.__table__
# On PostgreSQL a row-value IN list of (segment, user) pairs is not turned into primary-key
# lookups: each 500-pair DELETE scanned the memberships (0.27 s each with 1.1M of them, 85 s for
# a re-score moving 160,000 memberships). Joining unnest()ed arrays probes the key instead.
PG_PAIRS_PER_DELETE = 10_000
_PG_DELETE = text("""
    DELETE FROM segment_memberships AS m
    USING unnest(:segment_ids, :user_ids) AS k(segment_id, user_id)
    WHERE m.segment_id = k.segment_id AND m.user_id = k.user_id
    RETURNING m.segment_id, m.user_id, m.entered_at
""").bindparams(bindparam("segment_ids", type_=ARRAY(Uuid)),
                bindparam("user_ids", type_=ARRAY(String)))

Pair = tuple[Segment, str]


@dataclass
class Changes:
    entered: dict[UUID, list[str]] = field(default_factory=dict)
    exited: dict[UUID, list[str]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(map(len, self.entered.values())) + sum(map(len, self.exited.values()))


_rules: dict[tuple[UUID, int], RuleNode] = {}


def rule_of(segment: Segment) -> RuleNode:
    """The parsed rule; a (segment, version) never changes, so it is parsed once per process."""
    key = (segment.id, segment.version)
    rule = _rules.get(key)
    if rule is None:
        if len(_rules) > 10_000:
            _rules.clear()
        rule = _rules[key] = parse_rule(segment.rule)
    return rule


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
    segments = list((await session.scalars(
        select(Segment).where(Segment.workspace_id == workspace_id, Segment.live.is_(True))
        .order_by(Segment.id)
    )).all())
    if len(ids) >= WHOLE_WORKSPACE_FROM:
        for segment in segments:
            await evaluate(session, segment, rule_of(segment), now=now, reason=reason,
                           changes=changes)
        return changes
    for s in range(0, len(segments), SEGMENTS_PER_STATEMENT):
        for u in range(0, len(ids), USERS_PER_STATEMENT):
            await _refresh_users(session, workspace_id, segments[s:s + SEGMENTS_PER_STATEMENT],
                                 ids[u:u + USERS_PER_STATEMENT], now, reason, changes)
    return changes


_verdict_statements: dict[tuple[tuple[UUID, int], ...], tuple[Any, ClockParams]] = {}


def _verdicts_of(segments: list[Segment]) -> tuple[Any, ClockParams]:
    """One SELECT evaluating these segments for a list of users, built once per set of segment
    versions: building and caching-keying 50 rule trees for every batch costs more than the
    query itself."""
    key = tuple((s.id, s.version) for s in segments)
    cached = _verdict_statements.get(key)
    if cached is None:
        if len(_verdict_statements) > 1_000:
            _verdict_statements.clear()
        clock = ClockParams()
        statement = (
            select(Profile.user_id, *(compile_rule(rule_of(s), now=clock).label(f"s{i}")
                                      for i, s in enumerate(segments)))
            .where(Profile.workspace_id == bindparam("workspace_id"),
                   Profile.user_id.in_(bindparam("user_ids", expanding=True)))
        )
        cached = _verdict_statements[key] = (statement, clock)
    return cached


async def _refresh_users(session: AsyncSession, workspace_id: UUID, segments: list[Segment],
                         user_ids: list[str], now: datetime, reason: str, changes: Changes
                         ) -> None:
    statement, clock = _verdicts_of(segments)
    verdicts = (await session.execute(
        statement, {"workspace_id": workspace_id, "user_ids": user_ids, **clock.params(now)}
    )).all()
    stored = set((await session.execute(
        select(SegmentMembership.segment_id, SegmentMembership.user_id).where(
            SegmentMembership.workspace_id == workspace_id,
            SegmentMembership.user_id.in_(user_ids),
            SegmentMembership.segment_id.in_([s.id for s in segments]))
    )).all())
    entering: list[Pair] = []
    leaving: list[Pair] = []
    for row in verdicts:
        user_id = row[0]
        for segment, matches in zip(segments, row[1:], strict=True):
            was_member = (segment.id, user_id) in stored
            if matches and not was_member:
                entering.append((segment, user_id))
            elif was_member and not matches:
                leaving.append((segment, user_id))
    await _write(session, entering, leaving, now, reason, changes)


async def evaluate(
    session: AsyncSession, segment: Segment, rule: RuleNode, *, now: datetime, reason: str,
    scope: ColumnElement[bool] | None = None, changes: Changes | None = None,
) -> Changes:
    """Bring one segment's memberships in line with its rule, for `scope` (default: everyone)."""
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
    entering = [(segment, row.user_id) for row in rows if row.matches]
    leaving = [(segment, row.user_id) for row in rows if not row.matches]
    await _write(session, entering, leaving, now, reason, changes)
    return changes


async def _write(session: AsyncSession, entering: list[Pair], leaving: list[Pair],
                 now: datetime, reason: str, changes: Changes) -> None:
    # Sorted: concurrent evaluators lock membership rows in one order (no deadlocks).
    entering.sort(key=lambda pair: (pair[0].id, pair[1]))
    leaving.sort(key=lambda pair: (pair[0].id, pair[1]))
    envelopes = [*await _enter(session, entering, now, reason, changes),
                 *await _exit(session, leaving, now, reason, changes)]
    await publish(session, BUS, *envelopes)


async def _enter(session: AsyncSession, pairs: Sequence[Pair], now: datetime, reason: str,
                 changes: Changes) -> list[Any]:
    by_id = {segment.id: segment for segment, _ in pairs}
    envelopes = []
    for start in range(0, len(pairs), USERS_PER_STATEMENT):
        rows = [{"segment_id": segment.id, "user_id": user_id,
                 "workspace_id": segment.workspace_id, "entered_at": now}
                for segment, user_id in pairs[start:start + USERS_PER_STATEMENT]]
        # executemany ("insertmanyvalues"): one cached statement whatever the row count.
        statement = (insert_for(dialect_of(session), MEMBERSHIPS)
                     .on_conflict_do_nothing(index_elements=["segment_id", "user_id"])
                     .returning(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id))
        for segment_id, user_id in (await session.execute(statement, rows)).all():
            segment = by_id[segment_id]
            changes.entered.setdefault(segment_id, []).append(user_id)
            envelopes.append(make_event(USER_SEGMENT_ENTERED, UserSegmentEntered(
                user_id=user_id, segment_id=str(segment_id), segment_name=segment.name,
                entered_at=now, reason=reason), source=SOURCE, workspace=segment.workspace_id))
    return envelopes


async def _exit(session: AsyncSession, pairs: Sequence[Pair], now: datetime, reason: str,
                changes: Changes) -> list[Any]:
    by_id = {segment.id: segment for segment, _ in pairs}
    envelopes = []
    postgres = dialect_of(session) == "postgresql"
    size = PG_PAIRS_PER_DELETE if postgres else USERS_PER_STATEMENT
    for start in range(0, len(pairs), size):
        part = pairs[start:start + size]
        if postgres:
            rows = (await session.execute(_PG_DELETE, {
                "segment_ids": [segment.id for segment, _ in part],
                "user_ids": [user_id for _, user_id in part]})).all()
        else:
            rows = (await session.execute(
                delete(MEMBERSHIPS)
                .where(tuple_(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id).in_(
                    [(segment.id, user_id) for segment, user_id in part]))
                .returning(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id,
                           MEMBERSHIPS.c.entered_at))).all()
        for segment_id, user_id, entered_at in rows:
            segment = by_id[segment_id]
            changes.exited.setdefault(segment_id, []).append(user_id)
            envelopes.append(make_event(USER_SEGMENT_EXITED, UserSegmentExited(
                user_id=user_id, segment_id=str(segment_id), segment_name=segment.name,
                entered_at=as_utc(entered_at), exited_at=now, reason=reason),
                source=SOURCE, workspace=segment.workspace_id))
    return envelopes
