"""Live membership: a rule's verdicts, evaluated set-wise in SQL, diffed against stored rows.

For a batch of users (after ingestion, a re-score, a tag change), one statement evaluates every
live segment of the workspace for all of them at once (one boolean column per segment), and one
reads their stored memberships; for a whole workspace (a saved rule, the window sweep), one
statement per segment returns only the users whose verdict differs from the stored row.
Changes are written, and published once, by segments/writes.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import ColumnElement, and_, bindparam, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import utcnow
from segmentation.records.models import Profile
from segmentation.segments.compiler import ClockParams, compile_rule
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.segments.rules import RuleNode, parse_rule
from segmentation.segments.storage import STORAGE
from segmentation.segments.writes import SOURCE, Changes, Pair, SegmentRef, write
from yunying_shared.db import SqlDialect, sql_dialect

__all__ = ["SOURCE", "Changes", "evaluate", "live_segments", "refresh_memberships", "rule_of"]

USERS_PER_STATEMENT = 500  # bound parameters per IN list stay small
SEGMENTS_PER_STATEMENT = 50  # verdict columns per statement
# Past this many users (a re-score moving 5% of a million profiles), one pass over the whole
# workspace per segment beats thousands of IN-list statements.
WHOLE_WORKSPACE_FROM = 20_000


class LiveSegment(NamedTuple):
    """A live segment as evaluation needs it; its parsed rule is cached by (id, version)."""

    id: UUID
    version: int
    name: str
    workspace_id: UUID


_rules: dict[tuple[UUID, int], RuleNode] = {}


def rule_of(segment: Segment | LiveSegment) -> RuleNode:
    """The parsed rule; a (segment, version) never changes, so it is parsed once per process."""
    key = (segment.id, segment.version)
    rule = _rules.get(key)
    if rule is None:
        if len(_rules) > 10_000:
            _rules.clear()
        assert isinstance(segment, Segment), "live_segments() parsed it"
        rule = _rules[key] = parse_rule(segment.rule)
    return rule


_LIVE = (
    select(Segment.id, Segment.version, Segment.name, Segment.workspace_id)
    .where(Segment.workspace_id == bindparam("workspace_id"), Segment.live.is_(True))
    .order_by(Segment.id)
)
_RULES = select(Segment).where(Segment.id.in_(bindparam("ids", expanding=True)))


async def live_segments(session: AsyncSession, workspace_id: UUID) -> list[LiveSegment]:
    """The workspace's live segments, read on every call (a segment saved by another replica
    counts at once) but without their rule JSON: rules are parsed once per (id, version), and a
    save always bumps the version."""
    segments = [
        LiveSegment(*row) for row in await session.execute(_LIVE, {"workspace_id": workspace_id})
    ]
    missing = [s.id for s in segments if (s.id, s.version) not in _rules]
    if missing:
        for segment in await session.scalars(_RULES, {"ids": missing}):
            rule_of(segment)
    return [s for s in segments if (s.id, s.version) in _rules]  # (one saved meanwhile: next time)


async def refresh_memberships(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    user_ids: Iterable[str],
    now: datetime | None = None,
    reason: str = "events",
) -> Changes:
    """Re-evaluate these users against every live segment of the workspace; call it in the
    transaction that changed their profiles, events or tags, after those writes."""
    ids = sorted(set(user_ids))
    changes = Changes()
    if not ids:
        return changes
    now = now or utcnow()
    segments = await live_segments(session, workspace_id)
    if len(ids) >= WHOLE_WORKSPACE_FROM:
        for segment in segments:
            await evaluate(
                session, segment, rule_of(segment), now=now, reason=reason, changes=changes
            )
        return changes
    for s in range(0, len(segments), SEGMENTS_PER_STATEMENT):
        for u in range(0, len(ids), USERS_PER_STATEMENT):
            await _refresh_users(
                session,
                workspace_id,
                segments[s : s + SEGMENTS_PER_STATEMENT],
                ids[u : u + USERS_PER_STATEMENT],
                now,
                reason,
                changes,
            )
    return changes


_verdict_statements: dict[tuple[Any, ...], tuple[Any, ClockParams]] = {}


def _verdicts_of(segments: list[LiveSegment], sql: SqlDialect) -> tuple[Any, ClockParams]:
    """One SELECT evaluating these segments for a list of users, built once per set of segment
    versions: building and caching-keying 50 rule trees for every batch costs more than the
    query itself. On PostgreSQL the users are one array parameter, so the SQL text is the same
    for every batch and asyncpg reuses its prepared statement (an IN list of each length was
    parsed and planned anew: about half of the statement's time)."""
    key = (sql.name, *((s.id, s.version) for s in segments))
    cached = _verdict_statements.get(key)
    if cached is None:
        if len(_verdict_statements) > 1_000:
            _verdict_statements.clear()
        clock = ClockParams()
        statement = select(
            Profile.user_id,
            *(compile_rule(rule_of(s), now=clock).label(f"s{i}") for i, s in enumerate(segments)),
        ).where(
            Profile.workspace_id == bindparam("workspace_id"),
            sql.in_list(Profile.user_id, "user_ids"),
        )
        cached = _verdict_statements[key] = (statement, clock)
    return cached


async def _refresh_users(
    session: AsyncSession,
    workspace_id: UUID,
    segments: list[LiveSegment],
    user_ids: list[str],
    now: datetime,
    reason: str,
    changes: Changes,
) -> None:
    statement, clock = _verdicts_of(segments, sql_dialect(session))
    verdicts = (
        await session.execute(
            statement, {"workspace_id": workspace_id, "user_ids": user_ids, **clock.params(now)}
        )
    ).all()
    stored = await STORAGE.of(session).stored(
        session, workspace_id, user_ids, [s.id for s in segments]
    )
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
    await write(session, entering, leaving, now, reason, changes)


async def evaluate(
    session: AsyncSession,
    segment: SegmentRef,
    rule: RuleNode,
    *,
    now: datetime,
    reason: str,
    scope: ColumnElement[bool] | None = None,
    changes: Changes | None = None,
) -> Changes:
    """Bring one segment's memberships in line with its rule, for `scope` (default: everyone)."""
    changes = changes if changes is not None else Changes()
    matches = compile_rule(rule, now=now).label("matches")
    member = SegmentMembership.user_id.is_not(None).label("was_member")
    verdicts = (
        select(Profile.user_id, matches, member)
        .outerjoin(
            SegmentMembership,
            and_(
                SegmentMembership.segment_id == segment.id,
                SegmentMembership.user_id == Profile.user_id,
            ),
        )
        .where(Profile.workspace_id == segment.workspace_id, scope if scope is not None else true())
        .subquery()
    )
    rows = (
        await session.execute(
            select(verdicts.c.user_id, verdicts.c.matches).where(
                verdicts.c.matches != verdicts.c.was_member
            )
        )
    ).all()
    entering = [(segment, row.user_id) for row in rows if row.matches]
    leaving = [(segment, row.user_id) for row in rows if not row.matches]
    await write(session, entering, leaving, now, reason, changes)
    return changes
