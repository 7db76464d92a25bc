"""Deriving users' stage histories again from their events: for a backfill, late events, or the
end of a history import.

A user's stage rows are replaced by the history the rules derive from all their events
(lifecycle.history), ending in the stage the profile holds now (today's rules, unchanged: if the
replay ends elsewhere, say a windowed score, a last move dated now joins them). Only moves the
user did not have before are published, each dated when it happened and marked historical when
older than the workspace's `history_after_hours`. The work per user is bounded: a user with more
than MAX_REPLAY_EVENTS events is not replayed by live ingestion (their stage moves as today,
dated at the write); the import derives everyone it touched once, at its end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


_PG_EVENTS = """
    SELECT user_id,
           CASE type WHEN 'purchase' THEN 1 WHEN 'refund' THEN 2 ELSE 0 END::int2,
           date_part('epoch', occurred_at), coalesce(amount::float8, 0)
    FROM user_events
    WHERE workspace_id = $1 AND user_id = ANY($2::text[])
    ORDER BY user_id
"""
_PG_DELETE = """
    DELETE FROM stage_changes
    WHERE workspace_id = $1 AND kind = 'stage' AND user_id = ANY($2::text[])
    RETURNING user_id, from_value, to_value, changed_at
"""
_PG_CROWDED = """
    SELECT user_id FROM user_events
    WHERE workspace_id = $1 AND user_id = ANY($2::text[])
    GROUP BY user_id HAVING count(*) > $3
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


async def _delete(session: AsyncSession, workspace_id: UUID, user_ids: Sequence[str]) -> set[Any]:
    """Removes the users' stage rows; returns them as (user, from, to, changed_at) keys."""
    if sql_dialect(session).name == "postgresql":
        connection = await driver_connection(session)
        rows: list[Any] = list(await connection.fetch(_PG_DELETE, workspace_id, list(user_ids)))
    else:
        rows = []
        for part in _chunks(user_ids):
            rows.extend(
                await session.execute(
                    delete(StageChange)
                    .where(
                        StageChange.workspace_id == workspace_id,
                        StageChange.kind == "stage",
                        StageChange.user_id.in_(part),
                    )
                    .returning(
                        StageChange.user_id,
                        StageChange.from_value,
                        StageChange.to_value,
                        StageChange.changed_at,
                    )
                    .execution_options(synchronize_session=False)
                )
            )
    return {(row[0], row[1], row[2], as_utc(row[3])) for row in rows}


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
    before = await _delete(session, workspace_id, user_ids)
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
    fresh = [t for t in transitions if (t.user_id, t.from_value, t.to_value, t.at) not in before]
    await record_transitions(
        session, workspace_id=workspace_id, transitions=transitions, at=now, publish=fresh
    )
    return fresh
