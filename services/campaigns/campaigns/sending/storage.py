"""The storage seam of queueing messages: a batch's new sends, on either database.

PostgreSQL takes the batch as one array per column on the driver connection of the session's
transaction (asyncpg encodes arrays in C, where SQLAlchemy's executemany built a parameter set
per send); SQLite keeps SQLAlchemy's executemany. Both skip a send whose dedupe key is queued
already; `STORAGE.of(session)` picks the path for the session's database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.arrays import columns_of
from campaigns.sending.models import NewSend, Send
from yunying_shared.db import PerDialect, SqliteDialect, driver_connection


class SendStorage(Protocol):
    async def insert(
        self, session: AsyncSession, sends: Sequence[NewSend], now: datetime
    ) -> None: ...


_PG_INSERT = """
    INSERT INTO sends (id, workspace_id, dedupe_key, user_id, channel, body, campaign_id,
        enrollment_id, priority, promotional, state, reason, due_at, claimed_at, sent_at,
        attempts, created_at)
    SELECT s.id, s.workspace_id, s.dedupe_key, s.user_id, s.channel, s.body, s.campaign_id,
           s.enrollment_id, s.priority, s.promotional, 'pending', NULL, $1, NULL, NULL, 0, $1
    FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::uuid[], $9::uuid[], $10::int[], $11::bool[])
         AS s(id, workspace_id, dedupe_key, user_id, channel, body, campaign_id, enrollment_id,
              priority, promotional)
    ON CONFLICT (workspace_id, dedupe_key) DO NOTHING
"""


class PostgresSends:
    async def insert(self, session: AsyncSession, sends: Sequence[NewSend], now: datetime) -> None:
        await (await driver_connection(session)).execute(
            _PG_INSERT,
            now,
            [uuid4() for _ in sends],
            *columns_of(
                sends,
                (
                    "workspace_id",
                    "dedupe_key",
                    "user_id",
                    "channel",
                    "body",
                    "campaign_id",
                    "enrollment_id",
                    "priority",
                    "promotional",
                ),
            ),
        )


class SqliteSends:
    sql = SqliteDialect()

    async def insert(self, session: AsyncSession, sends: Sequence[NewSend], now: datetime) -> None:
        rows = [
            {
                "id": uuid4(),
                **send.__dict__,
                "state": "pending",
                "reason": None,
                "due_at": now,
                "claimed_at": None,
                "sent_at": None,
                "attempts": 0,
                "created_at": now,
            }
            for send in sends
        ]
        await session.execute(self.sql.insert(Send.__table__).on_conflict_do_nothing(), rows)


STORAGE: PerDialect[SendStorage] = PerDialect(postgresql=PostgresSends(), sqlite=SqliteSends())
