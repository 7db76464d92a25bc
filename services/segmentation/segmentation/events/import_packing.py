"""A history import chunk's PostgreSQL columns, joined where the chunk is prepared.

Live ingestion packs its columns (`yunying_shared.db.packed`) in the process that holds the
connection; an import prepares its next chunk in a worker process on the other core while the
database stores the current one, so the worker also joins the texts (formatting 10,000
timestamps per 5,000-event chunk is a third of the chunk's client CPU) and the importing process
only sends them. The statements are live ingestion's own (`events.storage`), so both write the
same rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.aggregate import Aggregate
from segmentation.events.schemas import ValidEvent
from segmentation.events.storage import _PG_INSERT_EVENTS, _PG_UPSERT_PROFILES
from yunying_shared.db import driver_connection
from yunying_shared.db.packed import packed, packed_numbers, packed_times


@dataclass(frozen=True)
class PackedChunk:
    events: tuple[str, ...]  # event id, user, type, occurred at, amount, currency, order, props
    profiles: tuple[str, ...]  # user, the five timestamps, orders, refunds, net spend


def pack_chunk(
    events: Sequence[ValidEvent], aggregates: Sequence[tuple[str, Aggregate]]
) -> PackedChunk:
    users = [a for _, a in aggregates]
    return PackedChunk(
        events=(
            packed([e.event_id for e in events]),
            packed([e.user_id for e in events]),
            packed([e.type for e in events]),
            packed_times([e.occurred_at for e in events]),
            packed_numbers([e.amount for e in events]),
            packed([e.currency for e in events]),
            packed([e.order_id for e in events]),
            packed([e.properties_json or json.dumps(e.properties) for e in events]),
        ),
        profiles=(
            packed([user_id for user_id, _ in aggregates]),
            packed_times([a.first_seen_at for a in users]),
            packed_times([a.last_active_at for a in users]),
            packed_times([a.last_login_at for a in users]),
            packed_times([a.first_purchase_at for a in users]),
            packed_times([a.last_purchase_at for a in users]),
            packed_numbers([a.order_count for a in users]),
            packed_numbers([a.refund_count for a in users]),
            packed_numbers([a.monetary for a in users]),
        ),
    )


async def insert_packed_events(
    session: AsyncSession, workspace_id: UUID, chunk: PackedChunk, received_at: datetime
) -> set[str]:
    """Stores the events not seen before (by event id); returns their event ids."""
    connection = await driver_connection(session)
    rows = await connection.fetch(_PG_INSERT_EVENTS, workspace_id, received_at, *chunk.events)
    return {row[0] for row in rows}


async def upsert_packed_profiles(
    session: AsyncSession, workspace_id: UUID, chunk: PackedChunk, now: datetime
) -> None:
    """Folds the chunk into its users' profiles (every event of the chunk was new)."""
    connection = await driver_connection(session)
    await connection.execute(_PG_UPSERT_PROFILES, workspace_id, now, *chunk.profiles)
