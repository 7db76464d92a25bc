"""Writing a re-score back: only the rows that changed, in bulk.

PostgreSQL gets one UPDATE ... FROM unnest(arrays) per chunk (a few statements for a million
rows); SQLite, a single local writer, an executemany.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, SmallInteger, String, bindparam, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.upsert import dialect_of
from segmentation.lifecycle.rules import STAGES
from segmentation.profiles.models import Profile
from segmentation.rfm.compute import Scored
from segmentation.rfm.scoring import CLASSES, SEGMENTS, TIERS

CHUNK = 100_000
P = Profile.__table__

_PG_UPDATE = text("""
    UPDATE profiles AS p
    SET r_score = u.r, f_score = u.f, m_score = u.m, rfm_class = u.c, rfm_segment = u.s,
        tier = u.t, stage = u.st, updated_at = :now
    FROM unnest(:ids, :r, :f, :m, :c, :s, :t, :st) AS u(id, r, f, m, c, s, t, st)
    WHERE p.id = u.id
""").bindparams(
    bindparam("ids", type_=ARRAY(BigInteger)), bindparam("r", type_=ARRAY(SmallInteger)),
    bindparam("f", type_=ARRAY(SmallInteger)), bindparam("m", type_=ARRAY(SmallInteger)),
    bindparam("c", type_=ARRAY(String)), bindparam("s", type_=ARRAY(String)),
    bindparam("t", type_=ARRAY(String)), bindparam("st", type_=ARRAY(String)),
)


def _names(codes: np.ndarray, names: tuple[str, ...]) -> list[str | None]:
    table: list[str | None] = [*names, None]  # code -1 indexes the trailing None
    return [table[code] for code in codes.tolist()]


def _scores(values: np.ndarray) -> list[int | None]:
    return [v or None for v in values.tolist()]


def changed_columns(scored: Scored, index: np.ndarray) -> dict[str, list[Any]]:
    return {
        "r": _scores(scored.r[index]), "f": _scores(scored.f[index]),
        "m": _scores(scored.m[index]), "c": _names(scored.rfm_class[index], CLASSES),
        "s": _names(scored.segment[index], SEGMENTS), "t": _names(scored.tier[index], TIERS),
        "st": _names(scored.stage[index], STAGES),
    }


async def write_changes(session: AsyncSession, *, ids: np.ndarray, scored: Scored,
                        index: np.ndarray, now: datetime) -> None:
    if dialect_of(session) == "postgresql":
        for start in range(0, len(index), CHUNK):
            part = index[start:start + CHUNK]
            await session.execute(_PG_UPDATE, {"ids": ids[part].tolist(), "now": now,
                                               **changed_columns(scored, part)})
        return
    columns = changed_columns(scored, index)
    rows = [{"pid": pid, **{k: v[i] for k, v in columns.items()}}
            for i, pid in enumerate(ids[index].tolist())]
    if rows:
        await session.execute(
            update(P).where(P.c.id == bindparam("pid")).values(
                r_score=bindparam("r"), f_score=bindparam("f"), m_score=bindparam("m"),
                rfm_class=bindparam("c"), rfm_segment=bindparam("s"), tier=bindparam("t"),
                stage=bindparam("st"), updated_at=now),
            rows)
