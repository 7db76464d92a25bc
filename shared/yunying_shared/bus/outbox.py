"""Writing events in the caller's transaction: they exist exactly when the state change does."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.tables import BusTables
from yunying_shared.events import Envelope, spec_for

PENDING_FLAG = "yunying.outbox.pending"


async def publish(session: AsyncSession, tables: BusTables, *envelopes: Envelope) -> None:
    if not envelopes:
        return
    now = datetime.now(UTC)
    rows = []
    for envelope in envelopes:
        spec = spec_for(envelope.type)
        rows.append(
            {
                "event_id": envelope.id,
                "topic": spec.topic,
                "key": envelope.subject,
                "value": envelope.to_bytes(),
                "headers": {"ce_type": envelope.type},
                "created_at": now,
            }
        )
    await session.execute(insert(tables.outbox), rows)
    # Read by the relay's after-commit hook, so it wakes at once instead of at its next poll.
    session.info[PENDING_FLAG] = True
