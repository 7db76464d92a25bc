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
    user_ids: list[str]
    churn_reasons: list[str | None]
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


async def load_snapshot(session: AsyncSession, *, workspace_id: UUID) -> Snapshot:
    dialect = dialect_of(session)
    statement = select(
        P.c.id, P.c.user_id, P.c.churn_reason, P.c.stage, P.c.tier, P.c.rfm_class,
        P.c.rfm_segment, P.c.r_score, P.c.f_score, P.c.m_score,
        _epoch(dialect, P.c.first_purchase_at), _epoch(dialect, P.c.last_purchase_at),
        _epoch(dialect, P.c.last_active_at), P.c.order_count, cast(P.c.monetary_total, Float),
    ).where(P.c.workspace_id == workspace_id).order_by(P.c.id)
    rows = (await session.execute(statement)).all()
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 15
    return Snapshot(
        ids=np.array(columns[0], dtype=np.int64), user_ids=list(columns[1]),
        churn_reasons=list(columns[2]), stage=_codes(list(columns[3]), STAGES),
        tier=_codes(list(columns[4]), TIERS), rfm_class=_codes(list(columns[5]), CLASSES),
        segment=_codes(list(columns[6]), SEGMENTS), r=_scores(columns[7]),
        f=_scores(columns[8]), m=_scores(columns[9]), first_purchase=_floats(columns[10]),
        last_purchase=_floats(columns[11]), last_active=_floats(columns[12]),
        frequency=np.array(columns[13], dtype=float), monetary=_floats(columns[14]),
    )


async def windowed_totals(session: AsyncSession, *, workspace_id: UUID, since: datetime,
                          user_ids: list[str] | None = None) -> dict[str, tuple[float, float]]:
    """user id -> (purchases, net spend) within the look-back window, from the raw events."""
    events = UserEvent.__table__
    is_purchase = events.c.type == "purchase"
    statement = (
        select(events.c.user_id,
               func.sum(case((is_purchase, 1), else_=0)),
               func.sum(case((is_purchase, events.c.amount), else_=-events.c.amount)))
        .where(events.c.workspace_id == workspace_id, events.c.type.in_(("purchase", "refund")),
               events.c.occurred_at >= since)
        .group_by(events.c.user_id)
    )
    if user_ids is not None:
        statement = statement.where(events.c.user_id.in_(user_ids))
    return {user_id: (float(count or 0), float(total or 0))
            for user_id, count, total in (await session.execute(statement)).all()}


def apply_window(snapshot: Snapshot, totals: dict[str, tuple[float, float]]) -> None:
    pairs = [totals.get(user_id, (0.0, 0.0)) for user_id in snapshot.user_ids]
    snapshot.frequency = np.array([p[0] for p in pairs], dtype=float)
    snapshot.monetary = np.array([p[1] for p in pairs], dtype=float)


def window_totals_since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
