"""Deriving users' stage histories again from their events: for a backfill, late events, or the
end of a history import.

A user's stage rows are replaced by the history the rules derive from all their events
(lifecycle.history; for a user the caller knows to be only new so far, lifecycle.late, from
two stand-in purchases, their first and last, which derive the same history without a read),
ending in the stage the profile holds now (today's rules, unchanged: if the replay ends
elsewhere, say a windowed score, a last move dated now joins them). Only moves the user did not
have before are published, each dated when it happened and marked historical when
older than the workspace's `history_after_hours`. A user whose derived history is the one
already stored (a late page view that moves nothing, the common case) keeps its rows untouched:
only the users whose history changes are deleted and written again. The work per user is
bounded: a user with more than MAX_REPLAY_EVENTS events is not replayed by live ingestion
(their stage moves as today, dated at the write); the import derives everyone it touched
once, at its end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import itemgetter
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import Float, case, cast, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc
from segmentation.lifecycle.bulk_moves import Moves, store_and_publish
from segmentation.lifecycle.history import (
    OTHER,
    PURCHASE,
    REFUND,
    Derived,
    EventColumns,
    derive,
)
from segmentation.lifecycle.models import StageChange
from segmentation.lifecycle.rules import STAGES, LifecycleRules
from segmentation.lifecycle.service import Transition, record_transitions
from segmentation.records.models import UserEvent
from yunying_shared.db import driver_connection, sql_dialect

MAX_REPLAY_EVENTS = 20_000
# From this many moves to write on PostgreSQL, they are stored and published by one statement
# (lifecycle.bulk_moves: an import's finishing step); fewer take record_transitions.
SQL_MOVES_FROM = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
# The same per-user probes of ix_stage_changes_user. `user_id = ANY($2)` read these rows in
# 1-5 ms per 900 users while PostgreSQL planned each call, but a prepared statement turns to a
# generic plan after five calls, and its plan for a batch (a scan of the workspace's rows, each
# compared with the whole array) took 100-140 ms at 10,000 stored rows (the LATERAL: 3-13 ms).
_PG_STORED = """
    SELECT u.user_id, s.from_value, s.to_value, s.reason, s.changed_at
    FROM unnest($2::text[]) AS u(user_id)
    CROSS JOIN LATERAL (
        SELECT from_value, to_value, reason, changed_at FROM stage_changes
        WHERE workspace_id = $1 AND kind = 'stage' AND user_id = u.user_id
        OFFSET 0
    ) AS s
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


def _stand_ins(
    only_new: Mapping[str, tuple[datetime, datetime]], user_ids: Sequence[str]
) -> list[tuple[str, int, float, float]]:
    """Rows as `_load` reads them: a first and a last purchase for each user only new so far."""
    rows: list[tuple[str, int, float, float]] = []
    for user in user_ids:
        if user in only_new:
            first, last = only_new[user]
            rows.append((user, PURCHASE, first.timestamp(), 0.0))
            rows.append((user, PURCHASE, last.timestamp(), 0.0))
    return rows


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


def micros(at: np.ndarray) -> np.ndarray:
    """Epoch seconds as whole microseconds, rounded as `datetime.fromtimestamp` rounds them
    (the fraction's microseconds half to even)."""
    whole = np.floor(at)
    fraction = np.rint((at - whole) * 1e6).astype(np.int64)
    result: np.ndarray = whole.astype(np.int64) * 1_000_000 + fraction
    return result


