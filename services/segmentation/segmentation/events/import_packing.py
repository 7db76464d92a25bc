"""A history import chunk on PostgreSQL: COPY into a staging table, then one set-based statement.

The worker process that validates a chunk also writes its valid events as COPY text rows
(`stage_rows`), so the importing process only sends one buffer. In the chunk's transaction the
rows are copied into a temporary table (no WAL) and one statement takes them out, inserts
them into `user_events` (`ON CONFLICT DO NOTHING`: re-importing a file stores nothing twice) and
folds exactly the rows it inserted into their users' profiles, grouped per user in SQL: the same
sums, counts and min/max as `events.aggregate.per_user` and the same upsert as live ingestion
(`events.storage`), with no event ids or aggregates travelling back to Python. Only the ids of
inserted events whose type has a tag rule come back (for `apply_tag_rules`; usually none).
"""

from __future__ import annotations

import io
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.schemas import ValidEvent
from segmentation.events.storage import PG_PROFILE_FOLD
from yunying_shared.db import driver_connection

STAGING = "history_import_staging"
NULL = "\\N"  # COPY text's NULL
_STAGING_COLUMNS = (
    "event_id",
    "user_id",
    "type",
    "occurred_at",
    "amount",
    "currency",
    "order_id",
    "properties",
)
# Per connection, once: a later chunk on the same connection finds it (IF NOT EXISTS). The
# statement below empties it as it reads it (a temporary table writes no WAL either way).
_CREATE_STAGING = f"""
    CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} (
        event_id text, user_id text, type text, occurred_at timestamptz, amount numeric,
        currency text, order_id text, properties json
    )
"""
# Profiles in user id order by code point (as Python sorts them for live ingestion), so an
# import and live batches lock shared profiles in one order. The ON CONFLICT clause is live
# ingestion's (events.storage.PG_PROFILE_FOLD): NULL-ignoring min/max, sums added; and each
# profile is stamped with the import's start (`imported_at`), how the finish finds its users.
_STORE_STAGED = f"""
    WITH staged AS (
        DELETE FROM {STAGING} RETURNING *
    ), inserted AS (
        INSERT INTO user_events (workspace_id, event_id, user_id, type, occurred_at,
                                 received_at, amount, currency, order_id, properties)
        SELECT $1, event_id, user_id, type, occurred_at, $2, amount, currency, order_id,
               properties
        FROM staged
        ON CONFLICT (workspace_id, event_id) DO NOTHING
        RETURNING event_id, user_id, type, occurred_at, amount
    ), folded AS (
        INSERT INTO profiles AS p (workspace_id, user_id, first_seen_at, last_active_at,
            last_login_at, first_purchase_at, last_purchase_at, order_count, refund_count,
            monetary_total, identities, extra, complaint_reasons, source, stage, created_at,
            updated_at, imported_at)
        SELECT $1, user_id, min(occurred_at), max(occurred_at),
               max(occurred_at) FILTER (WHERE type = 'login'),
               min(occurred_at) FILTER (WHERE type = 'purchase'),
               max(occurred_at) FILTER (WHERE type = 'purchase'),
               count(*) FILTER (WHERE type = 'purchase'),
               count(*) FILTER (WHERE type = 'refund'),
               sum(CASE type WHEN 'purchase' THEN coalesce(amount, 0)
                             WHEN 'refund' THEN -coalesce(amount, 0) ELSE 0 END),
               '{{}}', '{{}}', '[]', 'organic', 'potential', $3, $3, $2
        FROM inserted
        GROUP BY user_id
        ORDER BY user_id COLLATE "C"
        {PG_PROFILE_FOLD},
        imported_at = excluded.imported_at
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM inserted),
           (SELECT coalesce(array_agg(event_id), '{{}}') FROM inserted
            WHERE type = ANY($4::text[]))
"""


@dataclass(frozen=True)
class StagedRows:
    """A chunk's valid events as COPY text (tab-separated, `\\N` for NULL)."""

    data: bytes
    count: int


def _text(value: str) -> str:
    # Validated texts and JSON hold no control characters (no tab or newline to escape); a
    # backslash is COPY's escape character, so it is doubled.
    return value.replace("\\", "\\\\") if "\\" in value else value


def _optional(value: str | None) -> str:
    return NULL if value is None else _text(value)


def stage_rows(events: Sequence[ValidEvent]) -> StagedRows:
    """The events as the staging table's COPY text, in `_STAGING_COLUMNS` order."""
    lines = [
        f"{_text(e.event_id)}\t{_text(e.user_id)}\t{_text(e.type)}\t{e.occurred_at.isoformat()}"
        f"\t{NULL if e.amount is None else e.amount}\t{_optional(e.currency)}"
        f"\t{_optional(e.order_id)}\t{_text(e.properties_json or json.dumps(e.properties))}\n"
        for e in events
    ]
    return StagedRows("".join(lines).encode(), len(lines))


async def store_staged(
    session: AsyncSession,
    workspace_id: UUID,
    rows: StagedRows,
    *,
    received_at: datetime,
    now: datetime,
    tagged_types: Collection[str],
) -> tuple[int, set[str]]:
    """Stores the staged events not seen before and folds them into profiles; returns how many
    were stored and the ids of those among them whose type is in `tagged_types`."""
    connection = await driver_connection(session)
    await connection.execute(_CREATE_STAGING)
    await connection.copy_to_table(
        STAGING, source=io.BytesIO(rows.data), columns=_STAGING_COLUMNS, format="text"
    )
    stored, tagged = await connection.fetchrow(
        _STORE_STAGED, workspace_id, received_at, now, list(tagged_types)
    )
    return int(stored), set(tagged)
