"""Memberships after a re-score: only the segments a re-score can change, only for the users
whose scored fields those segments read actually moved.

A re-score writes scores, RFM class and segment, tier and stage, nothing else. A segment whose
rule names none of those fields (tags, events, attributes, aggregates) cannot change with it and
is skipped; the others are evaluated together, one pass per batch of users, for the users whose
value of at least one field they read changed. Everyone else's verdicts are what they were: the
stored memberships were right before (kept so by every write and the window sweep), and none of
their inputs moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.segments.live import LiveSegment, rule_of
from segmentation.segments.membership import Changes, live_segments, refresh_segments
from segmentation.segments.rules import fields_read

# The profile fields a re-score writes.
RESCORE_FIELDS = frozenset(
    {"r_score", "f_score", "m_score", "rfm_class", "rfm_segment", "tier", "stage"}
)


@dataclass(frozen=True)
class Followers:
    """The live segments a re-score can change, and the scored fields they read."""

    segments: list[LiveSegment]
    fields: frozenset[str]


async def rescore_followers(session: AsyncSession, workspace_id: UUID) -> Followers:
    segments: list[LiveSegment] = []
    fields: set[str] = set()
    for segment in await live_segments(session, workspace_id):
        read = fields_read(rule_of(segment)) & RESCORE_FIELDS
        if read:
            segments.append(segment)
            fields |= read
    return Followers(segments, frozenset(fields))


async def refresh_after_rescore(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    followers: Followers,
    user_ids: Sequence[str],
    now: datetime,
    part: tuple[int, int] = (0, 1),
) -> Changes:
    """`user_ids`: the users whose value of at least one of `followers.fields` changed;
    `part`: those of them in this part of the re-score (membership.refresh_segments)."""
    return await refresh_segments(
        session,
        workspace_id=workspace_id,
        segments=followers.segments,
        user_ids=sorted(user_ids),
        now=now,
        reason="rescore",
        # A first scoring moves millions: counted, the user ids stay in the database.
        changes=Changes(keep_users=False),
        part=part,
        # the one writer of most of these pairs: no per-row conflict guard (applied.py)
        bulk=True,
    )