def _micros_of(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moves(names: list[str], derived: Derived, current: Mapping[str, str], replay: Replay) -> Moves:
    """Every derived move, then per user a last move dated now where today's rules as of now
    end elsewhere than the replay (e.g. a windowed score since moved): they have the last word.
    All fresh until compared with what is stored."""
    ended = dict(zip(derived.owners.tolist(), derived.final_stage.tolist(), strict=True))
    last: list[tuple[int, int, int]] = []  # owner, from, to
    for owner, name in enumerate(names):
        stage = current[name]
        if stage != STAGES[ended[owner]] and stage in STAGES:
            last.append((owner, ended[owner], STAGES.index(stage)))
    lasts = np.array(last, dtype=np.int64).reshape(-1, 3)
    owner = np.r_[derived.owner.astype(np.int64), lasts[:, 0]]
    historical_before = (replay.now - timedelta(hours=replay.rules.history_after_hours)).timestamp()
    return Moves(
        user_id=[names[i] for i in owner.tolist()],
        from_code=np.r_[derived.from_stage.astype(np.int8), lasts[:, 1].astype(np.int8)],
        to_code=np.r_[derived.to_stage.astype(np.int8), lasts[:, 2].astype(np.int8)],
        micros=np.r_[micros(derived.at), np.full(len(lasts), _micros_of(replay.now))],
        historical=np.r_[derived.at < historical_before, np.zeros(len(lasts), dtype=bool)],
        fresh=np.ones(len(owner), dtype=bool),
    )


def _rows(moves: Moves, indexes: Iterable[int], reason: Callable[[int, int], str]) -> list[Row]:
    """The moves at these indexes as stage rows."""
    return [
        (
            moves.user_id[i],
            STAGES[moves.from_code[i]],
            STAGES[moves.to_code[i]],
            reason(int(moves.to_code[i]), int(moves.from_code[i])),
            _EPOCH + timedelta(microseconds=int(moves.micros[i])),
        )
        for i in indexes
    ]


def _select(moves: Moves, keep: np.ndarray, fresh: np.ndarray) -> Moves:
    return Moves(
        user_id=[user for user, kept in zip(moves.user_id, keep.tolist(), strict=True) if kept],
        from_code=moves.from_code[keep],
        to_code=moves.to_code[keep],
        micros=moves.micros[keep],
        historical=moves.historical[keep],
        fresh=fresh[keep],
    )


def _transitions(moves: Moves, rules: LifecycleRules) -> list[Transition]:
    return [
        Transition(
            user_id=user,
            kind="stage",
            from_value=from_value,
            to_value=to_value,
            reason=reason,
            at=at,
            historical=historical,
        )
        for (user, from_value, to_value, reason, at), historical in zip(
            _rows(moves, range(len(moves.user_id)), rules.reason),
            moves.historical.tolist(),
            strict=True,
        )
    ]


async def rederive(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    current: Mapping[str, str],
    replay: Replay,
    only_new: Mapping[str, tuple[datetime, datetime]] | None = None,
) -> int:
    """Replace the stage histories of these users (user id -> the stage the profile holds now)
    by the ones derived from their events; returns how many moves were published (the moves
    a user did not have before). `only_new`: users of `current` whose history is one move to
    new (lifecycle.late.only_new_so_far), with their first and last purchase times: replayed
    over those two purchases, their events are not read (on PostgreSQL)."""
    if not current:
        return 0
    user_ids = sorted(current)
    # SQLite reads event times at julianday's precision (milliseconds, then a float's error):
    # stand-ins at the profile's exact times would date the move apart from such a replay.
    if only_new is None or sql_dialect(session).name != "postgresql":
        only_new = {}
    read = [user for user in user_ids if user not in only_new]
    rows = await _load(session, workspace_id, read) if read else []
    stand_ins = _stand_ins(only_new, user_ids)
    if rows and stand_ins:
        # users numbered in id order, as a read of them all gives them (the database's C
        # collation orders as Python does; stable: each user's rows keep their order)
        rows = sorted([*rows, *stand_ins], key=itemgetter(0))
    else:
        rows.extend(stand_ins)
    names, columns = _columns(rows)
    derived = derive(
        columns,
        rules=replay.rules,
        edges=replay.edges,
        window_days=replay.window_days,
        now=replay.now.timestamp(),
    )
    moves = _moves(names, derived, current, replay)
    stored = _by_user(await _stored(session, workspace_id, user_ids))
    # Users without stored rows (an import's, usually) take all their moves as fresh ones;
    # only the others' moves are compared with the rows they have.
    compared = [i for i, user in enumerate(moves.user_id) if user in stored]
    reason = cache(replay.rules.reason)
    compared_rows = _rows(moves, compared, reason)
    derived_rows = _by_user(compared_rows)
    changed = {user for user in stored if stored[user] != derived_rows.get(user, [])}
    keep = np.array([user not in stored for user in moves.user_id], dtype=bool)
    fresh = moves.fresh.copy()
    before = {(row[0], row[1], row[2], row[4]) for user in changed for row in stored[user]}
    for i, row in zip(compared, compared_rows, strict=True):
        if row[0] in changed:
            keep[i] = True
            fresh[i] = (row[0], row[1], row[2], row[4]) not in before
    if changed:
        await _delete(session, workspace_id, sorted(changed))
    if not keep.any():
        return 0
    written = _select(moves, keep, fresh)
    if sql_dialect(session).name == "postgresql" and len(written.user_id) >= SQL_MOVES_FROM:
        await store_and_publish(
            session, workspace_id=workspace_id, rules=replay.rules, moves=written
        )
    else:
        transitions = _transitions(written, replay.rules)
        await record_transitions(
            session,
            workspace_id=workspace_id,
            transitions=transitions,
            at=replay.now,
            publish=[t for t, new in zip(transitions, written.fresh.tolist(), strict=True) if new],
        )
    return int(written.fresh.sum())
