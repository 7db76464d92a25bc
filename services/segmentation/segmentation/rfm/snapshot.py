"""Loading a workspace's profiles as numpy arrays for the vectorised re-score.

Timestamps and money come out of the database as floats (epoch seconds, yuan), so a million rows
never become a million datetime or Decimal objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import numpy as np
from sqlalchemy import Float, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.lifecycle.rules import STAGES
from segmentation.records.models import Profile, UserEvent
from segmentation.records.vocabulary import CLASSES, SEGMENTS, TIERS
from yunying_shared.db import PerDialect, driver_connection, sql_dialect

P = Profile.__table__


def _codes(values: list[str | None], names: tuple[str, ...]) -> np.ndarray:
    lookup: dict[str | None, int] = {name: code for code, name in enumerate(names)}
    return np.fromiter((lookup.get(v, -1) for v in values), dtype=np.int8, count=len(values))


@dataclass
class Snapshot:
    ids: np.ndarray
    user_ids: dict[int, str]  # by profile id; on PostgreSQL only those the re-score needs
    churn_reasons: dict[int, str | None]
    stage: np.ndarray
    tier: np.ndarray
    rfm_class: np.ndarray
    segment: np.ndarray
    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    first_purchase: np.ndarray
    last_purchase: np.ndarray
    last_active: np.ndarray
    frequency: np.ndarray
    monetary: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _floats(column: tuple[Any, ...]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in column], dtype=float)


def _scores(column: tuple[Any, ...]) -> np.ndarray:
    return np.array([0 if v is None else v for v in column], dtype=np.int8)


def _pg_code(column: str, names: tuple[str, ...]) -> str:
    quoted = (name.replace("'", "''") for name in names)  # constants from code, not input
    whens = " ".join(f"WHEN '{name}' THEN {code}" for code, name in enumerate(quoted))
    return f"(CASE {column} {whens} ELSE -1 END)::int2"


# Every column fixed-width and never NULL, so each row of the binary COPY stream has the same
# length and numpy reads the whole stream as one structured array: no per-row Python objects.
# date_part returns float8 directly (extract returns numeric since PostgreSQL 14: slower).
_PG_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("ids", ">i8", "id"),
    ("stage", ">i2", _pg_code("stage", STAGES)),
    ("tier", ">i2", _pg_code("tier", TIERS)),
    ("rfm_class", ">i2", _pg_code("rfm_class", CLASSES)),
    ("segment", ">i2", _pg_code("rfm_segment", SEGMENTS)),
    ("r", ">i2", "coalesce(r_score, 0)::int2"),
    ("f", ">i2", "coalesce(f_score, 0)::int2"),
    ("m", ">i2", "coalesce(m_score, 0)::int2"),
    ("first_purchase", ">f8", "coalesce(date_part('epoch', first_purchase_at), 'NaN')"),
    ("last_purchase", ">f8", "coalesce(date_part('epoch', last_purchase_at), 'NaN')"),
    ("last_active", ">f8", "coalesce(date_part('epoch', last_active_at), 'NaN')"),
    ("frequency", ">f8", "order_count::float8"),
    ("monetary", ">f8", "monetary_total::float8"),
)
_PG_SNAPSHOT = (
    f"SELECT {', '.join(sql for _, _, sql in _PG_COLUMNS)} FROM profiles "
    "WHERE workspace_id = '{workspace_id}'"
)
# A binary COPY row: a 16-bit field count, then per field a 32-bit length and the value.
_PG_ROW = np.dtype(
    [
        ("fields", ">i2"),
        *(
            part
            for name, kind, _ in _PG_COLUMNS
            for part in ((f"{name}_length", ">i4"), (name, kind))
        ),
    ]
)
_COPY_HEADER = 19  # signature (11), flags (4), header extension length (4, always 0)
_COPY_TRAILER = 2  # field count -1


async def _load_postgres(session: AsyncSession, workspace_id: UUID) -> Snapshot:
    connection = await driver_connection(session)
    # JIT-compiling this one scan costs more than the scan itself
    await connection.execute("SET LOCAL jit = off")
    chunks: list[bytes] = []

    async def collect(chunk: bytes) -> None:
        chunks.append(chunk)

    # COPY takes no bind parameters; a UUID object's text is safe to inline.
    query = _PG_SNAPSHOT.format(workspace_id=UUID(str(workspace_id)))
    await connection.copy_from_query(query, output=collect, format="binary")
    stream = b"".join(chunks)
    rows = np.frombuffer(
        stream,
        dtype=_PG_ROW,
        offset=_COPY_HEADER,
        count=(len(stream) - _COPY_HEADER - _COPY_TRAILER) // _PG_ROW.itemsize,
    )
    if not stream.startswith(b"PGCOPY\n\xff\r\n\0") or (rows["fields"] != len(_PG_COLUMNS)).any():
        raise RuntimeError("unexpected binary COPY layout for the scoring snapshot")
    small = {name: rows[name].astype(np.int8) for name, kind, _ in _PG_COLUMNS if kind == ">i2"}
    floats = {name: rows[name].astype(float) for name, kind, _ in _PG_COLUMNS if kind == ">f8"}
    return Snapshot(
        ids=rows["ids"].astype(np.int64), user_ids={}, churn_reasons={}, **small, **floats
    )


def _empty() -> Snapshot:
    ints, floats = np.zeros(0, dtype=np.int8), np.zeros(0)
    return Snapshot(
        ids=np.zeros(0, dtype=np.int64),
        user_ids={},
        churn_reasons={},
        stage=ints,
        tier=ints,
        rfm_class=ints,
        segment=ints,
        r=ints,
        f=ints,
        m=ints,
        first_purchase=floats,
        last_purchase=floats,
        last_active=floats,
        frequency=floats,
        monetary=floats,
    )


class SnapshotLoader(Protocol):
    async def __call__(self, session: AsyncSession, workspace_id: UUID) -> Snapshot: ...


async def _load_rows(session: AsyncSession, workspace_id: UUID) -> Snapshot:
    return await load_rows(session, workspace_id=workspace_id)


# PostgreSQL: one binary COPY read as a numpy array; SQLite: the rows.
LOADERS: PerDialect[SnapshotLoader] = PerDialect(postgresql=_load_postgres, sqlite=_load_rows)


async def load_snapshot(session: AsyncSession, *, workspace_id: UUID) -> Snapshot:
    return await LOADERS.of(session)(session, workspace_id)


async def load_rows(session: AsyncSession, *, workspace_id: UUID) -> Snapshot:
    """Row by row, with every user id: SQLite's path (and the reference the COPY path is
    tested against on PostgreSQL)."""
    epoch = sql_dialect(session).epoch_seconds
    statement = (
        select(
            P.c.id,
            P.c.user_id,
            P.c.churn_reason,
            P.c.stage,
            P.c.tier,
            P.c.rfm_class,
            P.c.rfm_segment,
            P.c.r_score,
            P.c.f_score,
            P.c.m_score,
            epoch(P.c.first_purchase_at),
            epoch(P.c.last_purchase_at),
            epoch(P.c.last_active_at),
            P.c.order_count,
            cast(P.c.monetary_total, Float),
        )
        .where(P.c.workspace_id == workspace_id)
        .order_by(P.c.id)
    )
    rows = (await session.execute(statement)).all()
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 15
    return Snapshot(
        ids=np.array(columns[0], dtype=np.int64),
        user_ids=dict(zip(columns[0], columns[1], strict=True)),
        churn_reasons=dict(zip(columns[0], columns[2], strict=True)),
        stage=_codes(list(columns[3]), STAGES),
        tier=_codes(list(columns[4]), TIERS),
        rfm_class=_codes(list(columns[5]), CLASSES),
        segment=_codes(list(columns[6]), SEGMENTS),
        r=_scores(columns[7]),
        f=_scores(columns[8]),
        m=_scores(columns[9]),
        first_purchase=_floats(columns[10]),
        last_purchase=_floats(columns[11]),
        last_active=_floats(columns[12]),
        frequency=np.array(columns[13], dtype=float),
        monetary=_floats(columns[14]),
    )


async def windowed_totals(
    session: AsyncSession, *, workspace_id: UUID, since: datetime, user_ids: list[str] | None = None
) -> dict[int, tuple[float, float]]:
    """profile id -> (purchases, net spend) within the look-back window, from the raw events."""
    events = UserEvent.__table__
    is_purchase = events.c.type == "purchase"
    statement = (
        select(
            P.c.id,
            func.sum(case((is_purchase, 1), else_=0)),
            func.sum(case((is_purchase, events.c.amount), else_=-events.c.amount)),
        )
        .join(P, (P.c.workspace_id == events.c.workspace_id) & (P.c.user_id == events.c.user_id))
        .where(
            events.c.workspace_id == workspace_id,
            events.c.type.in_(("purchase", "refund")),
            events.c.occurred_at >= since,
        )
        .group_by(P.c.id)
    )
    if user_ids is not None:
        statement = statement.where(events.c.user_id.in_(user_ids))
    return {
        pid: (float(count or 0), float(total or 0))
        for pid, count, total in (await session.execute(statement)).all()
    }


def apply_window(snapshot: Snapshot, totals: dict[int, tuple[float, float]]) -> None:
    snapshot.frequency = np.zeros(len(snapshot))
    snapshot.monetary = np.zeros(len(snapshot))
    if totals:
        ids = np.array(list(totals), dtype=np.int64)
        order = np.argsort(snapshot.ids)
        where = order[np.searchsorted(snapshot.ids, ids, sorter=order)]
        values = np.array(list(totals.values()), dtype=float)
        snapshot.frequency[where] = values[:, 0]
        snapshot.monetary[where] = values[:, 1]


def window_totals_since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
