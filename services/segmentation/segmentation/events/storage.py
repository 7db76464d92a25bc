"""The storage seam of ingestion: a batch's events and profile upserts, on either database.

PostgreSQL sends each statement's rows as one packed text per column (`yunying_shared.db.packed`)
on the driver connection of the session's transaction: SQLAlchemy's executemany spent more time
building 500 parameter sets per batch (and JSON-encoding three empty maps per profile) than
PostgreSQL spent running them, and asyncpg's array parameters still cost about 0.8 µs per
element. Every packed value is validated text free of control characters, JSON, a number or a
timestamp. SQLite keeps SQLAlchemy's executemany. Both write the same rows and
return the same values; `STORAGE.of(session)` picks the path for the session's database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.aggregate import Aggregate
from segmentation.events.schemas import ValidEvent
from segmentation.lifecycle.service import ProfileState
from segmentation.records.models import Profile, UserEvent
from yunying_shared.db import PerDialect, SqliteDialect, driver_connection
from yunying_shared.db.packed import packed, packed_numbers, packed_times, unpack

EVENTS = UserEvent.__table__
PROFILES = Profile.__table__


class IngestStorage(Protocol):
    async def insert_events(
        self, session: AsyncSession, workspace_id: UUID, events: list[ValidEvent], now: datetime
    ) -> set[str]:
        """Stores the events not seen before (by event id); returns their event ids."""
        ...

    async def upsert_profiles(
        self,
        session: AsyncSession,
        workspace_id: UUID,
        aggregates: Sequence[tuple[str, Aggregate]],
        now: datetime,
    ) -> list[ProfileState]:
        """Creates or folds into each user's profile, in the given order; returns the rows as
        the upsert left them."""
        ...


_PG_INSERT_EVENTS = f"""
    INSERT INTO user_events (workspace_id, event_id, user_id, type, occurred_at, received_at,
                             amount, currency, order_id, properties)
    SELECT $1, e.event_id, e.user_id, e.type, e.occurred_at, $2, e.amount, e.currency,
           e.order_id, e.properties
    FROM unnest({unpack("$3", "text")}, {unpack("$4", "text")}, {unpack("$5", "text")},
                {unpack("$6", "timestamptz")}, {unpack("$7", "numeric")},
                {unpack("$8", "text")}, {unpack("$9", "text")}, {unpack("$10", "json")})
         AS e(event_id, user_id, type, occurred_at, amount, currency, order_id, properties)
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING event_id
"""

# How a batch's per-user aggregates fold into an existing profile: NULL-ignoring min/max (as
# SqlDialect.earliest/latest write them for the SQLite path), counts and sums added. A history
# import's staged chunk (events.import_packing) folds with the same clause.
PG_PROFILE_FOLD = """
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
"""
_PG_UPSERT_PROFILES = f"""
    INSERT INTO profiles AS p (workspace_id, user_id, first_seen_at, last_active_at,
        last_login_at, first_purchase_at, last_purchase_at, order_count, refund_count,
        monetary_total, identities, extra, complaint_reasons, source, stage, created_at,
        updated_at)
    SELECT $1, a.user_id, a.first_seen_at, a.last_active_at, a.last_login_at,
           a.first_purchase_at, a.last_purchase_at, a.order_count, a.refund_count,
           a.monetary_total, '{{}}', '{{}}', '[]', 'organic', 'potential', $2, $2
    FROM unnest({unpack("$3", "text")}, {unpack("$4", "timestamptz")},
                {unpack("$5", "timestamptz")}, {unpack("$6", "timestamptz")},
                {unpack("$7", "timestamptz")}, {unpack("$8", "timestamptz")},
                {unpack("$9", "int")}, {unpack("$10", "int")}, {unpack("$11", "numeric")})
         WITH ORDINALITY AS a(user_id, first_seen_at, last_active_at, last_login_at,
                              first_purchase_at, last_purchase_at, order_count, refund_count,
                              monetary_total, position)
    ORDER BY a.position
{PG_PROFILE_FOLD}    RETURNING p.id, p.user_id, p.stage, p.first_purchase_at, p.last_purchase_at,
              p.last_active_at, p.f_score, p.m_score, p.churn_reason
