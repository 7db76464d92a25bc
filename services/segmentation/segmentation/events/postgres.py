"""PostgreSQL's bulk path for a batch: each statement takes its rows as one array per column.

SQLAlchemy's executemany spent more time building 500 parameter sets per batch (and JSON-encoding
three empty maps per profile) than PostgreSQL spent running them; sent as arrays on the raw
asyncpg connection of the session's transaction, a batch is two statements whose parameters
asyncpg encodes in C. SQLite keeps the executemany in service.py; both write the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.db import driver_connection

if TYPE_CHECKING:
    from segmentation.events.schemas import ValidEvent
    from segmentation.events.service import _Aggregate

_INSERT_EVENTS = """
    INSERT INTO user_events (workspace_id, event_id, user_id, type, occurred_at, received_at,
                             amount, currency, order_id, properties)
    SELECT $1, e.event_id, e.user_id, e.type, e.occurred_at, $2, e.amount, e.currency,
           e.order_id, e.properties
    FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::numeric[],
                $8::text[], $9::text[], $10::json[])
         AS e(event_id, user_id, type, occurred_at, amount, currency, order_id, properties)
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING event_id
"""

# NULL-ignoring min/max, as events.upsert.earliest/latest write them for the SQLite path.
_UPSERT_PROFILES = """
    INSERT INTO profiles AS p (workspace_id, user_id, first_seen_at, last_active_at,
        last_login_at, first_purchase_at, last_purchase_at, order_count, refund_count,
        monetary_total, identities, extra, complaint_reasons, source, stage, created_at,
        updated_at)
    SELECT $1, a.user_id, a.first_seen_at, a.last_active_at, a.last_login_at,
           a.first_purchase_at, a.last_purchase_at, a.order_count, a.refund_count,
           a.monetary_total, '{}', '{}', '[]', 'organic', 'potential', $2, $2
    FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[],
                $7::timestamptz[], $8::timestamptz[], $9::int[], $10::int[], $11::numeric[])
         WITH ORDINALITY AS a(user_id, first_seen_at, last_active_at, last_login_at,
                              first_purchase_at, last_purchase_at, order_count, refund_count,
                              monetary_total, position)
    ORDER BY a.position
    ON CONFLICT (workspace_id, user_id) DO UPDATE SET
        first_seen_at = least(coalesce(p.first_seen_at, excluded.first_seen_at),
                              coalesce(excluded.first_seen_at, p.first_seen_at)),
        last_active_at = greatest(coalesce(p.last_active_at, excluded.last_active_at),
                                  coalesce(excluded.last_active_at, p.last_active_at)),
        last_login_at = greatest(coalesce(p.last_login_at, excluded.last_login_at),
                                 coalesce(excluded.last_login_at, p.last_login_at)),
        first_purchase_at = least(coalesce(p.first_purchase_at, excluded.first_purchase_at),
                                  coalesce(excluded.first_purchase_at, p.first_purchase_at)),
        last_purchase_at = greatest(coalesce(p.last_purchase_at, excluded.last_purchase_at),
                                    coalesce(excluded.last_purchase_at, p.last_purchase_at)),
        order_count = p.order_count + excluded.order_count,
        refund_count = p.refund_count + excluded.refund_count,
        monetary_total = p.monetary_total + excluded.monetary_total,
        updated_at = excluded.updated_at
    RETURNING p.id, p.user_id, p.stage, p.first_purchase_at, p.last_purchase_at,
              p.last_active_at, p.f_score, p.m_score, p.churn_reason
"""


class Touched(NamedTuple):
    """A profile as the upsert left it: what re-staging reads (the Profile column names)."""

    id: int
    user_id: str
    stage: str
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    last_active_at: datetime | None
    f_score: int | None
    m_score: int | None
    churn_reason: str | None


async def _connection(session: AsyncSession) -> Any:
    # With its BEGIN sent: the events insert is often the transaction's first statement, and
    # sent straight on the driver before SQLAlchemy's lazy BEGIN it would commit on its own.
    return await driver_connection(session)


async def insert_events(
    session: AsyncSession, workspace_id: UUID, events: list[ValidEvent], now: datetime
) -> set[str]:
    """Stores the events not seen before; returns their event ids."""
    rows = await (await _connection(session)).fetch(
        _INSERT_EVENTS,
        workspace_id,
        now,
        [e.event_id for e in events],
        [e.user_id for e in events],
        [e.type for e in events],
        [e.occurred_at for e in events],
        [e.amount for e in events],
        [e.currency for e in events],
        [e.order_id for e in events],
        [e.properties_json or json.dumps(e.properties) for e in events],
    )
    return {row[0] for row in rows}


async def upsert_profiles(
    session: AsyncSession,
    workspace_id: UUID,
    aggregates: Sequence[tuple[str, _Aggregate]],
    now: datetime,
) -> list[Touched]:
    """Creates or folds into each user's profile, in the given order."""
    columns: list[list[Any]] = [[] for _ in range(9)]
    for user_id, a in aggregates:
        for column, value in zip(
            columns,
            (
                user_id,
                a.first_seen_at,
                a.last_active_at,
                a.last_login_at,
                a.first_purchase_at,
                a.last_purchase_at,
                a.order_count,
                a.refund_count,
                a.monetary,
            ),
            strict=True,
        ):
            column.append(value)
    rows = await (await _connection(session)).fetch(_UPSERT_PROFILES, workspace_id, now, *columns)
    return [Touched(*row) for row in rows]
