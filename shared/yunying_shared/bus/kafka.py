"""The distributed mode's transport: Apache Kafka through aiokafka.

The producer is idempotent with `acks=all`, and `publish` waits for every acknowledgement, so
the relay marks outbox rows sent only for what the broker stored. The broker may be down when a
service starts: nothing here blocks startup; clients connect on first use and every call while
the broker is away raises `TransportUnavailable`, which the relay and consumer loop retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import TopicPartition as KafkaTopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder

from yunying_shared.bus.kafka_subscription import KafkaSubscription, to_received
from yunying_shared.bus.transport import (
    Message,
    Received,
    Subscription,
    Transport,
    TransportUnavailable,
)
from yunying_shared.logging import get_logger

log = get_logger(__name__)

TOPIC_ALREADY_EXISTS = 36
# A publish call's messages for one partition go as one record batch, which the broker stores
# all or nothing (beyond this size, as further batches sent only after the previous one was
# stored): a failed call can never leave a later event of a key in the log without the earlier
# ones, so the relay's retry cannot invert a key's order.
MAX_BATCH_BYTES = 1_000_000


class KafkaTransport(Transport):
    def __init__(
        self,
        bootstrap: str,
        *,
        partitions: int,
        client_id: str,
        replication_factor: int = 1,
        request_timeout_ms: int = 10_000,
        linger_ms: int = 5,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 2_000,
    ) -> None:
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.client_id = client_id
        self.replication_factor = replication_factor
        self.request_timeout_ms = request_timeout_ms
        self.linger_ms = linger_ms
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()
        self._known_topics: set[str] = set()
        self._wanted_topics: set[str] = set()

    async def start(self) -> None:
        try:
            await self._ready_producer()
        except TransportUnavailable as exc:
            log.warning("kafka not reachable at start; will retry on use", error=repr(exc))

    async def stop(self) -> None:
        async with self._producer_lock:
            await self._discard_producer()

    async def ping(self) -> None:
        client = AIOKafkaClient(
            bootstrap_servers=self.bootstrap, client_id=self.client_id, request_timeout_ms=5_000
        )
        try:
            await asyncio.wait_for(client.bootstrap(), 10)
        except (KafkaError, OSError, TimeoutError) as exc:
            raise TransportUnavailable(f"kafka at {self.bootstrap}: {exc!r}") from exc
        finally:
            await client.close()

    async def publish(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        await self._create_missing({m.topic for m in messages})
        producer = await self._ready_producer()
        try:
            for batches in await _record_batches(producer, messages):
                # A partition's next batch goes only after its previous one was stored, so a
                # failure never leaves a later event of a key in the log without the earlier.
                futures = [
                    await producer.send_batch(batch, topic, partition=partition)
                    for (topic, partition), batch in batches.items()
                ]
                results = await asyncio.gather(*futures, return_exceptions=True)
                failures = [r for r in results if isinstance(r, BaseException)]
                if failures:
                    break
        except (KafkaError, OSError) as exc:
            await self._after_failure(producer)
            raise TransportUnavailable(f"kafka publish failed: {exc!r}") from exc
        if failures:
            await self._after_failure(producer)
            raise TransportUnavailable(
                f"kafka did not acknowledge {len(failures)} record batches: {failures[0]!r}"
            )

    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription:
        return KafkaSubscription(self, group, topics)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create missing topics; with the broker down, remember them for the first use."""
        self._wanted_topics.update(topics)
        try:
            await self._create_missing(set(topics))
        except TransportUnavailable as exc:
            log.warning("kafka not reachable; topics will be created on first use", error=repr(exc))

    async def create_pending_topics(self) -> None:
        await self._create_missing(self._wanted_topics)

    async def list_topics(self) -> list[str]:
        async with self._admin() as admin:
            return sorted(t for t in await admin.list_topics() if not t.startswith("__"))

    async def read_all(self, topic: str) -> list[Received]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=self.request_timeout_ms,
        )
        try:
            await consumer.start()
        except (KafkaError, OSError) as exc:
            raise TransportUnavailable(f"kafka at {self.bootstrap}: {exc!r}") from exc
        try:
            if topic not in await consumer.topics():
                return []
            producer = await self._ready_producer()  # its metadata lookup is the public one
            tps = [
                KafkaTopicPartition(topic, p) for p in sorted(await producer.partitions_for(topic))
            ]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            records: list[Received] = []
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                batch = await consumer.getmany(timeout_ms=1_000)
                records.extend(
                    to_received(r)
                    for rs in batch.values()
                    for r in rs
                    if r.offset < ends[KafkaTopicPartition(r.topic, r.partition)]
                )
            return sorted(records, key=lambda r: (r.partition, r.offset))
        finally:
            await consumer.stop()

    async def _ready_producer(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is not None:
                return self._producer
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=self.linger_ms,
                max_batch_size=MAX_BATCH_BYTES,
                max_request_size=MAX_BATCH_BYTES + 48_576,
                request_timeout_ms=self.request_timeout_ms,
                retry_backoff_ms=200,
            )
            try:
                await asyncio.wait_for(producer.start(), self.request_timeout_ms / 1000)
            except (KafkaError, OSError, TimeoutError) as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise TransportUnavailable(f"kafka at {self.bootstrap}: {exc!r}") from exc
            self._producer = producer
            return producer

    async def _after_failure(self, producer: AIOKafkaProducer) -> None:
        # A fresh producer (new producer id) after a failure: aiokafka's idempotent state
        # does not always recover from expired batches, and the relay resends them anyway.
        async with self._producer_lock:
            if self._producer is producer:
                await self._discard_producer()

    async def _discard_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), self.request_timeout_ms / 1000)

    async def _create_missing(self, topics: set[str]) -> None:
        missing = topics - self._known_topics
        if not missing:
            return
        async with self._admin() as admin:
            existing = set(await admin.list_topics())
            to_create = sorted(missing - existing)
            if to_create:
                response = await admin.create_topics(
                    [
                        NewTopic(
                            name,
                            num_partitions=self.partitions,
                            replication_factor=self.replication_factor,
                        )
                        for name in to_create
                    ]
                )
                for item in response.topic_errors:
                    name, code = item[0], item[1]
                    if code not in (0, TOPIC_ALREADY_EXISTS):
                        raise TransportUnavailable(f"creating topic {name}: error {code}")
        self._known_topics.update(missing)
        self._wanted_topics.difference_update(missing)

    @contextlib.asynccontextmanager
    async def _admin(self) -> Any:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            request_timeout_ms=self.request_timeout_ms,
        )
        try:
            await asyncio.wait_for(admin.start(), self.request_timeout_ms / 1000)
        except (KafkaError, OSError, TimeoutError) as exc:
            with contextlib.suppress(Exception):
                await admin.close()
            raise TransportUnavailable(f"kafka at {self.bootstrap}: {exc!r}") from exc
        try:
            yield admin
        except KafkaError as exc:
            raise TransportUnavailable(f"kafka admin request failed: {exc!r}") from exc
        finally:
            await admin.close()


