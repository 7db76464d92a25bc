"""Reading what an outbox holds in tests: one entry per event, packed rows expanded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.packed import events_of
from yunying_shared.bus.tables import BusTables


@dataclass(frozen=True)
class OutboxEvent:
    seq: int  # the row's: events of one packed row share it
    topic: str
    key: str | None
    value: bytes
    headers: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.headers["ce_type"])

    def envelope(self) -> dict[str, Any]:
        return dict(json.loads(self.value))


async def outbox_events(
    session: AsyncSession, tables: BusTables, *, after_seq: int = 0
) -> list[OutboxEvent]:
    """Every event in the outbox in publishing order (rows with `seq` > `after_seq`)."""
    outbox = tables.outbox
    rows = await session.execute(
        select(
            outbox.c.seq,
            outbox.c.topic,
            outbox.c.key,
            outbox.c.value,
            outbox.c.headers,
            cast(outbox.c.headers, Text).label("headers_text"),
            outbox.c.packed,
        )
        .where(outbox.c.seq > after_seq)
        .order_by(outbox.c.seq)
    )
    events = []
    for row in rows:
        if row.packed is None:
            events.append(OutboxEvent(row.seq, row.topic, row.key, row.value, row.headers))
            continue
        events.extend(
            OutboxEvent(row.seq, row.topic, e.key, e.value, json.loads(e.headers))
            for e in events_of(row.value, row.headers_text)
        )
    return events
