"""Writing events in the caller's transaction: they exist exactly when the state change does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.tables import BusTables
from yunying_shared.db.dialects import PerDialect
from yunying_shared.db.driver import driver_connection
from yunying_shared.events import Envelope, spec_for

PENDING_FLAG = "yunying.outbox.pending"
# From this many events on PostgreSQL, one binary COPY replaces the multi-row INSERTs (a re-score
# publishing 100,000 transitions); below it, COPY's extra column-type lookup is not worth it.
COPY_FROM = 1000


async def publish(session: AsyncSession, tables: BusTables, *envelopes: Envelope) -> None:
    await publish_encoded(
        session, tables, [(e.id, e.type, e.subject, e.to_bytes()) for e in envelopes]
    )


async def publish_encoded(
    session: AsyncSession, tables: BusTables, events: Sequence[tuple[UUID, str, str | None, bytes]]
) -> None:
    """Events already serialized (id, type, key, envelope bytes), e.g. by `encode_envelope`."""
    if not events:
        return
    now = datetime.now(UTC)
    rows = []
    for event_id, event_type, key, value in events:
        rows.append(
            {
                "event_id": event_id,
                "topic": spec_for(event_type).topic,
                "key": key,
                "value": value,
                "headers": {"ce_type": event_type},
                "created_at": now,
            }
        )
    await _WRITERS.of(session)(session, tables, rows)
    # Read by the relay's after-commit hook, so it wakes at once instead of at its next poll.
    session.info[PENDING_FLAG] = True


async def _write_postgres(
    session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]
) -> None:
    if len(rows) >= COPY_FROM:
        await _copy(session, tables, rows)
    else:
        await _insert_arrays(session, tables, rows)


async def _write_sqlite(
    session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]
) -> None:
    await session.execute(insert(tables.outbox), rows)


async def _insert_arrays(
    session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]
) -> None:
    """The same rows as one INSERT of column arrays: SQLAlchemy's executemany of a few hundred
    rows (a segmentation batch's membership events) cost more client CPU than the insert."""
    connection = await driver_connection(session)
    table = (
        tables.outbox.name
        if tables.outbox.schema is None
        else (f"{tables.outbox.schema}.{tables.outbox.name}")
    )
    encoded: dict[str, str] = {}
    headers = [
        encoded.get(r["headers"]["ce_type"])
        or encoded.setdefault(r["headers"]["ce_type"], json.dumps(r["headers"]))
        for r in rows
    ]
    await connection.execute(
        f"INSERT INTO {table} (event_id, topic, key, value, headers, created_at) "
        "SELECT e.event_id, e.topic, e.key, e.value, e.headers::json, $6 "
        "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[]) "
        "AS e(event_id, topic, key, value, headers)",
        [r["event_id"] for r in rows],
        [r["topic"] for r in rows],
        [r["key"] for r in rows],
        [r["value"] for r in rows],
        headers,
        rows[0]["created_at"],
    )


async def _copy(session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]) -> None:
    """The same rows by COPY, on the raw connection of the session's transaction."""
    connection = await driver_connection(session)
    columns = ["event_id", "topic", "key", "value", "headers", "created_at"]
    encoded: dict[str, str] = {}  # headers differ only by event type: encode each once
    records = []
    for r in rows:
        ce_type = r["headers"]["ce_type"]
        headers = encoded.get(ce_type) or encoded.setdefault(ce_type, json.dumps(r["headers"]))
        records.append((r["event_id"], r["topic"], r["key"], r["value"], headers, r["created_at"]))
    await connection.copy_records_to_table(
        tables.outbox.name, schema_name=tables.outbox.schema, columns=columns, records=records
    )


class _OutboxWriter(Protocol):
    async def __call__(
        self, session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]
    ) -> None: ...


_WRITERS: PerDialect[_OutboxWriter] = PerDialect(postgresql=_write_postgres, sqlite=_write_sqlite)
