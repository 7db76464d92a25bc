"""Live membership: a rule's verdicts, evaluated set-wise in SQL, diffed against stored rows.

One pass evaluates every given live segment at once (one verdict per segment for each user) and
compares the verdicts with the stored memberships; only the (segment, user) pairs whose verdict
differs come back, and they are written, and published once, by segments/writes.py.

- On PostgreSQL the comparison happens in the statement (`segments/diff.py`): a user's stored
  memberships are one primary-key probe whatever the number of segments, and the rows that come back
  are only the changes. A batch of users is one array parameter (one prepared statement for
  every batch); past WHOLE_WORKSPACE_FROM users the same statement runs over the whole workspace
  instead (one scan beats dozens of batches of probes).
- On SQLite (the embedded mode's small workspaces) the verdicts and the stored rows of a batch
  are read by two statements and compared here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, and_, bindparam, insert, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import utcnow
from segmentation.records.models import Profile
from segmentation.segments.applied import CHANGES, apply_changes, create_changes_table
from segmentation.segments.compiler import ClockParams, compile_rule
from segmentation.segments.diff import DIFFS
from segmentation.segments.live import LiveSegment, is_parsed, rule_of
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.segments.rules import RuleNode
from segmentation.segments.storage import STORAGE
from segmentation.segments.writes import SOURCE, Changes, Pair, SegmentRef, write
from yunying_shared.db import SqlDialect, sql_dialect

__all__ = [
    "SOURCE",
    "Changes",
    "LiveSegment",
    "evaluate",
    "live_segments",
    "refresh_memberships",
    "refresh_segments",
    "rule_of",
]

USERS_PER_STATEMENT = 500  # SQLite: bound parameters per IN list stay small
SEGMENTS_PER_STATEMENT = 50  # SQLite: verdict columns per statement
PG_USERS_PER_STATEMENT = 5_000  # one array parameter; the batch bounds the rows held in memory
# Past this many users of a workspace, one pass over all of it beats the batches of lookups.
WHOLE_WORKSPACE_FROM = 200_000


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
    missing = [s.id for s in segments if not is_parsed(s)]
    if missing:
        for segment in await session.scalars(_RULES, {"ids": missing}):
            rule_of(segment)
    return [s for s in segments if is_parsed(s)]  # (one saved meanwhile: next time)


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
    if not ids:
        return Changes()
    segments = await live_segments(session, workspace_id)
    return await refresh_segments(
        session, workspace_id=workspace_id, segments=segments, user_ids=ids, now=now, reason=reason
    )


async def refresh_segments(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    segments: Sequence[LiveSegment],
    user_ids: Sequence[str] | None,
    now: datetime | None = None,
    reason: str,
    changes: Changes | None = None,
    stage_only: bool = False,
    part: tuple[int, int] = (0, 1),
    bulk: bool = False,
) -> Changes:
    """Bring these segments in line with their rules for these users (None: the whole
    workspace), all segments in one pass per batch of users. `stage_only` (PostgreSQL): leave
    the changes staged for the caller's one `apply_changes` (see `applied.py` on lock order).
    `part` (k, n): the users are those of a re-score's part k of n (segments/parts.py), so
    that a pass over the whole workspace keeps to them: the other parts' new scores are not
    visible to this transaction. `bulk`: as in `applied.apply_changes`."""
    changes = changes if changes is not None else Changes()
    if not segments or (user_ids is not None and not user_ids):
        return changes
    now = now or utcnow()
    diff = DIFFS.of(session)
    if user_ids is not None and len(user_ids) >= WHOLE_WORKSPACE_FROM:
        user_ids = None
    entering: list[Pair] = []
    leaving: list[Pair] = []
    batch = PG_USERS_PER_STATEMENT if diff.set_wise else USERS_PER_STATEMENT
    batches: Iterable[Sequence[str] | None] = (
        [None]
        if user_ids is None
        else (user_ids[u : u + batch] for u in range(0, len(user_ids), batch))
    )
    if diff.set_wise:
        await create_changes_table(session)
        for users in batches:
            await diff.stage(session, workspace_id, list(segments), users, now, part)
        if not stage_only:
            await apply_changes(
                session,
                workspace_id=workspace_id,
                now=now,
                reason=reason,
                changes=changes,
                bulk=bulk,
            )
        return changes
    assert part == (0, 1), "a re-score writes in parts on PostgreSQL only (rfm/service.PARTS)"
    for users in batches:
        for s in range(0, len(segments), SEGMENTS_PER_STATEMENT):
            some = list(segments[s : s + SEGMENTS_PER_STATEMENT])
            if users is None:
                for segment in some:
                    await evaluate(
                        session, segment, rule_of(segment), now=now, reason=reason, changes=changes
                    )
                continue
            await _refresh_users(session, workspace_id, some, list(users), now, entering, leaving)
    await write(session, entering, leaving, now, reason, changes)
    return changes


_verdict_statements: dict[tuple[Any, ...], tuple[Any, ClockParams]] = {}


def _verdicts_of(segments: list[LiveSegment], sql: SqlDialect) -> tuple[Any, ClockParams]:
    """One SELECT evaluating these segments for a list of users, built once per set of segment
    versions: building and caching-keying 50 rule trees for every batch costs more than the
    query itself."""
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
    entering: list[Pair],
    leaving: list[Pair],
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
    for row in verdicts:
        user_id = row[0]
        for segment, matches in zip(segments, row[1:], strict=True):
            was_member = (segment.id, user_id) in stored
            if matches and not was_member:
                entering.append((segment, user_id))
            elif was_member and not matches:
                leaving.append((segment, user_id))


async def evaluate(
    session: AsyncSession,
    segment: SegmentRef,
    rule: RuleNode,
    *,
    now: datetime,
    reason: str,
    scope: ColumnElement[bool] | None = None,
    changes: Changes | None = None,
    stage_only: bool = False,
    bulk: bool = False,
) -> Changes:
    """Bring one segment's memberships in line with its rule, for `scope` (default: everyone);
    `stage_only` and `bulk` as in `refresh_segments`."""
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
    differing = verdicts.c.matches != verdicts.c.was_member
    if DIFFS.of(session).set_wise:
        await create_changes_table(session)
        await session.execute(
            insert(CHANGES).from_select(
                ["segment_id", "user_id", "matches"],
                select(literal(segment.id, Uuid()), verdicts.c.user_id, verdicts.c.matches).where(
                    differing
                ),
            )
        )
        if not stage_only:
            await apply_changes(
                session,
                workspace_id=segment.workspace_id,
                now=now,
                reason=reason,
                changes=changes,
                bulk=bulk,
            )
        return changes
    rows = (
        await session.execute(select(verdicts.c.user_id, verdicts.c.matches).where(differing))
    ).all()
    entering = [(segment, row.user_id) for row in rows if row.matches]
    leaving = [(segment, row.user_id) for row in rows if not row.matches]
    await write(session, entering, leaving, now, reason, changes)
    return changes
