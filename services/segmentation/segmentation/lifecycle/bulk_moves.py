"""PostgreSQL: many derived stage moves stored and published by one statement.

A history import's finishing step writes one `stage_changes` row and publishes one
`user.lifecycle_stage_changed` event per derived move (835,700 for 1,000,000 imported events).
Built in Python, each move cost a Transition, a datetime, its payload and envelope text, a frame
of the packed outbox row and a COPY record: about 30 µs per move, the largest part of the
import's finishing step. Here the moves go to PostgreSQL as packed columns (codes, epoch
microseconds, flags) and one statement inserts the history rows in the given order and writes
the ones to publish compact, up to `PACK_EVENTS` per outbox row, for the relay to build their
envelopes (lifecycle.compact_moves, as segments/compact.py does for membership events): the same
bytes `lifecycle.service.record_transitions` writes (event ids and the envelope's `time` aside; a
test compares them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.db import BUS
from segmentation.lifecycle.compact_moves import CODES_PER_STAGE, row_headers
from segmentation.lifecycle.rules import STAGES, LifecycleRules
from yunying_shared.bus.outbox import PENDING_FLAG
from yunying_shared.bus.packed import EXPANDED_MARK, PACK_EVENTS
from yunying_shared.db import driver_connection
from yunying_shared.db.packed import NULL, SEPARATOR, packed, unpack
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED

_CODES = len(STAGES)

# Sorts of a whole import's moves (by their order, by packed row) stay in memory with this.
_WORK_MEM = "SET LOCAL work_mem = '64MB'"
# Each packed row holds its moves compact (lifecycle.compact_moves; the relay builds the
# envelopes), in the order of `n`, from the small rows of `moves` with its number (`chunk`).
_STORE = f"""
WITH moves AS (
    SELECT m.n, m.user_id, m.from_code, m.to_code, m.micros, m.historical, m.chunk
    FROM unnest({unpack("$2", "text")}, {unpack("$3", "int2")}, {unpack("$4", "int2")},
        {unpack("$5", "int8")}, {unpack("$6", "bool")}, {unpack("$7", "int4")})
        WITH ORDINALITY AS m(user_id, from_code, to_code, micros, historical, chunk, n)
), stored AS (
    INSERT INTO stage_changes (workspace_id, user_id, kind, from_value, to_value, reason,
        changed_at)
    SELECT $1, user_id, 'stage', ($8::text[])[from_code + 1], ($8::text[])[to_code + 1],
        ($9::text[])[to_code * {_CODES} + from_code + 1],
        timestamptz 'epoch' + micros * interval '1 microsecond'
    FROM moves ORDER BY n
)
INSERT INTO {BUS.outbox.name} (event_id, topic, key, value, headers, created_at, packed)
SELECT gen_random_uuid(), $10, NULL, $11::bytea || string_agg(
    uuid_send(gen_random_uuid())
    || int2send(((from_code * {CODES_PER_STAGE} + to_code) * 2 + historical::int)::int2)
    || int8send(micros) || int4send(octet_length(u)) || u, ''::bytea ORDER BY n),
    $12::json, $13, count(*)
FROM (SELECT chunk, n, from_code, to_code, historical, micros, convert_to(user_id, 'UTF8') AS u
      FROM moves WHERE chunk IS NOT NULL) AS m
GROUP BY chunk
"""


@dataclass(frozen=True)
class Moves:
    """Stage moves as columns, in the order they are stored and published."""

    user_id: list[str]
    from_code: np.ndarray  # int8 stage codes
    to_code: np.ndarray
    micros: np.ndarray  # int64: when, in microseconds since the epoch
    historical: np.ndarray  # bool
    fresh: np.ndarray  # bool: published (a move the user did not have before)


def _flags(values: np.ndarray) -> str:
    return SEPARATOR.join(np.where(values, "t", "f").tolist())


def _numbers(values: np.ndarray) -> str:
    return SEPARATOR.join(map(str, values.tolist()))


def _chunks(fresh: np.ndarray) -> str:
    """Per move, the number of the packed outbox row its event goes in; NULL: not published."""
    chunk = (np.cumsum(fresh) - 1) // PACK_EVENTS
    return SEPARATOR.join(np.where(fresh, chunk.astype(str), NULL).tolist())


def _reasons(rules: LifecycleRules) -> list[str]:
    """`rules.reason(to, from)` for every pair of codes, indexed to * len(STAGES) + from."""
    return [rules.reason(to, previous) for to in range(_CODES) for previous in range(_CODES)]


async def store_and_publish(
    session: AsyncSession, *, workspace_id: UUID, rules: LifecycleRules, moves: Moves
) -> None:
    """The moves into `stage_changes`, the fresh ones also as events in the outbox."""
    reasons = _reasons(rules)
    connection = await driver_connection(session)
    await connection.execute(_WORK_MEM)
    await connection.execute(
        _STORE,
        workspace_id,
        packed(moves.user_id),
        _numbers(moves.from_code),
        _numbers(moves.to_code),
        _numbers(moves.micros),
        _flags(moves.historical),
        _chunks(moves.fresh),
        list(STAGES),
        reasons,
        USER_LIFECYCLE_STAGE_CHANGED.topic,
        EXPANDED_MARK,
        json.dumps(row_headers(workspace_id, reasons)),
        datetime.now(UTC),
    )
    if moves.fresh.any():
        session.info[PENDING_FLAG] = True  # the relay's after-commit hook wakes at once
