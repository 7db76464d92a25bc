"""Writing membership changes and their events, in the evaluating transaction.

An event is built only for a row the storage statement actually changed: when a concurrent
evaluator raced us to the same change, it publishes it and we do not. At 1,000 CRM events/s a
service writes about 3,000 membership changes a second, so the events are encoded in bulk from
the catalogue's specs (yunying_shared.events.bulk), not through a payload model each; a test
compares the bytes with make_event's and runs both dialects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc
from segmentation.db import BUS
from segmentation.segments.days import add_counts
from segmentation.segments.storage import STORAGE, Exit, Key
from yunying_shared.bus import publish_encoded
from yunying_shared.events.bulk import BulkEncoder, Encoded
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED, USER_SEGMENT_EXITED

SOURCE = "/yunying/segmentation"
_ENTERED = BulkEncoder(USER_SEGMENT_ENTERED, source=SOURCE)
_EXITED = BulkEncoder(USER_SEGMENT_EXITED, source=SOURCE)


class SegmentRef(Protocol):
    """What writing needs of a segment (a Segment row or membership.LiveSegment)."""

    @property
    def id(self) -> UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def workspace_id(self) -> UUID: ...


Pair = tuple[SegmentRef, str]


@dataclass
class Changes:
    """The membership changes made, per segment; with `keep_users` False (a re-score moving
    millions) only how many."""

    entered: dict[UUID, list[str]] = field(default_factory=dict)
    exited: dict[UUID, list[str]] = field(default_factory=dict)
    keep_users: bool = True
    uncounted_users: int = 0  # changes recorded without their user ids

    def count(self) -> int:
        return (
            self.uncounted_users
            + sum(map(len, self.entered.values()))
            + sum(map(len, self.exited.values()))
        )

    def add(self, segment_id: UUID, entered: bool, count: int, users: Sequence[str] | None) -> None:
        if not self.keep_users or users is None:
            self.uncounted_users += count
            return
        (self.entered if entered else self.exited).setdefault(segment_id, []).extend(users)


async def write(
    session: AsyncSession,
    entering: list[Pair],
    leaving: list[Pair],
    now: datetime,
    reason: str,
    changes: Changes,
) -> None:
    if not entering and not leaving:
        return
    # Sorted: concurrent evaluators lock membership rows in one order (no deadlocks).
    entering.sort(key=lambda pair: (pair[0].id, pair[1]))
    leaving.sort(key=lambda pair: (pair[0].id, pair[1]))
    by_id = {segment.id: segment for segment, _ in (*entering, *leaving)}
    workspace_id = next(iter(by_id.values())).workspace_id
    storage = STORAGE.of(session)
    entered = (
        await storage.insert(session, workspace_id, [(s.id, u) for s, u in entering], now)
        if entering
        else []
    )
    exited = await storage.delete(session, [(s.id, u) for s, u in leaving]) if leaving else []
    for segment_id, user_id in entered:
        changes.add(segment_id, True, 1, [user_id])
    for segment_id, user_id, _ in exited:
        changes.add(segment_id, False, 1, [user_id])
    came = Counter(segment_id for segment_id, _ in entered)
    went = Counter(segment_id for segment_id, _, _ in exited)
    counts = {segment_id: (came[segment_id], went[segment_id]) for segment_id in came | went}
    await add_counts(session, workspace_id, now.astimezone(UTC).date(), counts)
    await publish_encoded(session, BUS, encoded(by_id, entered, exited, now, reason))


def encoded(
    segments: dict[UUID, Any],
    entered: Sequence[Key],
    exited: Sequence[Exit],
    now: datetime,
    reason: str,
) -> list[Encoded]:
    """The events make_event would build for these changes (same bytes, same key)."""
    if not entered and not exited:
        return []
    entered_rows = [
        {
            "user_id": user_id,
            "segment_id": str(segment_id),
            "segment_name": segments[segment_id].name,
            "entered_at": now,
            "reason": reason,
        }
        for segment_id, user_id in entered
    ]
    exited_rows = [
        {
            "user_id": user_id,
            "segment_id": str(segment_id),
            "segment_name": segments[segment_id].name,
            "entered_at": as_utc(began) or began,
            "exited_at": now,
            "reason": reason,
        }
        for segment_id, user_id, began in exited
    ]
    return [
        *_ENTERED.encode(entered_rows, workspace=[segments[s].workspace_id for s, _ in entered]),
        *_EXITED.encode(exited_rows, workspace=[segments[s].workspace_id for s, _, _ in exited]),
    ]