@functools.lru_cache(maxsize=1 << 17)
def _key_hash(key: bytes) -> int:
    """Kafka's default partitioner hash of a key (murmur2, positive), as `send()` computes it.
    aiokafka's murmur2 is pure Python (about 7 µs a key); keys (user ids) recur, so it is
    cached process-wide."""
    return int(murmur2(key)) & 0x7FFFFFFF


async def _record_batches(
    producer: AIOKafkaProducer, messages: Sequence[Message]
) -> list[dict[tuple[str, int], BatchBuilder]]:
    """The messages as closed record batches, one per partition per round, in order.

    One batch per partition and call is the rule (it fits MAX_BATCH_BYTES); only a partition's
    overflow goes to a further round. Built here rather than by `send()` per message: no future,
    partitioner call and accumulator lookup per message, and closed batches skip the linger.
    The partition of a key is the one `send()` would choose (the default murmur2 partitioner;
    a keyless message goes to a random available partition, as there).
    """
    layouts: dict[str, tuple[list[int], list[int]]] = {}
    for topic in {m.topic for m in messages}:
        everything = sorted(await producer.partitions_for(topic))
        available = list(producer.client.cluster.available_partitions_for_topic(topic))
        layouts[topic] = (everything, available)
    rounds: list[dict[tuple[str, int], BatchBuilder]] = [{}]
    round_of: dict[tuple[str, int], int] = {}
    for m in messages:
        everything, available = layouts[m.topic]
        if m.key is None:
            partition = random.choice(available or everything)
        else:
            partition = everything[_key_hash(m.key) % len(everything)]
        tp = (m.topic, partition)
        headers = list(m.headers)  # the C record builder takes lists only
        index = round_of.setdefault(tp, 0)
        batch = rounds[index].get(tp)
        if batch is None:
            batch = rounds[index][tp] = producer.create_batch()
        if batch.append(timestamp=None, key=m.key, value=m.value, headers=headers) is None:
            index = round_of[tp] = index + 1  # full (and closed by append): the next round
            if index == len(rounds):
                rounds.append({})
            batch = rounds[index][tp] = producer.create_batch()
            if batch.append(timestamp=None, key=m.key, value=m.value, headers=headers) is None:
                raise TransportUnavailable(
                    f"a message of {len(m.value)} bytes does not fit "
                    f"a record batch of {MAX_BATCH_BYTES} bytes"
                )
    for batches in rounds:
        for batch in batches.values():
            batch.close()  # a closed batch is sent at once, without lingering for more
    return rounds
