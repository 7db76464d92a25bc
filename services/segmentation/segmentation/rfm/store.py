"""Writing a re-score back: only the rows that changed, in bulk.

PostgreSQL gets one UPDATE ... FROM unnest(arrays) per chunk (a few statements for a million
rows) on the raw asyncpg connection of the session's transaction: codes travel as int2 arrays
instead of lists of strings, and the user ids the caller needs come back in the same round trip.
SQLite, a single local writer, gets an executemany.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import numpy as np
from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.lifecycle.rules import STAGES
from segmentation.records.models import Profile
from segmentation.records.vocabulary import CLASSES, SEGMENTS, TIERS
from segmentation.rfm.compute import Scored
from yunying_shared.db import PerDialect, cast_table, driver_connection

CHUNK = 100_000
P = cast_table(Profile.__table__)


def _pg_names(names: tuple[str, ...]) -> str:
    quoted = (name.replace("'", "''") for name in names)  # constants from code, not input
    return "ARRAY[" + ", ".join(f"'{name}'" for name in quoted) + "]::text[]"


# Codes travel as int2 arrays and become names in SQL (code -1 indexes element 0: NULL); the
# rows the caller wants named come back in the same round trip.
_PG_UPDATE = f"""
    WITH changed AS (
        UPDATE profiles AS p
        SET r_score = nullif(u.r, 0), f_score = nullif(u.f, 0), m_score = nullif(u.m, 0),
            rfm_class = ({_pg_names(CLASSES)})[u.c + 1],
            rfm_segment = ({_pg_names(SEGMENTS)})[u.s + 1],
            tier = ({_pg_names(TIERS)})[u.t + 1], stage = ({_pg_names(STAGES)})[u.st + 1],
            updated_at = $1
        FROM unnest($2::int8[], $3::int2[], $4::int2[], $5::int2[], $6::int2[], $7::int2[],
                    $8::int2[], $9::int2[], $10::bool[]) AS u(id, r, f, m, c, s, t, st, wanted)
        WHERE p.id = u.id
        RETURNING p.id, p.user_id, p.churn_reason, u.wanted
    )
    SELECT id, user_id, churn_reason FROM changed WHERE wanted
"""


def _names(codes: np.ndarray, names: tuple[str, ...]) -> list[str | None]:
    table: list[str | None] = [*names, None]  # code -1 indexes the trailing None
    return [table[code] for code in codes.tolist()]


def _scores(values: np.ndarray) -> list[int | None]:
    return [v or None for v in values.tolist()]


def changed_columns(scored: Scored, index: np.ndarray) -> dict[str, list[Any]]:
    return {
        "r": _scores(scored.r[index]),
        "f": _scores(scored.f[index]),
        "m": _scores(scored.m[index]),
        "c": _names(scored.rfm_class[index], CLASSES),
        "s": _names(scored.segment[index], SEGMENTS),
        "t": _names(scored.tier[index], TIERS),
        "st": _names(scored.stage[index], STAGES),
    }


class ScoreWriter(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        *,
        ids: np.ndarray,
        scored: Scored,
        index: np.ndarray,
        wanted: np.ndarray,
        now: datetime,
    ) -> dict[int, tuple[str, str | None]]: ...


async def write_changes(
    session: AsyncSession,
    *,
    ids: np.ndarray,
    scored: Scored,
    index: np.ndarray,
    wanted: np.ndarray,
    now: datetime,
) -> dict[int, tuple[str, str | None]]:
    """Store the new scores of the rows at `index`; returns profile id -> (user id, churn
    reason) for the rows where `wanted` (aligned with `index`) is set, on PostgreSQL (SQLite's
    snapshot already holds every name, so it returns nothing)."""
    write = WRITERS.of(session)
    return await write(session, ids=ids, scored=scored, index=index, wanted=wanted, now=now)


async def _write_postgres(
    session: AsyncSession,
    *,
    ids: np.ndarray,
    scored: Scored,
    index: np.ndarray,
    wanted: np.ndarray,
    now: datetime,
) -> dict[int, tuple[str, str | None]]:
    connection = await driver_connection(session)
    names: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(index), CHUNK):
        part = index[start : start + CHUNK]
        rows = await connection.fetch(
            _PG_UPDATE,
            now,
            ids[part].tolist(),
            *(
                column[part].tolist()
                for column in (
                    scored.r,
                    scored.f,
                    scored.m,
                    scored.rfm_class,
                    scored.segment,
                    scored.tier,
                    scored.stage,
                )
            ),
            wanted[start : start + CHUNK].tolist(),
        )
        names.update((pid, (user_id, churn)) for pid, user_id, churn in rows)
    return names


async def _write_sqlite(
    session: AsyncSession,
    *,
    ids: np.ndarray,
    scored: Scored,
    index: np.ndarray,
    wanted: np.ndarray,
    now: datetime,
) -> dict[int, tuple[str, str | None]]:
    columns = changed_columns(scored, index)
    rows = [
        {"pid": pid, **{k: v[i] for k, v in columns.items()}}
        for i, pid in enumerate(ids[index].tolist())
    ]
    if rows:
        await session.execute(
            update(P)
            .where(P.c.id == bindparam("pid"))
            .values(
                r_score=bindparam("r"),
                f_score=bindparam("f"),
                m_score=bindparam("m"),
                rfm_class=bindparam("c"),
                rfm_segment=bindparam("s"),
                tier=bindparam("t"),
                stage=bindparam("st"),
                updated_at=now,
            ),
            rows,
        )
    return {}


# PostgreSQL: one UPDATE ... FROM unnest(arrays) per chunk; SQLite: an executemany.
WRITERS: PerDialect[ScoreWriter] = PerDialect(postgresql=_write_postgres, sqlite=_write_sqlite)
