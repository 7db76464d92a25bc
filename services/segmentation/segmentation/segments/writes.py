"""Writing membership changes and their events, in the evaluating transaction.

Rows are inserted with ON CONFLICT DO NOTHING RETURNING and deleted with DELETE ... RETURNING,
and an event is built only for a row this statement actually changed: when a concurrent
evaluator raced us to the same change, it publishes it and we do not.

At 1,000 CRM events/s a service writes about 3,000 membership changes a second, so the events
are serialized by `encode_envelope` (ids from one urandom call, datetimes formatted once per
value) instead of a payload model, an Envelope and a uuid4 each; on PostgreSQL the rows go as
one array per column on the session's raw connection. A test compares the bytes with
make_event's and runs both dialects.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import delete, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc
from segmentation.db import BUS
from segmentation.events.upsert import dialect_of, insert_for
from segmentation.segments.models import SegmentMembership
from yunying_shared.bus import publish_encoded
from yunying_shared.db import driver_connection
from yunying_shared.events import encode_envelope
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED, USER_SEGMENT_EXITED

SOURCE = "/yunying/segmentation"
ROWS_PER_STATEMENT = 500  # bound parameters per multi-row insert / IN list stay small (SQLite)
# On PostgreSQL the pairs go as two arrays joined with unnest(): a row-value IN list of
# (segment, user) pairs is not turned into primary-key lookups (each 500-pair DELETE scanned the
# memberships: 85 s of a re-score moving 160,000 of them), the join probes the key.
PG_PAIRS_PER_STATEMENT = 10_000
MEMBERSHIPS = SegmentMembership.__table__
_DATETIME = TypeAdapter(datetime)

_INSERT = """
    INSERT INTO segment_memberships (segment_id, user_id, workspace_id, entered_at)
    SELECT m.segment_id, m.user_id, $1, $2
    FROM unnest($3::uuid[], $4::text[]) AS m(segment_id, user_id)
    ON CONFLICT (segment_id, user_id) DO NOTHING
    RETURNING segment_id, user_id
"""
_DELETE = """
    DELETE FROM segment_memberships AS s
    USING unnest($1::uuid[], $2::text[]) AS m(segment_id, user_id)
    WHERE s.segment_id = m.segment_id AND s.user_id = m.user_id
    RETURNING s.segment_id, s.user_id, s.entered_at