"""


class PostgresIngest:
    async def insert_events(
        self, session: AsyncSession, workspace_id: UUID, events: list[ValidEvent], now: datetime
    ) -> set[str]:
        # driver_connection sends BEGIN first: this insert is often the transaction's first
        # statement, and sent before SQLAlchemy's lazy BEGIN it would commit on its own.
        rows = await (await driver_connection(session)).fetch(
            _PG_INSERT_EVENTS,
            workspace_id,
            now,
            packed([e.event_id for e in events]),
            packed([e.user_id for e in events]),
            packed([e.type for e in events]),
            packed_times([e.occurred_at for e in events]),
            packed_numbers([e.amount for e in events]),
            packed([e.currency for e in events]),
            packed([e.order_id for e in events]),
            packed([e.properties_json or json.dumps(e.properties) for e in events]),
        )
        return {row[0] for row in rows}

    async def upsert_profiles(
        self,
        session: AsyncSession,
        workspace_id: UUID,
        aggregates: Sequence[tuple[str, Aggregate]],
        now: datetime,
    ) -> list[ProfileState]:
        users = [a for _, a in aggregates]
        connection = await driver_connection(session)
        seen: dict[datetime, str] = {}  # a user of one event has one instant in four columns
        rows = await connection.fetch(
            _PG_UPSERT_PROFILES,
            workspace_id,
            now,
            packed([user_id for user_id, _ in aggregates]),
            packed_times([a.first_seen_at for a in users], seen),
            packed_times([a.last_active_at for a in users], seen),
            packed_times([a.last_login_at for a in users], seen),
            packed_times([a.first_purchase_at for a in users], seen),
            packed_times([a.last_purchase_at for a in users], seen),
            packed_numbers([a.order_count for a in users]),
            packed_numbers([a.refund_count for a in users]),
            packed_numbers([a.monetary for a in users]),
        )
        return [ProfileState(*row) for row in rows]


class SqliteIngest:
    sql = SqliteDialect()

    async def insert_events(
        self, session: AsyncSession, workspace_id: UUID, events: list[ValidEvent], now: datetime
    ) -> set[str]:
        rows = [
            {
                "workspace_id": workspace_id,
                "event_id": e.event_id,
                "user_id": e.user_id,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "received_at": now,
                "amount": e.amount,
                "currency": e.currency,
                "order_id": e.order_id,
                "properties": e.properties,
            }
            for e in events
        ]
        # executemany with RETURNING: one cached statement, sent as multi-row INSERTs
        statement = (
            self.sql.insert(EVENTS)
            .on_conflict_do_nothing(index_elements=["workspace_id", "event_id"])
            .returning(EVENTS.c.event_id)
        )
        return set((await session.execute(statement, rows)).scalars())

    async def upsert_profiles(
        self,
        session: AsyncSession,
        workspace_id: UUID,
        aggregates: Sequence[tuple[str, Aggregate]],
        now: datetime,
    ) -> list[ProfileState]:
        rows: list[dict[str, Any]] = [
            {
                "workspace_id": workspace_id,
                "user_id": user_id,
                "first_seen_at": a.first_seen_at,
                "last_active_at": a.last_active_at,
                "last_login_at": a.last_login_at,
                "first_purchase_at": a.first_purchase_at,
                "last_purchase_at": a.last_purchase_at,
                "order_count": a.order_count,
                "refund_count": a.refund_count,
                "monetary_total": a.monetary,
                "identities": {},
                "extra": {},
                "complaint_reasons": [],
                "source": "organic",
                "stage": "potential",
                "created_at": now,
                "updated_at": now,
            }
            for user_id, a in aggregates
        ]
        sql = self.sql
        statement = sql.insert(PROFILES)
        new, old = statement.excluded, PROFILES.c
        statement = statement.on_conflict_do_update(
            index_elements=["workspace_id", "user_id"],
            set_={
                "first_seen_at": sql.earliest(old.first_seen_at, new.first_seen_at),
                "last_active_at": sql.latest(old.last_active_at, new.last_active_at),
                "last_login_at": sql.latest(old.last_login_at, new.last_login_at),
                "first_purchase_at": sql.earliest(old.first_purchase_at, new.first_purchase_at),
                "last_purchase_at": sql.latest(old.last_purchase_at, new.last_purchase_at),
                "order_count": old.order_count + new.order_count,
                "refund_count": old.refund_count + new.refund_count,
                "monetary_total": old.monetary_total + new.monetary_total,
                "updated_at": new.updated_at,
            },
        ).returning(*(old[name] for name in ProfileState._fields))
        return [ProfileState(*row) for row in (await session.execute(statement, rows)).all()]


STORAGE: PerDialect[IngestStorage] = PerDialect(postgresql=PostgresIngest(), sqlite=SqliteIngest())
