"""The embedded mode's transport: a durable, partitioned log in one SQLite file.

It keeps Kafka's semantics where the services can tell: messages are stored before `publish`
returns, one key always maps to one partition (so per-key order holds), each consumer group has
committed offsets that survive a restart, and uncommitted messages are delivered again. One
member per group: the embedded mode runs each service once, in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    delete,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from yunying_shared.bus.transport import (
    Lag,
    Message,
    Received,
    Subscription,
    TopicPartition,
    Transport,
)
from yunying_shared.db.engine import Database

_metadata = MetaData()
_log = Table(
    "bus_log",
    _metadata,
    Column("topic", String, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", Integer, nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("topic", "partition", "offset"),
)
_ends = Table(
    "bus_partition_ends",
    _metadata,
    Column("topic", String, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", Integer, nullable=False),
    PrimaryKeyConstraint("topic", "partition"),
)
_committed = Table(
    "bus_committed",
    _metadata,
    Column("group_id", String, nullable=False),
    Column("topic", String, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", Integer, nullable=False),
    PrimaryKeyConstraint("group_id", "topic", "partition"),
)

RETENTION = timedelta(days=7)


def partition_for(key: bytes | None, partitions: int, fallback: int) -> int:
    if key is None:
        return fallback % partitions
    return zlib.crc32(key) % partitions


class LocalTransport(Transport):
    def __init__(self, path: Path, *, partitions: int = 4) -> None:
        self.path = path
        self.partitions = partitions
        self._database = Database(f"sqlite+aiosqlite:///{path}", pool_size=4)
        self._arrived = asyncio.Condition()
        self._round_robin = 0

    async def start(self) -> None:
        async with self._database.engine.begin() as conn:
            await conn.run_sync(_metadata.create_all)
        await self._prune()

    async def stop(self) -> None:
        await self._database.dispose()

    async def ping(self) -> None:
        await self._database.ping()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        return None  # partitions come into being with their first message

    async def publish(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        now = datetime.now(UTC)
        self._round_robin += 1
        by_partition: dict[tuple[str, int], list[Message]] = {}
        for message in messages:
            partition = partition_for(message.key, self.partitions, self._round_robin)
            by_partition.setdefault((message.topic, partition), []).append(message)
        async with self._database.session() as session, session.begin():
            for (topic, partition), batch in by_partition.items():
                start = (
                    await session.scalar(
                        select(_ends.c.next_offset).where(
                            _ends.c.topic == topic, _ends.c.partition == partition
                        )
                    )
                    or 0
                )
                await session.execute(
                    sqlite_insert(_ends)
                    .values(topic=topic, partition=partition, next_offset=start + len(batch))
                    .on_conflict_do_update(
                        index_elements=["topic", "partition"],
                        set_={"next_offset": start + len(batch)},
                    )
                )
                await session.execute(
                    insert(_log),
                    [
                        {
                            "topic": topic,
                            "partition": partition,
                            "offset": start + i,
                            "key": m.key,
                            "value": m.value,
                            "headers": [[k, v.decode()] for k, v in m.headers],
                            "stored_at": now,
                        }
                        for i, m in enumerate(batch)
                    ],
                )
        async with self._arrived:
            self._arrived.notify_all()

    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription:
        return LocalSubscription(self, group, topics)

    async def list_topics(self) -> list[str]:
        async with self._database.session() as session:
            return sorted((await session.scalars(select(_ends.c.topic).distinct())).all())

    async def read_all(self, topic: str) -> list[Received]:
        async with self._database.session() as session:
            rows = (
                await session.execute(
                    select(_log)
                    .where(_log.c.topic == topic)
                    .order_by(_log.c.partition, _log.c.offset)
                )
            ).all()
        return [_received(row) for row in rows]

    async def _prune(self) -> None:
        async with self._database.session() as session, session.begin():
            await session.execute(
                delete(_log).where(_log.c.stored_at < datetime.now(UTC) - RETENTION)
            )

    async def wait_for_messages(self, timeout: float) -> None:
        async with self._arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)


def _received(row: object) -> Received:
    return Received(
        topic=row.topic,  # type: ignore[attr-defined]
        key=row.key,  # type: ignore[attr-defined]
        value=row.value,  # type: ignore[attr-defined]
        headers=tuple((k, v.encode()) for k, v in row.headers),  # type: ignore[attr-defined]
        partition=row.partition,  # type: ignore[attr-defined]
        offset=row.offset,  # type: ignore[attr-defined]
    )


class LocalSubscription(Subscription):
    def __init__(self, transport: LocalTransport, group: str, topics: Sequence[str]) -> None:
        self._transport = transport
        self._database = transport._database
        self._group = group
        self._topics = list(topics)
        self._positions: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        async with self._database.session() as session:
            rows = (
                await session.execute(
                    select(_committed).where(_committed.c.group_id == self._group)
                )
            ).all()
        committed = {TopicPartition(r.topic, r.partition): r.next_offset for r in rows}
        self._positions = {
            tp: committed.get(tp, 0)
            for tp in (
                TopicPartition(t, p)
                for t in self._topics
                for p in range(self._transport.partitions)
            )
        }

    async def stop(self) -> None:
        return None

    async def fetch(self, *, timeout: float, max_records: int) -> list[Received]:
        records = await self._read(max_records)
        if not records:
            await self._transport.wait_for_messages(timeout)
            records = await self._read(max_records)
        for record in records:
            self._positions[TopicPartition(record.topic, record.partition)] = record.offset + 1
        return records

    async def _read(self, max_records: int) -> list[Received]:
        conditions = [
            and_(
                _log.c.topic == tp.topic,
                _log.c.partition == tp.partition,
                _log.c.offset >= position,
            )
            for tp, position in self._positions.items()
        ]
        async with self._database.session() as session:
            rows = (
                await session.execute(
                    select(_log)
                    .where(or_(*conditions))
                    .order_by(_log.c.topic, _log.c.partition, _log.c.offset)
                    .limit(max_records)
                )
            ).all()
        return [_received(row) for row in rows]

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        async with self._database.session() as session, session.begin():
            for tp, next_offset in offsets.items():
                await session.execute(
                    sqlite_insert(_committed)
                    .values(
                        group_id=self._group,
                        topic=tp.topic,
                        partition=tp.partition,
                        next_offset=next_offset,
                    )
                    .on_conflict_do_update(
                        index_elements=["group_id", "topic", "partition"],
                        set_={"next_offset": next_offset},
                    )
                )

    async def lag(self) -> Lag:
        async with self._database.session() as session:
            ends = {
                TopicPartition(r.topic, r.partition): r.next_offset
                for r in (
                    await session.execute(select(_ends).where(_ends.c.topic.in_(self._topics)))
                ).all()
            }
            committed = {
                TopicPartition(r.topic, r.partition): r.next_offset
                for r in (
                    await session.execute(
                        select(_committed).where(_committed.c.group_id == self._group)
                    )
                ).all()
            }
        return Lag({tp: end - committed.get(tp, 0) for tp, end in ends.items()})
