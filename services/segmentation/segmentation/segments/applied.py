"""PostgreSQL: membership changes applied, counted and published inside the database.

The evaluation (segments/diff.py, or a saved segment's whole-workspace pass) puts the
(segment, user, matches now) pairs whose verdict differs from the stored membership into a
temporary table of this transaction. One statement then does everything else set-wise:

- inserts the entering pairs (`ON CONFLICT DO NOTHING RETURNING`) and deletes the leaving ones
  (`DELETE … RETURNING`), so only rows this statement actually changed count: a concurrent
  evaluator that raced us to the same change publishes it, we do not. A bulk caller (a
  re-score, a segment's save: millions of inserts, rarely a concurrent writer) inserts without
  ON CONFLICT in a savepoint, a fifth less CPU per insert (no speculative insertion: no probe
  before the row, no confirmation record after it), and runs the statement again guarded when
  another transaction committed one of its pairs since the diff (a unique violation): the
  same rows then count, the same events go out;
- waits for other transactions in one order only, the primary key's (user_id, segment_id), so two of
  them touching the same pairs (a window sweep and an ingest batch) queue instead of deadlocking:
  the inserts go in that order, and the leaving rows are locked in it (`locked`: the sorted pairs
  probed and locked one by one) before any is deleted. A DELETE joined straight to the staged pairs
  would lock in whatever order its join plan yields. An insert waits only for a key another
  transaction inserted or deleted, a lock only for a row another transaction locked; each goes in
  key order, and a transaction locks (then deletes) only once its inserts are done (`moved` reads
  `ins` first), so no wait closes a cycle;
- writes one event per real change, compact: per segment and up to `PACK_EVENTS` of its
  changes one expanded outbox row (segments/compact.py) holding each change's event id, way,
  entry time and user id, the segment's id and name and what the events share once in its
  headers; the relay builds the envelopes, with the bytes `make_event(...).to_bytes()` gives (a
  test compares them), when it publishes the row. Built here by string concatenation, the
  envelopes were a third of this statement's CPU per change at 0.86 M memberships and a sixth
  at 8.5 M (docs/BENCHMARKS.md, #11 session 7); a row per event cost ~1.3 kB of WAL per change;
- appends the day's entered/exited counts per segment (segments/days.py);
- answers per (entered?, segment) the count, and the user ids when the caller wants them.

No pair, event or count crosses into Python: at a first scoring's millions of changes the
Python side (tuples, sorting, encoding) was most of the time; here the cost is the rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Boolean, Column, MetaData, Table, Text, Uuid
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.segments.compact import row_headers
from segmentation.segments.writes import Changes
from yunying_shared.bus.outbox import PENDING_FLAG
from yunying_shared.bus.packed import EXPANDED_MARK, PACK_EVENTS
from yunying_shared.db import driver_connection
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED

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

_APPLY = f"""
WITH ins AS (
    INSERT INTO segment_memberships (segment_id, user_id, workspace_id, entered_at)
    SELECT segment_id, user_id, $1, $2 FROM segment_changes WHERE matches
    ORDER BY user_id, segment_id
    {{on_conflict}}
    RETURNING segment_id, user_id, entered_at
), locked AS MATERIALIZED (
    -- one primary-key probe per leaving pair, in key order, and the rows deleted by their
    -- tuple ids: joined to the pairs, the lock and the DELETE were each planned as a hash of
    -- the whole membership table (no statistics on the temporary table; every page cached),
    -- seconds at millions of memberships. A LATERAL with its own FOR UPDATE is always a nested
    -- loop, and `ctid = ANY(array)` always a TID scan.
    SELECT s.ctid
    FROM (SELECT segment_id, user_id FROM segment_changes WHERE NOT matches
          ORDER BY user_id, segment_id) AS c
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
    SELECT true AS entered, * FROM ins
    UNION ALL
    SELECT false, * FROM del
), frames AS (
    -- a row per segment and PACK_EVENTS of its changes (segments/compact.py): one statement
    -- moves a (segment, user) pair at most once, so no two of its events need an order
    SELECT m.segment_id, count(*) AS events, string_agg(
        uuid_send(gen_random_uuid())
        || CASE WHEN m.entered THEN '\\x01'::bytea ELSE '\\x00'::bytea END
        || timestamptz_send(m.entered_at) || int4send(octet_length(m.u)) || m.u, ''::bytea
    ) AS value
    FROM (SELECT segment_id, entered, entered_at, convert_to(user_id, 'UTF8') AS u,
              (row_number() OVER (PARTITION BY segment_id) - 1) / {PACK_EVENTS} AS chunk
          FROM moved) AS m
    GROUP BY m.segment_id, m.chunk
), events AS (
    INSERT INTO outbox (event_id, topic, key, value, headers, created_at, packed)
    SELECT gen_random_uuid(), $3, NULL, $4::bytea || f.value,
        ($5::jsonb || jsonb_build_object('segment_id', f.segment_id, 'segment_name', s.name))::json,
        $6, f.events
    FROM frames AS f JOIN segments AS s ON s.id = f.segment_id
), counts AS (
    INSERT INTO segment_day_changes (segment_id, day, workspace_id, entered, exited)
    SELECT segment_id, $7, $1, count(*) FILTER (WHERE entered), count(*) FILTER (WHERE NOT entered)
    FROM moved GROUP BY segment_id
)
SELECT entered, segment_id, count(*), {{users}} FROM moved GROUP BY entered, segment_id
"""
_USERS = {True: 'array_agg(user_id ORDER BY user_id COLLATE "C")', False: "NULL::text[]"}
# (keep users?, guarded?) -> the statement. Unguarded, the inserts skip the speculative
# insertion ON CONFLICT costs per row (a probe of the key before the insert and a confirmation
# record after it); the transaction then needs to know no other one inserted a staged pair
# since the diff (apply_changes' savepoint).
_STATEMENTS = {
    (keep, guarded): _APPLY.replace("{users}", _USERS[keep]).replace(
        "{on_conflict}", "ON CONFLICT (segment_id, user_id) DO NOTHING" if guarded else ""
    )
    for keep in (True, False)
    for guarded in (True, False)
}
_UNIQUE_VIOLATION = "23505"


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
    bulk: bool = False,
) -> None:
    """Write, count and publish the staged pairs; records them in `changes`. `bulk`: many
    changes and rarely a concurrent writer of the same pairs (a re-score, a segment's save):
    the inserts go unguarded in a savepoint, guarded again only if another transaction raced."""
    connection = await driver_connection(session)
    arguments = (
        workspace_id,
        now,
        USER_SEGMENT_ENTERED.topic,
        EXPANDED_MARK,
        json.dumps(row_headers(workspace_id, now, reason)),
        datetime.now(UTC),
        now.astimezone(UTC).date(),
    )
    if not bulk:
        rows = await connection.fetch(_STATEMENTS[changes.keep_users, True], *arguments)
    else:
        # The staged entering pairs were not stored when the diff read them; only a transaction
        # that committed one since (a concurrent ingest batch, a sweep) makes a plain insert fail,
        # and then the statement runs again guarded: everything it did went with the savepoint.
        await connection.execute("SAVEPOINT bulk_apply")
        try:
            rows = await connection.fetch(_STATEMENTS[changes.keep_users, False], *arguments)
        except Exception as error:
            if getattr(error, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
            await connection.execute("ROLLBACK TO SAVEPOINT bulk_apply")
            rows = await connection.fetch(_STATEMENTS[changes.keep_users, True], *arguments)
        await connection.execute("RELEASE SAVEPOINT bulk_apply")
    for came, segment_id, count, users in rows:
        changes.add(segment_id, came, count, users)
    if rows:
        session.info[PENDING_FLAG] = True  # the relay's after-commit hook wakes at once
