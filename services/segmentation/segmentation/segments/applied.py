"""PostgreSQL: membership changes applied, counted and published inside the database.

The evaluation (segments/diff.py, or a saved segment's whole-workspace pass) puts the
(segment, user, matches now) pairs whose verdict differs from the stored membership into a
temporary table of this transaction. One statement then does everything else set-wise:

- inserts the entering pairs (`ON CONFLICT DO NOTHING RETURNING`) and deletes the leaving ones
  (`DELETE … RETURNING`), so only rows this statement actually changed count: a concurrent
  evaluator that raced us to the same change publishes it, we do not;
- waits for other transactions in one order only, (segment_id, user_id), so two of them
  touching the same pairs (a window sweep and an ingest batch) queue instead of deadlocking:
  the inserts go in that order, and the leaving rows are locked in it (`locked`: the sorted
  pairs probed and locked one by one) before any is deleted. A DELETE joined straight to the
  staged pairs would lock in whatever order its join plan yields. An insert waits only for a
  key another transaction inserted or deleted, a lock only for a row another transaction
  locked; each goes in key order, and a transaction locks (then deletes) only once its inserts
  are done (`moved` reads `ins` first), so no wait closes a cycle;
- writes one event per real change, the envelope built by string concatenation in SQL with
  the same bytes `make_event(...).to_bytes()` gives (constants encoded here by `json.dumps`,
  per-row strings by `to_json`, which escapes as Python's json does; a test compares them),
  packed up to `PACK_EVENTS` per outbox row (yunying_shared.bus.packed: the relay publishes
  each as its own Kafka record). A row per event cost ~1.3 kB of WAL per change, most of a
  first scoring's write volume;
- appends the day's entered/exited counts per segment (segments/days.py);
- answers per (entered?, segment) the count, and the user ids when the caller wants them.

No pair, event or count crosses into Python: at a first scoring's millions of changes the
Python side (tuples, sorting, encoding) was most of the time; here the cost is the rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Column, MetaData, Table, Text, Uuid
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.segments.writes import SOURCE, Changes
from yunying_shared.bus.outbox import PENDING_FLAG
from yunying_shared.bus.packed import PACK_EVENTS, headers_field, headers_text
from yunying_shared.db import driver_connection
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED, USER_SEGMENT_EXITED, causation

# Not in the service's metadata: created per connection, never migrated.
CHANGES = Table(
    "segment_changes",
    MetaData(),
    Column("segment_id", Uuid, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("matches", Boolean, nullable=False),
    prefixes=["TEMPORARY"],
)
# Rows never outlive a transaction: the apply statement deletes what it read, a rollback
# discards the rest.
_CREATE = (
    "CREATE TEMP TABLE IF NOT EXISTS segment_changes "
    "(segment_id uuid NOT NULL, user_id text NOT NULL, matches boolean NOT NULL) "
    "ON COMMIT DELETE ROWS"
)

# A timestamp as pydantic writes it in JSON: UTC, 'Z', microseconds only when not zero.
_ISO = """(to_char(m.entered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN date_part('microseconds', m.entered_at)::int % 1000000 = 0 THEN ''
            ELSE to_char(m.entered_at AT TIME ZONE 'UTC', '.US') END || 'Z')"""

_APPLY = f"""
WITH ins AS (
    INSERT INTO segment_memberships (segment_id, user_id, workspace_id, entered_at)
    SELECT segment_id, user_id, $1, $2 FROM segment_changes WHERE matches
    ORDER BY segment_id, user_id
    ON CONFLICT (segment_id, user_id) DO NOTHING
    RETURNING segment_id, user_id, entered_at
), locked AS MATERIALIZED (
    -- one primary-key probe per leaving pair, in key order, and the rows deleted by their
    -- tuple ids: joined to the pairs, the lock and the DELETE were each planned as a hash of
    -- the whole membership table (no statistics on the temporary table; every page cached),
    -- seconds at millions of memberships. A LATERAL with its own FOR UPDATE is always a nested
    -- loop, and `ctid = ANY(array)` always a TID scan.
    SELECT s.ctid
    FROM (SELECT segment_id, user_id FROM segment_changes WHERE NOT matches
          ORDER BY segment_id, user_id) AS c
    CROSS JOIN LATERAL (
        SELECT s.ctid FROM segment_memberships AS s
        WHERE s.segment_id = c.segment_id AND s.user_id = c.user_id
        FOR UPDATE
    ) AS s
), del AS (
    DELETE FROM segment_memberships WHERE ctid = ANY (ARRAY(SELECT ctid FROM locked))
    RETURNING segment_id, user_id, entered_at
), cleared AS (
    DELETE FROM segment_changes
), moved AS (
    SELECT gen_random_uuid() AS event_id, true AS entered, * FROM ins
    UNION ALL
    SELECT gen_random_uuid(), false, * FROM del
), numbered AS (
    -- the number only orders frames within a packed row: one statement moves a (segment,
    -- user) pair at most once, so no two of its events need an order between them
    SELECT (row_number() OVER () - 1) / {PACK_EVENTS} AS chunk, row_number() OVER () AS n,
        m.*, s.name
    FROM moved AS m JOIN segments AS s ON s.id = m.segment_id
), events AS (
    -- the frames of bus/packed.py, up to PACK_EVENTS per outbox row; the envelope is built in
    -- the aggregate's argument, so what is grouped is the small moved rows, not the envelopes
    INSERT INTO outbox (event_id, topic, key, value, headers, created_at, packed)
    SELECT gen_random_uuid(), $3, NULL, string_agg(
        int4send(octet_length(convert_to(m.user_id, 'UTF8'))) || convert_to(m.user_id, 'UTF8')
        || CASE WHEN m.entered THEN $9::bytea ELSE $10::bytea END
        || int4send(octet_length(m.envelope)) || m.envelope, ''::bytea ORDER BY m.n),
        '{{}}'::json, $11, count(*)
    FROM (SELECT chunk, n, user_id, entered, convert_to(
        '{{"id":"' || m.event_id::text
        || CASE WHEN m.entered THEN $4 ELSE $5 END
        || to_json(m.user_id)::text || $6 || to_json(m.user_id)::text
        || ',"segment_id":"' || m.segment_id::text
        || '","segment_name":' || to_json(m.name)::text
        || CASE WHEN m.entered THEN $7 ELSE ',"entered_at":"' || {_ISO} || $8 END,
        'UTF8') AS envelope FROM numbered AS m) AS m
    GROUP BY m.chunk
), counts AS (
    INSERT INTO segment_day_changes (segment_id, day, workspace_id, entered, exited)
    SELECT segment_id, $12, $1, count(*) FILTER (WHERE entered), count(*) FILTER (WHERE NOT entered)
    FROM moved GROUP BY segment_id
)
SELECT entered, segment_id, count(*), {{users}} FROM moved GROUP BY entered, segment_id
"""
_APPLY_KEEPING_USERS = _APPLY.replace("{users}", 'array_agg(user_id ORDER BY user_id COLLATE "C")')
_APPLY_COUNTING = _APPLY.replace("{users}", "NULL::text[]")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _timestamp(value: datetime) -> str:
    """As pydantic's JSON mode writes an aware datetime in UTC."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def _envelope_parts(workspace_id: UUID, now: datetime, reason: str) -> list[str]:
    """The constant stretches of both events' bytes, around the per-row strings."""
    sent = _timestamp(datetime.now(UTC))  # the envelope's `time`, as make_event stamps it
    correlationid, causationid = causation()
    traced = "".join(
        f',"{name}":{_json(value)}'
        for name, value in (("correlationid", correlationid), ("causationid", causationid))
        if value is not None
    )

    def head(event_type: str) -> str:  # from after the id to the subject
        return (
            f'","source":{_json(SOURCE)},"type":{_json(event_type)},'
            f'"specversion":"1.0","time":"{sent}","subject":'
        )

    at = _timestamp(now)
    return [
        head(USER_SEGMENT_ENTERED.type),
        head(USER_SEGMENT_EXITED.type),
        f',"datacontenttype":"application/json","workspace":"{workspace_id}"{traced},'
        '"data":{"user_id":',
        f',"entered_at":"{at}","reason":{_json(reason)}}}}}',
        f'","exited_at":"{at}","reason":{_json(reason)}}}}}',
    ]


async def create_changes_table(session: AsyncSession) -> None:
    """The transaction's table of changed pairs (kept by the connection once created)."""
    await (await session.connection()).exec_driver_sql(_CREATE)


async def apply_changes(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    now: datetime,
    reason: str,
    changes: Changes,
) -> None:
    """Write, count and publish the staged pairs; records them in `changes`."""
    entered, exited, between, entered_tail, exited_tail = _envelope_parts(workspace_id, now, reason)
    connection = await driver_connection(session)
    rows = await connection.fetch(
        _APPLY_KEEPING_USERS if changes.keep_users else _APPLY_COUNTING,
        workspace_id,
        now,
        USER_SEGMENT_ENTERED.topic,
        entered,
        exited,
        between,
        entered_tail,
        exited_tail,
        headers_field(headers_text(USER_SEGMENT_ENTERED.type)),
        headers_field(headers_text(USER_SEGMENT_EXITED.type)),
        datetime.now(UTC),
        now.astimezone(UTC).date(),
    )
    for came, segment_id, count, users in rows:
        changes.add(segment_id, came, count, users)
    if rows:
        session.info[PENDING_FLAG] = True  # the relay's after-commit hook wakes at once
