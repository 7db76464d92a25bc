"""The inbox: an event id is recorded in the same transaction as its effects, so a redelivered
event finds its id already there and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.tables import BusTables


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
    """The ids among `events` this consumer has not processed before (and now owns)."""
    if not events:
        return set()
    ids = {event_id for event_id, _ in events}
    seen = set(
        (await session.scalars(
            select(tables.inbox.c.event_id).where(
                tables.inbox.c.consumer == consumer, tables.inbox.c.event_id.in_(ids)))).all()
    )
    now = datetime.now(UTC)
    new: dict[UUID, str] = {}
    for event_id, event_type in events:
        if event_id not in seen:
            new.setdefault(event_id, event_type)
    if new:
        await session.execute(insert(tables.inbox), [
            {"consumer": consumer, "event_id": event_id, "event_type": event_type,
             "processed_at": now}
            for event_id, event_type in new.items()
        ])
    return set(new)
