"""The outbox relay: publishes committed outbox rows in order and marks them sent after the ack.

No transaction is held while waiting for the broker, so a broker outage never blocks writers;
the rows simply wait. A row published but not yet marked (crash in between) is published again,
and consumers' inboxes drop the duplicate. On PostgreSQL one relay per service database is
active at a time (an advisory lock), so per-key order holds with several replicas.

Its connections come from the database's background pool (`Database.background_engine`), not
the requests' pool: requests holding every pooled connection would otherwise hold back every
event their own transactions committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import (
    BigInteger,
    Select,
    Table,
    Text,
    cast,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from yunying_shared.bus.outbox import PENDING_FLAG
from yunying_shared.bus.packed import events_of
from yunying_shared.bus.tables import BusTables
from yunying_shared.bus.transport import Headers, Message, Transport
from yunying_shared.db.engine import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)

PUBLISHED = Counter("yunying_outbox_published_total", "Outbox events published", ["service"])
BACKLOG = Gauge("yunying_outbox_backlog", "Outbox events waiting for the broker", ["service"])
PUBLISH_FAILURES = Counter(
    "yunying_outbox_publish_failures_total", "Failed relay publish attempts", ["service"]
)

RETENTION = timedelta(days=1)
# The retention DELETE scans the outbox (published_at has no index): once a minute, not per batch.
CLEAN_EVERY = 60.0
BACKLOG_EVERY = 1.0  # seconds between backlog counts while the relay is busy


class Relay:
    def __init__(
        self,
        *,
        service: str,
        database: Database,
        tables: BusTables,
        transport: Transport,
        batch_size: int = 500,
        idle_seconds: float = 0.2,
    ) -> None:
        self.service = service
        self._database = database
        self._outbox = tables.outbox
        self._transport = transport
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock_conn: AsyncConnection | None = None
        self._headers: dict[str, Headers] = {}
        self._cleaned = time.monotonic()
        self._backlog_counted = 0.0
        self._lock_key = zlib.crc32(f"yunying-relay-{service}".encode())
        self._pending_batch = self._pending_batch_query()
        event.listen(database.sync_session_class, "after_commit", self._after_commit)

    def _after_commit(self, session: Any) -> None:
        if session.info.pop(PENDING_FLAG, False):
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.service}")

    async def stop(self) -> None:
        event.remove(self._database.sync_session_class, "after_commit", self._after_commit)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._release_leadership()

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                if not await self._hold_leadership():
                    await asyncio.sleep(1.0)
                    continue
                published = await self.publish_pending()
                failures = 0
            except Exception as exc:  # broker or database down: wait, then try again
                failures += 1
                PUBLISH_FAILURES.labels(self.service).inc()
                log.warning("relay publish failed", service=self.service, error=repr(exc))
                await self._release_leadership()
                with contextlib.suppress(Exception):  # the backlog is what operators watch now
                    await self.refresh_backlog()
                await asyncio.sleep(min(0.1 * 2**failures, 5.0))
                continue
            if published < self._batch_size:
                await self._idle()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_seconds)
        self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; returns how many were published."""
        if self._lock_conn is not None:
            # the leader's own connection: no pool checkout, and a statement that fails on it
            # means the lock's session died, which ends the leadership (see `_run`)
            return await self._publish_batch(self._lock_conn)
        async with self._database.background_engine.connect() as conn:
            return await self._publish_batch(conn)

    async def _publish_batch(self, conn: AsyncConnection) -> int:
        rows = (await conn.execute(self._pending_batch)).all()
        await conn.commit()  # no transaction stays open while the broker is waited for
        if not rows:
            BACKLOG.labels(self.service).set(0)
            return 0
        messages = self._messages(rows)
        await self._transport.publish(messages)
        await self._mark_sent(conn, [row.seq for row in rows])
        PUBLISHED.labels(self.service).inc(len(messages))
        if len(messages) < self._batch_size:
            BACKLOG.labels(self.service).set(0)  # caught up as of the read
        elif time.monotonic() - self._backlog_counted > BACKLOG_EVERY:
            await self.refresh_backlog()  # a count over the pending index: not every batch
        return len(messages)

    def _pending_batch_query(self) -> Select[Any]:
        """The oldest pending rows holding up to `batch_size` events (always at least one row):
        a packed row counts as its events, so a batch of packed rows stays bounded."""
        outbox = self._outbox
        oldest = (
            select(
                outbox.c.seq,
                outbox.c.topic,
                outbox.c.key,
                outbox.c.value,
                # as text: rows of one event type share it, so it is parsed once
                cast(outbox.c.headers, Text).label("headers"),
                outbox.c.packed,
                func.sum(_events(outbox)).over(order_by=outbox.c.seq).label("through"),
            )
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self._batch_size)
            .subquery()
        )
        before = oldest.c.through - func.coalesce(oldest.c.packed, 1)
        return (
            select(
                oldest.c.seq,
                oldest.c.topic,
                oldest.c.key,
                oldest.c.value,
                oldest.c.headers,
                oldest.c.packed,
            )
            .where(before < self._batch_size)
            .order_by(oldest.c.seq)
        )

    def _messages(self, rows: Sequence[Any]) -> list[Message]:
        """One message per event, in order: a packed row's frames expanded where it stood."""
        headers = self._headers
        if len(headers) > 1000:
            headers.clear()

        def encoded(text: str) -> Headers:
            found = headers.get(text)
            if found is None:
                found = headers[text] = tuple(
                    (k, str(v).encode()) for k, v in json.loads(text).items()
                )
            return found

        messages = []
        for row in rows:
            if row.packed is None:
                key = row.key.encode() if row.key is not None else None
                messages.append(Message(row.topic, key, row.value, encoded(row.headers)))
                continue
            for framed in events_of(row.value, row.headers):
                key = framed.key.encode() if framed.key is not None else None
                messages.append(Message(row.topic, key, framed.value, encoded(framed.headers)))
        return messages

    async def _mark_sent(self, conn: AsyncConnection, seqs: list[int]) -> None:
        now = datetime.now(UTC)
        column = self._outbox.c.seq
        which: ColumnElement[bool]
        if seqs[-1] - seqs[0] + 1 == len(seqs):
            # seq is the key and the batch is read in seq order: with no gap, the range holds
            # exactly the batch. (With a gap it may hold a row committed after the read,
            # which was never published, so then only the listed rows.)
            which = column.between(seqs[0], seqs[-1])
        else:  # one array parameter on PostgreSQL, an IN list on SQLite
            which = self._database.sql.in_list(column, "seqs", BigInteger, seqs)
        await conn.execute(update(self._outbox).where(which).values(published_at=now))
        await conn.commit()
        if time.monotonic() - self._cleaned > CLEAN_EVERY:  # forget long-published rows
            self._cleaned = time.monotonic()
            await conn.execute(
                delete(self._outbox).where(self._outbox.c.published_at < now - RETENTION)
            )
            await conn.commit()

    async def refresh_backlog(self) -> int:
        """Events waiting (a packed row counts as its events)."""
        count = select(func.sum(_events(self._outbox))).where(self._outbox.c.published_at.is_(None))
        if self._lock_conn is not None:
            backlog = await self._lock_conn.scalar(count)
            await self._lock_conn.commit()
        else:
            async with self._database.background_engine.connect() as conn:
                backlog = await conn.scalar(count)
        self._backlog_counted = time.monotonic()
        BACKLOG.labels(self.service).set(backlog or 0)
        return int(backlog or 0)

    async def _hold_leadership(self) -> bool:
        if self._database.dialect != "postgresql":
            return True  # SQLite: one process owns the file
        if self._lock_conn is not None:
            return True  # the relay's statements run on it: they fail if its session died
        # Autocommit: each of the relay's statements stands alone (the read, the mark), so
        # none needs BEGIN/COMMIT round trips; the advisory lock belongs to the session.
        conn = await self._database.background_engine.connect()
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        acquired = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._lock_key})
        await conn.commit()
        if not acquired:
            await conn.close()
            return False
        self._lock_conn = conn
        return True

    async def _release_leadership(self) -> None:
        if self._lock_conn is not None:
            with contextlib.suppress(Exception):
                await self._lock_conn.close()
            self._lock_conn = None


def _events(outbox: Table) -> ColumnElement[int]:
    """How many events a row holds: a plain row one, a packed row its count."""
    return func.coalesce(outbox.c.packed, 1)