"""


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
    entered: dict[UUID, list[str]] = field(default_factory=dict)
    exited: dict[UUID, list[str]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(map(len, self.entered.values())) + sum(map(len, self.exited.values()))


async def write(
    session: AsyncSession,
    entering: list[Pair],
    leaving: list[Pair],
    now: datetime,
    reason: str,
    changes: Changes,
) -> None:
    # Sorted: concurrent evaluators lock membership rows in one order (no deadlocks).
    entering.sort(key=lambda pair: (pair[0].id, pair[1]))
    leaving.sort(key=lambda pair: (pair[0].id, pair[1]))
    by_id = {segment.id: segment for segment, _ in (*entering, *leaving)}
    postgres = dialect_of(session) == "postgresql"
    entered = await (_insert_pg if postgres else _insert)(session, entering, now)
    exited = await (_delete_pg if postgres else _delete)(session, leaving)
    for segment_id, user_id in entered:
        changes.entered.setdefault(segment_id, []).append(user_id)
    for segment_id, user_id, _ in exited:
        changes.exited.setdefault(segment_id, []).append(user_id)
    await publish_encoded(session, BUS, encoded(by_id, entered, exited, now, reason))


def encoded(
    segments: dict[UUID, Any],
    entered: Sequence[tuple[UUID, str]],
    exited: Sequence[tuple[UUID, str, datetime]],
    now: datetime,
    reason: str,
) -> list[tuple[UUID, str, str | None, bytes]]:
    """The events make_event would build for these changes (same bytes, same key)."""
    if not entered and not exited:
        return []
    at = _DATETIME.dump_python(now, mode="json")
    sent = _DATETIME.dump_python(datetime.now(UTC), mode="json")  # as make_event stamps it
    since: dict[datetime, str] = {}
    random = os.urandom(16 * (len(entered) + len(exited)))
    events: list[tuple[UUID, str, str | None, bytes]] = []

    def add(event_type: str, segment_id: UUID, user_id: str, data: dict[str, Any]) -> None:
        segment = segments[segment_id]
        offset = 16 * len(events)
        event_id = UUID(bytes=random[offset : offset + 16], version=4)
        events.append(
            (
                event_id,
                event_type,
                user_id,
                encode_envelope(
                    id=event_id,
                    source=SOURCE,
                    type=event_type,
                    time=sent,
                    subject=user_id,
                    workspace=segment.workspace_id,
                    data={
                        "user_id": user_id,
                        "segment_id": str(segment_id),
                        "segment_name": segment.name,
                        **data,
                    },
                ),
            )
        )

    for segment_id, user_id in entered:
        add(USER_SEGMENT_ENTERED.type, segment_id, user_id, {"entered_at": at, "reason": reason})
    for segment_id, user_id, began in exited:
        if began not in since:
            since[began] = _DATETIME.dump_python(as_utc(began) or began, mode="json")
        add(
            USER_SEGMENT_EXITED.type,
            segment_id,
            user_id,
            {"entered_at": since[began], "exited_at": at, "reason": reason},
        )
    return events


async def _insert_pg(
    session: AsyncSession, pairs: Sequence[Pair], now: datetime
) -> list[tuple[UUID, str]]:
    connection = await driver_connection(session)
    done: list[tuple[UUID, str]] = []
    for start in range(0, len(pairs), PG_PAIRS_PER_STATEMENT):
        part = pairs[start : start + PG_PAIRS_PER_STATEMENT]
        rows = await connection.fetch(
            _INSERT, part[0][0].workspace_id, now, [s.id for s, _ in part], [u for _, u in part]
        )
        done += [(row[0], row[1]) for row in rows]
    return done


async def _delete_pg(
    session: AsyncSession, pairs: Sequence[Pair]
) -> list[tuple[UUID, str, datetime]]:
    connection = await driver_connection(session)
    done: list[tuple[UUID, str, datetime]] = []
    for start in range(0, len(pairs), PG_PAIRS_PER_STATEMENT):
        part = pairs[start : start + PG_PAIRS_PER_STATEMENT]
        rows = await connection.fetch(_DELETE, [s.id for s, _ in part], [u for _, u in part])
        done += [(row[0], row[1], row[2]) for row in rows]
    return done


async def _insert(
    session: AsyncSession, pairs: Sequence[Pair], now: datetime
) -> list[tuple[UUID, str]]:
    done: list[tuple[UUID, str]] = []
    for start in range(0, len(pairs), ROWS_PER_STATEMENT):
        rows = [
            {
                "segment_id": segment.id,
                "user_id": user_id,
                "workspace_id": segment.workspace_id,
                "entered_at": now,
            }
            for segment, user_id in pairs[start : start + ROWS_PER_STATEMENT]
        ]
        # executemany ("insertmanyvalues"): one cached statement whatever the row count.
        statement = (
            insert_for(dialect_of(session), MEMBERSHIPS)
            .on_conflict_do_nothing(index_elements=["segment_id", "user_id"])
            .returning(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id)
        )
        done += [(row[0], row[1]) for row in (await session.execute(statement, rows)).all()]
    return done


async def _delete(session: AsyncSession, pairs: Sequence[Pair]) -> list[tuple[UUID, str, datetime]]:
    done: list[tuple[UUID, str, datetime]] = []
    for start in range(0, len(pairs), ROWS_PER_STATEMENT):
        keys = [
            (segment.id, user_id) for segment, user_id in pairs[start : start + ROWS_PER_STATEMENT]
        ]
        statement = (
            delete(SegmentMembership)
            .where(tuple_(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id).in_(keys))
            .returning(MEMBERSHIPS.c.segment_id, MEMBERSHIPS.c.user_id, MEMBERSHIPS.c.entered_at)
        )
        done += [(row[0], row[1], row[2]) for row in (await session.execute(statement)).all()]
    return done
