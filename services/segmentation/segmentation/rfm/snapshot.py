"""Loading a workspace's profiles as numpy arrays for the vectorised re-score.

Timestamps and money come out of the database as floats (epoch seconds, yuan), so a million rows
never become a million datetime or Decimal objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import Float, case, cast, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.models import UserEvent
from segmentation.events.upsert import dialect_of
from segmentation.lifecycle.rules import STAGES
from segmentation.profiles.models import Profile
from segmentation.rfm.scoring import CLASSES, SEGMENTS, TIERS

P = Profile.__table__


def _codes(values: list[str | None], names: tuple[str, ...]) -> np.ndarray:
    lookup: dict[str | None, int] = {name: code for code, name in enumerate(names)}
    return np.fromiter((lookup.get(v, -1) for v in values), dtype=np.int8, count=len(values))


def _epoch(dialect: str, column: Any) -> Any:
    if dialect == "postgresql":
        return cast(extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * 86400.0


@dataclass
class Snapshot:
    ids: np.ndarray
    user_ids: dict[int, str]  # by profile id; on PostgreSQL only for changed profiles
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


def _pg_codes(column: str, names: tuple[str, ...]) -> str:
    quoted = (name.replace("'", "''") for name in names)  # constants from code, not input
    listed = ", ".join(f"'{name}'" for name in quoted)
    return f"array_agg(coalesce(array_position(ARRAY[{listed}]::text[], {column}), 0) - 1)"


_PG_SNAPSHOT = f"""
    SELECT array_agg(id), {_pg_codes("stage", STAGES)}, {_pg_codes("tier", TIERS)},
        {_pg_codes("rfm_class", CLASSES)}, {_pg_codes("rfm_segment", SEGMENTS)},
        array_agg(coalesce(r_score, 0)), array_agg(coalesce(f_score, 0)),
        array_agg(coalesce(m_score, 0)),
        array_agg(coalesce(extract(epoch FROM first_purchase_at)::float8, 'NaN')),
        array_agg(coalesce(extract(epoch FROM last_purchase_at)::float8, 'NaN')),
        array_agg(coalesce(extract(epoch FROM last_active_at)::float8, 'NaN')),
        array_agg(order_count), array_agg(monetary_total::float8)
    FROM profiles WHERE workspace_id = $1
"""


async def _load_postgres(session: AsyncSession, workspace_id: UUID) -> Snapshot:
    """Thirteen arrays in one row: asyncpg decodes them in C, no per-row Python objects."""
    connection = (await (await session.connection()).get_raw_connection()).driver_connection
    # JIT-compiling this one scan costs more than the scan itself
    await connection.execute("SET LOCAL jit = off")
    row = await connection.fetchrow(_PG_SNAPSHOT, workspace_id)
    if row[0] is None:
        return _empty()
    small = [np.array(row[i], dtype=np.int8) for i in range(1, 8)]
    floats = [np.array(row[i], dtype=float) for i in range(8, 13)]
    return Snapshot(ids=np.array(row[0], dtype=np.int64), user_ids={}, churn_reasons={},
                    stage=small[0], tier=small[1], rfm_class=small[2], segment=small[3],
                    r=small[4], f=small[5], m=small[6], first_purchase=floats[0],
                    last_purchase=floats[1], last_active=floats[2], frequency=floats[3],
                    monetary=floats[4])


def _empty() -> Snapshot:
    ints, floats = np.zeros(0, dtype=np.int8), np.zeros(0)
    return Snapshot(ids=np.zeros(0, dtype=np.int64), user_ids={}, churn_reasons={}, stage=ints,
                    tier=ints, rfm_class=ints, segment=ints, r=ints, f=ints, m=ints,
                    first_purchase=floats, last_purchase=floats, last_active=floats,
                    frequency=floats, monetary=floats)


async def load_names(session: AsyncSession, snapshot: Snapshot, ids: list[int]) -> None:
    """User ids and churn reasons, fetched only for the profiles that changed."""
    missing = [i for i in ids if i not in snapshot.user_ids]
    for start in range(0, len(missing), 10_000):
        part = missing[start:start + 10_000]
        rows = await session.execute(
            select(P.c.id, P.c.user_id, P.c.churn_reason).where(P.c.id.in_(part)))
        for pid, user_id, churn_reason in rows:
            snapshot.user_ids[pid] = user_id
            snapshot.churn_reasons[pid] = churn_reason


async def load_snapshot(session: AsyncSession, *, workspace_id: UUID) -> Snapshot:
    dialect = dialect_of(session)
    if dialect == "postgresql":
        return await _load_postgres(session, workspace_id)
    statement = select(
        P.c.id, P.c.user_id, P.c.churn_reason, P.c.stage, P.c.tier, P.c.rfm_class,
        P.c.rfm_segment, P.c.r_score, P.c.f_score, P.c.m_score,
        _epoch(dialect, P.c.first_purchase_at), _epoch(dialect, P.c.last_purchase_at),
        _epoch(dialect, P.c.last_active_at), P.c.order_count, cast(P.c.monetary_total, Float),
    ).where(P.c.workspace_id == workspace_id).order_by(P.c.id)
    rows = (await session.execute(statement)).all()
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 15
    return Snapshot(
        ids=np.array(columns[0], dtype=np.int64),
        user_ids=dict(zip(columns[0], columns[1], strict=True)),
        churn_reasons=dict(zip(columns[0], columns[2], strict=True)), stage=_codes(list(columns[3]), STAGES),
        tier=_codes(list(columns[4]), TIERS), rfm_class=_codes(list(columns[5]), CLASSES),
        segment=_codes(list(columns[6]), SEGMENTS), r=_scores(columns[7]),
        f=_scores(columns[8]), m=_scores(columns[9]), first_purchase=_floats(columns[10]),
        last_purchase=_floats(columns[11]), last_active=_floats(columns[12]),
        frequency=np.array(columns[13], dtype=float), monetary=_floats(columns[14]),
    )


async def windowed_totals(session: AsyncSession, *, workspace_id: UUID, since: datetime,
                          user_ids: list[str] | None = None) -> dict[int, tuple[float, float]]:
    """profile id -> (purchases, net spend) within the look-back window, from the raw events."""
    events = UserEvent.__table__
    is_purchase = events.c.type == "purchase"
    statement = (
        select(P.c.id,
               func.sum(case((is_purchase, 1), else_=0)),
               func.sum(case((is_purchase, events.c.amount), else_=-events.c.amount)))
        .join(P, (P.c.workspace_id == events.c.workspace_id) & (P.c.user_id == events.c.user_id))
        .where(events.c.workspace_id == workspace_id, events.c.type.in_(("purchase", "refund")),
               events.c.occurred_at >= since)
        .group_by(P.c.id)
    )
    if user_ids is not None:
        statement = statement.where(events.c.user_id.in_(user_ids))
    return {pid: (float(count or 0), float(total or 0))
            for pid, count, total in (await session.execute(statement)).all()}


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
