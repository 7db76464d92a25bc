"""Writing events in the caller's transaction: they exist exactly when the state change does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.packed import chunks, headers_text, pack
from yunying_shared.bus.tables import BusTables
from yunying_shared.db.dialects import PerDialect
from yunying_shared.db.driver import driver_connection
from yunying_shared.events import Envelope, spec_for

PENDING_FLAG = "yunying.outbox.pending"
# From this many rows on PostgreSQL, one binary COPY replaces the INSERT of column arrays (a
# `publish` of many envelopes); below it, COPY's extra column-type lookup is not worth it.
COPY_FROM = 1000


async def publish(session: AsyncSession, tables: BusTables, *envelopes: Envelope) -> None:
    """One plain outbox row per event (the request paths' one or few events)."""
    if not envelopes:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": e.id,
            "topic": spec_for(e.type).topic,
            "key": e.subject,
            "value": e.to_bytes(),
            "headers": {"ce_type": e.type},
            "created_at": now,
            "packed": None,
        }
        for e in envelopes
    ]
    await _write(session, tables, rows)


async def publish_encoded(
    session: AsyncSession, tables: BusTables, events: Sequence[tuple[UUID, str, str | None, bytes]]
) -> None:
    """Events already serialized (id, type, key, envelope bytes), e.g. by `encode_envelope` or
    `BulkEncoder`: the bulk paths. A topic's events go into packed rows of up to `PACK_EVENTS`
    each, in the given order (bus/packed.py); a single event stays a plain row."""
    if not events:
        return
    now = datetime.now(UTC)
    by_topic: dict[str, list[tuple[UUID, str, str | None, bytes]]] = {}
    for event in events:
        by_topic.setdefault(spec_for(event[1]).topic, []).append(event)
    headers: dict[str, str] = {}  # per event type, encoded once
    rows = []
    for topic, of_topic in by_topic.items():
        for chunk in chunks(of_topic):
            if len(chunk) == 1:
                ((event_id, event_type, key, value),) = chunk
                rows.append(_plain_row(event_id, topic, key, value, event_type, now))
                continue
            value = pack(
                (key, headers.get(t) or headers.setdefault(t, headers_text(t)), v)
                for _, t, key, v in chunk
            )
            rows.append(
                {
                    "event_id": chunk[0][0],  # the row's first event's: unique like any other
                    "topic": topic,
                    "key": None,
                    "value": value,
                    "headers": {},  # each frame carries its own
                    "created_at": now,
                    "packed": len(chunk),
                }
            )
    await _write(session, tables, rows)


def _plain_row(
    event_id: UUID, topic: str, key: str | None, value: bytes, event_type: str, now: datetime
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "topic": topic,
        "key": key,
        "value": value,
        "headers": {"ce_type": event_type},
        "created_at": now,
        "packed": None,
    }


async def _write(session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]) -> None:
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
    await connection.execute(
        f"INSERT INTO {table} (event_id, topic, key, value, headers, created_at, packed) "
        "SELECT e.event_id, e.topic, e.key, e.value, e.headers::json, $6, e.packed "
        "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[], $7::int[]) "
        "AS e(event_id, topic, key, value, headers, packed)",
        [r["event_id"] for r in rows],
        [r["topic"] for r in rows],
        [r["key"] for r in rows],
        [r["value"] for r in rows],
        _headers_texts(rows),
        rows[0]["created_at"],
        [r["packed"] for r in rows],
    )


async def _copy(session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]) -> None:
    """The same rows by COPY, on the raw connection of the session's transaction."""
    connection = await driver_connection(session)
    columns = ["event_id", "topic", "key", "value", "headers", "created_at", "packed"]
    records = [
        (r["event_id"], r["topic"], r["key"], r["value"], headers, r["created_at"], r["packed"])
        for r, headers in zip(rows, _headers_texts(rows), strict=True)
    ]
    await connection.copy_records_to_table(
        tables.outbox.name, schema_name=tables.outbox.schema, columns=columns, records=records
    )


def _headers_texts(rows: list[dict[str, Any]]) -> list[str]:
    """Each row's headers as JSON text; rows of one event type share theirs, encoded once."""
    encoded: dict[str | None, str] = {}
    texts = []
    for r in rows:
        ce_type = r["headers"].get("ce_type")
        text = encoded.get(ce_type)
        if text is None:
            text = encoded[ce_type] = json.dumps(r["headers"])
        texts.append(text)
    return texts


class _OutboxWriter(Protocol):
    async def __call__(
        self, session: AsyncSession, tables: BusTables, rows: list[dict[str, Any]]
    ) -> None: ...


_WRITERS: PerDialect[_OutboxWriter] = PerDialect(postgresql=_write_postgres, sqlite=_write_sqlite)
