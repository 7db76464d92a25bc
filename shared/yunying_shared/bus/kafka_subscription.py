"""One member of a Kafka consumer group, committing explicit offsets by hand.

Offsets are committed only for what the consumer runner finished (its handler transaction
committed). When a rebalance takes partitions away, the listener commits what was finished on
them and records them as revoked, so the runner drops the rest of its batch for them: the new
owner starts from the commit, and its inbox drops anything handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka import TopicPartition as KafkaTopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import OffsetAndMetadata

from yunying_shared.bus.transport import (
    Lag,
    Received,
    Subscription,
    TopicPartition,
    TransportUnavailable,
)
from yunying_shared.logging import get_logger

log = get_logger(__name__)


class KafkaConnection(Protocol):
    """What a subscription needs of the transport that made it: where the broker is, the
    timeouts, and the topics it still has to create. (The transport imports this module, so
    naming it here would tie the two files in a circle.)"""

    bootstrap: str
    client_id: str
    request_timeout_ms: int
    session_timeout_ms: int
    heartbeat_interval_ms: int

    async def create_pending_topics(self) -> None: ...


def to_received(record: Any) -> Received:
    headers = record.headers  # most records have none: no generator for them
    return Received(
        record.topic,
        record.key,
        record.value,
        tuple((name, bytes(value)) for name, value in headers) if headers else (),
        record.partition,
        record.offset,
    )


def _ours(tp: KafkaTopicPartition) -> TopicPartition:
    return TopicPartition(tp.topic, tp.partition)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, subscription: KafkaSubscription) -> None:
        self._subscription = subscription

    async def on_partitions_revoked(self, revoked: Sequence[KafkaTopicPartition]) -> None:
        await self._subscription.handle_revoked({_ours(tp) for tp in revoked})

    async def on_partitions_assigned(self, assigned: Sequence[KafkaTopicPartition]) -> None:
        log.info(
            "partitions assigned", partitions=sorted(f"{t.topic}/{t.partition}" for t in assigned)
        )


class KafkaSubscription(Subscription):
    def __init__(self, transport: KafkaConnection, group: str, topics: Sequence[str]) -> None:
        self._transport = transport
        self._group = group
        self._topics = list(topics)
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()
        self._revoked: set[TopicPartition] = set()
        self._processed: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        try:
            await self._ready()
        except TransportUnavailable as exc:
            log.warning(
                "kafka not reachable; consumer will join its group later",
                group=self._group,
                error=repr(exc),
            )

    async def stop(self) -> None:
        async with self._lock:
            consumer, self._consumer = self._consumer, None
            if consumer is None:
                return
            with contextlib.suppress(KafkaError, OSError):
                await self._commit_processed(consumer, set(self._processed))
            await consumer.stop()  # sends LeaveGroup: the partitions move on at once

    async def fetch(self, *, timeout: float, max_records: int) -> list[Received]:
        consumer = await self._ready()
        # A fair share per assigned partition first, then the rest from any: filled from one
        # partition's backlog, a fetch would keep a partition just taken over waiting a whole
        # fetch for its first commit. After the first call, only what is buffered (no wait).
        assigned = sorted(consumer.assignment(), key=lambda t: (t.topic, t.partition))
        share = -(-max_records // max(len(assigned), 1))
        try:
            batches = await consumer.getmany(timeout_ms=int(timeout * 1000), max_records=share)
            taken = sum(len(records) for records in batches.values())
            for cap in (share, max_records):
                for tp in assigned:
                    room = min(cap - len(batches.get(tp, ())), max_records - taken)
                    if room <= 0:
                        continue
                    more = await consumer.getmany(tp, timeout_ms=0, max_records=room)
                    if records := more.get(tp):
                        batches.setdefault(tp, []).extend(records)
                        taken += len(records)
        except KafkaError as exc:
            raise TransportUnavailable(f"kafka fetch failed: {exc!r}") from exc
        # Only revocations after this point concern these records: aiokafka returns records of
        # the assignment in force when getmany returns. A partition revoked while getmany
        # waited and assigned back (a rebalance) is fetched again from its last commit; were
        # it still marked revoked, the runner would skip those records while the position
        # moved past them, and the next commit would lose them.
        self._revoked.clear()
        return [
            to_received(record)
            for tp in sorted(batches, key=lambda t: (t.topic, t.partition))
            for record in batches[tp]
        ]

    def processed(self, tp: TopicPartition, next_offset: int) -> None:
        self._processed[tp] = next_offset

    def revoked_since_fetch(self) -> set[TopicPartition]:
        return self._revoked

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        consumer = await self._ready()
        owned = {_ours(tp) for tp in consumer.assignment()}
        wanted = {tp: offset for tp, offset in offsets.items() if tp in owned}
        if not wanted:
            return
        await consumer.commit(
            {
                KafkaTopicPartition(tp.topic, tp.partition): OffsetAndMetadata(offset, "")
                for tp, offset in wanted.items()
            }
        )
        self._committed.update(wanted)

    async def handle_revoked(self, revoked: set[TopicPartition]) -> None:
        self._revoked.update(revoked)
        consumer = self._consumer
        if consumer is not None:
            try:
                await self._commit_processed(consumer, revoked)
            except (CommitFailedError, KafkaError) as exc:
                log.warning(
                    "commit on revoke failed; the new owner redelivers",
                    group=self._group,
                    error=repr(exc),
                )
        for tp in revoked:
            self._processed.pop(tp, None)
            self._committed.pop(tp, None)

    async def _commit_processed(self, consumer: AIOKafkaConsumer, tps: set[TopicPartition]) -> None:
        pending = {
            tp: offset
            for tp, offset in self._processed.items()
            if tp in tps and offset > self._committed.get(tp, -1)
        }
        if pending:
            await consumer.commit(
                {
                    KafkaTopicPartition(tp.topic, tp.partition): OffsetAndMetadata(offset, "")
                    for tp, offset in pending.items()
                }
            )
            self._committed.update(pending)

    async def lag(self) -> Lag:
        consumer = await self._ready()
        assigned = sorted(consumer.assignment(), key=lambda t: (t.topic, t.partition))
        if not assigned:
            return Lag()
        try:
            ends = await consumer.end_offsets(assigned)
            starts = await consumer.beginning_offsets(assigned)
            lag = Lag()
            for tp in assigned:
                committed = await consumer.committed(tp)
                base = committed if committed is not None else starts[tp]
                lag.partitions[_ours(tp)] = max(ends[tp] - base, 0)
            return lag
        except KafkaError as exc:
            raise TransportUnavailable(f"kafka lag query failed: {exc!r}") from exc

    async def _ready(self) -> AIOKafkaConsumer:
        async with self._lock:
            if self._consumer is not None:
                return self._consumer
            transport = self._transport
            await transport.create_pending_topics()
            consumer = AIOKafkaConsumer(
                bootstrap_servers=transport.bootstrap,
                client_id=transport.client_id,
                group_id=self._group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=transport.session_timeout_ms,
                heartbeat_interval_ms=transport.heartbeat_interval_ms,
                request_timeout_ms=max(
                    transport.request_timeout_ms, transport.session_timeout_ms + 5_000
                ),
            )
            consumer.subscribe(self._topics, listener=_Listener(self))
            try:
                await asyncio.wait_for(consumer.start(), transport.request_timeout_ms / 1000)
            except (KafkaError, OSError, TimeoutError) as exc:
                with contextlib.suppress(Exception):
                    await consumer.stop()
                raise TransportUnavailable(f"kafka at {transport.bootstrap}: {exc!r}") from exc
            self._consumer = consumer
            return consumer
