"""Deriving users' stage histories again from their events: for a backfill, late events, or the
end of a history import.

A user's stage rows are replaced by the history the rules derive from all their events
(lifecycle.history), ending in the stage the profile holds now (today's rules, unchanged: if the
replay ends elsewhere, say a windowed score, a last move dated now joins them). Only moves the
user did not have before are published, each dated when it happened and marked historical when
older than the workspace's `history_after_hours`. A user whose derived history is the one
already stored (a late page view that moves nothing, the common case) keeps its rows untouched:
only the users whose history changes are deleted and written again. The work per user is
bounded: a user with more than MAX_REPLAY_EVENTS events is not replayed by live ingestion
(their stage moves as today, dated at the write); the import derives everyone it touched
once, at its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import Float, case, cast, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc
from segmentation.lifecycle.history import OTHER, PURCHASE, REFUND, EventColumns, derive
from segmentation.lifecycle.models import StageChange
from segmentation.lifecycle.rules import STAGES, LifecycleRules
from segmentation.lifecycle.service import Transition, record_transitions
from segmentation.records.models import UserEvent
from yunying_shared.db import driver_connection, sql_dialect

MAX_REPLAY_EVENTS = 20_000
_SQLITE_CHUNK = 500  # bound parameters per IN list


@dataclass(frozen=True)
class Replay:
    rules: LifecycleRules
    edges: dict[str, list[float]] | None
    window_days: int | None
    now: datetime


# Per user id, a LATERAL read of that user's events: probes of ix_user_events_user_type_time.
# `OFFSET 0` keeps the subquery from being flattened into a join, which the planner turned into
# a sequential scan of the whole table (`user_id = ANY(...)` and a join on unnest alike).
_PG_EVENTS = """
    SELECT u.user_id, e.kind, e.epoch, e.amount
    FROM unnest($2::text[]) AS u(user_id)
    CROSS JOIN LATERAL (
        SELECT CASE type WHEN 'purchase' THEN 1 WHEN 'refund' THEN 2 ELSE 0 END::int2 AS kind,
               date_part('epoch', occurred_at) AS epoch,
               coalesce(amount::float8, 0) AS amount
        FROM user_events
        WHERE workspace_id = $1 AND user_id = u.user_id
        OFFSET 0
    ) AS e
    ORDER BY u.user_id
"""
_PG_STORED = """
    SELECT user_id, from_value, to_value, reason, changed_at FROM stage_changes
    WHERE workspace_id = $1 AND kind = 'stage' AND user_id = ANY($2::text[])
"""
_PG_DELETE = """
    DELETE FROM stage_changes
    WHERE workspace_id = $1 AND kind = 'stage' AND user_id = ANY($2::text[])
"""
# Counted per user by an index probe that stops one past the limit (not a scan of the table).
_PG_CROWDED = """
    SELECT u.user_id FROM unnest($2::text[]) AS u(user_id)
    WHERE (
        SELECT count(*) FROM (
            SELECT 1 FROM user_events
            WHERE workspace_id = $1 AND user_id = u.user_id
            LIMIT $3 + 1
        ) AS capped
    ) > $3
"""


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _SQLITE_CHUNK] for i in range(0, len(values), _SQLITE_CHUNK)]


async def crowded(
    session: AsyncSession, *, workspace_id: UUID, user_ids: Sequence[str]
) -> set[str]:
    """Of these users, those with more events than a live replay may read."""
    if sql_dialect(session).name == "postgresql":
        connection = await driver_connection(session)
        rows = await connection.fetch(_PG_CROWDED, workspace_id, list(user_ids), MAX_REPLAY_EVENTS)
        return {row[0] for row in rows}
    found: set[str] = set()
    for part in _chunks(user_ids):
        found.update(
            (
                await session.scalars(
                    select(UserEvent.user_id)
                    .where(UserEvent.workspace_id == workspace_id, UserEvent.user_id.in_(part))
                    .group_by(UserEvent.user_id)
                    .having(func.count() > MAX_REPLAY_EVENTS)
                )
            ).all()
        )
    return found


async def _load(session: AsyncSession, workspace_id: UUID, user_ids: Sequence[str]) -> list[Any]:
    if sql_dialect(session).name == "postgresql":
        connection = await driver_connection(session)
        return list(await connection.fetch(_PG_EVENTS, workspace_id, list(user_ids)))
    epoch = sql_dialect(session).epoch_seconds
    kind = case(
        (UserEvent.type == "purchase", PURCHASE), (UserEvent.type == "refund", REFUND), else_=OTHER
    )
    rows: list[Any] = []
    for part in _chunks(user_ids):
        rows.extend(
            await session.execute(
                select(
                    UserEvent.user_id,
                    kind,
                    epoch(UserEvent.occurred_at),
                    func.coalesce(cast(UserEvent.amount, Float), 0.0),
                ).where(UserEvent.workspace_id == workspace_id, UserEvent.user_id.in_(part))
            )
        )
    return rows


# (user, from, to, reason, changed_at): one stage row as stored and as derived
Row = tuple[str, str | None, str | None, str, datetime]


async def _stored(session: AsyncSession, workspace_id: UUID, user_ids: Sequence[str]) -> list[Row]:
    """The users' stage rows as they are now."""
    if sql_dialect(session).name == "postgresql":
        connection = await driver_connection(session)
        rows: list[Any] = list(await connection.fetch(_PG_STORED, workspace_id, list(user_ids)))
    else:
        rows = []
        for part in _chunks(user_ids):
            rows.extend(
                await session.execute(
                    select(
                        StageChange.user_id,
                        StageChange.from_value,
                        StageChange.to_value,
                        StageChange.reason,
                        StageChange.changed_at,
                    ).where(
                        StageChange.workspace_id == workspace_id,
                        StageChange.kind == "stage",
                        StageChange.user_id.in_(part),
                    )
                )
            )
    stored: list[Row] = []
    for user_id, from_value, to_value, reason, changed_at in rows:
        at = as_utc(changed_at)
        assert at is not None, "changed_at is NOT NULL"
        stored.append((user_id, from_value, to_value, reason, at))
    return stored


