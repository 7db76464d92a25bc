"""The storage seam of the trigger path: a batch's new enrolments, inserted once each in the
state their first steps left them, on either database.

PostgreSQL takes the batch as one array per column on the driver connection of the session's
transaction (asyncpg encodes arrays in C; SQLAlchemy's executemany spent more time building
hundreds of parameter sets than PostgreSQL spent inserting them). SQLite keeps SQLAlchemy's
executemany. Both skip an enrolment whose (journey, user, period) is taken and return the ids
of those inserted; `STORAGE.of(session)` picks the path for the session's database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.arrays import columns_of
from campaigns.journeys.models import Enrollment, NewEnrollment
from yunying_shared.db import PerDialect, SqliteDialect, driver_connection

ENROLLMENTS = Enrollment.__table__


class EnrollmentStorage(Protocol):
    async def insert(
        self, session: AsyncSession, enrollments: Sequence[NewEnrollment], now: datetime
    ) -> set[UUID]:
        """Inserts the enrolments whose (journey, user, period) is free; returns their ids."""
        ...


_PG_INSERT = """
    INSERT INTO journey_enrollments (id, workspace_id, journey_id, campaign_id, user_id, period,
        state, step_index, due_at, context, outcome, enrolled_at, updated_at)
    SELECT e.id, e.workspace_id, e.journey_id, e.campaign_id, e.user_id, e.period, e.state,
           e.step_index, e.due_at, e.context, e.outcome, $1, $1
    FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::int[],
                $8::text[], $9::int[], $10::timestamptz[], $11::json[], $12::text[])
         AS e(id, workspace_id, journey_id, campaign_id, user_id, period, state, step_index,
              due_at, context, outcome)
    ON CONFLICT (journey_id, user_id, period) DO NOTHING
    RETURNING id
"""


# The array parameters' order, `context` and `outcome` last (context is sent as JSON text).
_COLUMNS = (
    "id",
    "workspace_id",
    "journey_id",
    "campaign_id",
    "user_id",
    "period",
    "state",
    "step_index",
    "due_at",
)


class PostgresEnrollments:
    async def insert(
        self, session: AsyncSession, enrollments: Sequence[NewEnrollment], now: datetime
    ) -> set[UUID]:
        if not enrollments:
            return set()
        rows = await (await driver_connection(session)).fetch(
            _PG_INSERT,
            now,
            *columns_of(enrollments, _COLUMNS[:9]),
            [json.dumps(e.context, ensure_ascii=False) for e in enrollments],
            [e.outcome for e in enrollments],
        )
        return {row[0] for row in rows}


class SqliteEnrollments:
    sql = SqliteDialect()

    async def insert(
        self, session: AsyncSession, enrollments: Sequence[NewEnrollment], now: datetime
    ) -> set[UUID]:
        if not enrollments:
            return set()
        rows: list[dict[str, Any]] = [
            {
                "id": e.id,
                "workspace_id": e.workspace_id,
                "journey_id": e.journey_id,
                "campaign_id": e.campaign_id,
                "user_id": e.user_id,
                "period": e.period,
                "state": e.state,
                "step_index": e.step_index,
                "due_at": e.due_at,
                "context": e.context,
                "outcome": e.outcome,
                "enrolled_at": now,
                "updated_at": now,
            }
            for e in enrollments
        ]
        statement = (
            self.sql.insert(ENROLLMENTS)
            .on_conflict_do_nothing(index_elements=["journey_id", "user_id", "period"])
            .returning(ENROLLMENTS.c.id)
        )
        return set((await session.execute(statement, rows)).scalars())


STORAGE: PerDialect[EnrollmentStorage] = PerDialect(
    postgresql=PostgresEnrollments(), sqlite=SqliteEnrollments()
)
