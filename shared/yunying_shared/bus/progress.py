"""Which offset of each partition may be committed while lanes finish out of order.

A fetched partition's messages are split over lanes by key, and lanes finish their
transactions in any order. A partition's committed offset must never pass a message not yet
handled (a crash would lose it), so it is the lowest offset not finished yet: the end of the
contiguous prefix of finished messages, in the order they were fetched.

Work is per fetch, not per message: each partition of a fetch is one `FetchedPartition` (its
`TopicPartition` built once), and each message travels with it as a plain `(message,
partition)` tuple, so marking a message finished needs no key built or hashed for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from yunying_shared.bus.transport import Received, TopicPartition


class FetchedPartition:
    """One partition's messages of one fetch. Hashed by identity (cheap), one per fetch."""

    __slots__ = ("done", "offsets", "partition", "prefix", "tp")

    def __init__(self, topic: str, partition: int) -> None:
        self.tp = TopicPartition(topic, partition)
        self.partition = partition
        self.offsets: list[int] = []  # as fetched (ascending; gaps where the log has none)
        self.done: set[int] = set()
        self.prefix = 0  # offsets[:prefix] are all finished

    def position(self) -> int:
        """The next offset to read: the first unfinished one, or one past the last."""
        if self.prefix < len(self.offsets):
            return self.offsets[self.prefix]
        return self.offsets[-1] + 1

    def advance(self) -> bool:
        """Move the finished prefix on; True when it moved."""
        start = self.prefix
        offsets, done = self.offsets, self.done
        while self.prefix < len(offsets) and offsets[self.prefix] in done:
            self.prefix += 1
        return self.prefix > start


# A fetched message with its partition's record of the fetch.
Placed = tuple[Received, FetchedPartition]


class FetchProgress:
    """Finished messages of one fetch, per partition; each answer is a safe commit position."""

    def __init__(self, messages: Iterable[Received]) -> None:
        self._partitions: dict[tuple[str, int], FetchedPartition] = {}
        # every message with its partition, in fetch order
        self.placed: list[Placed] = []
        current: FetchedPartition | None = None
        for message in messages:
            # a fetch comes partition by partition: the key is looked up once per run
            if (
                current is None
                or message.partition != current.partition
                or message.topic != current.tp.topic
            ):
                key = (message.topic, message.partition)
                current = self._partitions.get(key)
                if current is None:
                    current = self._partitions[key] = FetchedPartition(*key)
            current.offsets.append(message.offset)
            self.placed.append((message, current))

    def finish(self, placed: Sequence[Placed]) -> dict[TopicPartition, int]:
        """Mark these messages handled; the partitions whose commit position moved, with it."""
        touched: set[FetchedPartition] = set()
        last: FetchedPartition | None = None
        for message, partition in placed:
            partition.done.add(message.offset)
            if partition is not last:
                touched.add(partition)
                last = partition
        return {partition.tp: partition.position() for partition in touched if partition.advance()}