async def _delete(session: AsyncSession, workspace_id: UUID, user_ids: Sequence[str]) -> None:
    """Removes the users' stage rows."""
    if sql_dialect(session).name == "postgresql":
        connection = await driver_connection(session)
        await connection.execute(_PG_DELETE, workspace_id, list(user_ids))
        return
    for part in _chunks(user_ids):
        await session.execute(
            delete(StageChange)
            .where(
                StageChange.workspace_id == workspace_id,
                StageChange.kind == "stage",
                StageChange.user_id.in_(part),
            )
            .execution_options(synchronize_session=False)
        )


def _by_user(rows: Iterable[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    for user_rows in grouped.values():
        user_rows.sort(key=lambda row: (row[4], row[1] or "", row[2] or "", row[3]))
    return grouped


def _columns(rows: list[Any]) -> tuple[list[str], EventColumns]:
    """Rows (user id, kind, epoch, amount) as columns; owners number the users."""
    names: dict[str, int] = {}
    owner = np.fromiter(
        (names.setdefault(row[0], len(names)) for row in rows), dtype=np.int64, count=len(rows)
    )
    columns = EventColumns(
        owner=owner,
        kind=np.fromiter((row[1] for row in rows), dtype=np.int8, count=len(rows)),
        at=np.fromiter((row[2] for row in rows), dtype=float, count=len(rows)),
        amount=np.fromiter((row[3] for row in rows), dtype=float, count=len(rows)),
    )
    return list(names), columns


async def rederive(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    current: Mapping[str, str],
    replay: Replay,
) -> list[Transition]:
    """Replace the stage histories of these users (user id -> the stage the profile holds now)
    by the ones derived from their events; returns the transitions published."""
    if not current:
        return []
    user_ids = sorted(current)
    names, columns = _columns(await _load(session, workspace_id, user_ids))
    now = replay.now
    derived = derive(
        columns,
        rules=replay.rules,
        edges=replay.edges,
        window_days=replay.window_days,
        now=now.timestamp(),
    )
    historical_before = (now - timedelta(hours=replay.rules.history_after_hours)).timestamp()
    reason = cache(replay.rules.reason)
    transitions: list[Transition] = []
    for owner, at, old, new in zip(
        derived.owner.tolist(),
        derived.at.tolist(),
        derived.from_stage.tolist(),
        derived.to_stage.tolist(),
        strict=True,
    ):
        transitions.append(
            Transition(
                user_id=names[owner],
                kind="stage",
                from_value=STAGES[old],
                to_value=STAGES[new],
                reason=reason(new, old),
                at=datetime.fromtimestamp(at, UTC),
                historical=at < historical_before,
            )
        )
    ended = dict(zip(derived.owners.tolist(), derived.final_stage.tolist(), strict=True))
    for owner, name in enumerate(names):
        replayed, stage = STAGES[ended[owner]], current[name]
        if stage != replayed and stage in STAGES:
            # Today's rules as of now have the last word (e.g. a windowed score since moved).
            transitions.append(
                Transition(
                    user_id=name,
                    kind="stage",
                    from_value=replayed,
                    to_value=stage,
                    reason=reason(STAGES.index(stage), ended[owner]),
                    at=now,
                )
            )
    stored = _by_user(await _stored(session, workspace_id, user_ids))
    derived_rows = _by_user(
        (t.user_id, t.from_value, t.to_value, t.reason, t.at or now) for t in transitions
    )
    changed = {user for user in user_ids if stored.get(user, []) != derived_rows.get(user, [])}
    if not changed:
        return []
    await _delete(session, workspace_id, sorted(changed))
    before = {(row[0], row[1], row[2], row[4]) for user in changed for row in stored.get(user, [])}
    written = [t for t in transitions if t.user_id in changed]
    fresh = [t for t in written if (t.user_id, t.from_value, t.to_value, t.at) not in before]
    await record_transitions(
        session, workspace_id=workspace_id, transitions=written, at=now, publish=fresh
    )
    return fresh
