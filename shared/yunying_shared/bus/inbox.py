"""The inbox: an event id is recorded in the same transaction as its effects, so a redelivered
event finds its id already there and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.tables import BusTables
from yunying_shared.db.dialects import sql_dialect


async def claim(
    session: AsyncSession, tables: BusTables, *, consumer: str, event_id: UUID, event_type: str
) -> bool:
    """True when this consumer has not processed the event before (and now owns it)."""
    seen = await session.scalar(
        select(tables.inbox.c.event_id).where(
            tables.inbox.c.consumer == consumer, tables.inbox.c.event_id == event_id
        )
    )
    if seen is not None:
        return False
    # A concurrent duplicate would fail here on the primary key and roll back whole.
    await session.execute(
        tables.inbox.insert().values(
            consumer=consumer,
            event_id=event_id,
            event_type=event_type,
            processed_at=datetime.now(UTC),
        )
    )
    return True


async def claim_many(
    session: AsyncSession, tables: BusTables, *, consumer: str, events: list[tuple[UUID, str]]
) -> set[UUID]:
    """The ids among `events` this consumer has not processed before (and now owns).

    One round trip: INSERT ... ON CONFLICT DO NOTHING RETURNING names the rows that were new.
    An id another transaction is claiming at this moment waits for that one's outcome.
    """
    if not events:
        return set()
    now = datetime.now(UTC)
    new: dict[UUID, str] = {}
    for event_id, event_type in events:
        new.setdefault(event_id, event_type)
    claimed = await sql_dialect(session).insert_new(
        session,
        tables.inbox,
        ("consumer", "event_id", "event_type", "processed_at"),
        [(consumer, event_id, event_type, now) for event_id, event_type in new.items()],
        returning="event_id",
    )
    return set(claimed)
