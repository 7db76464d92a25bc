"""Which offset of each partition may be committed while lanes finish out of order.

A fetched partition's messages are split over lanes by key, and lanes finish their
transactions in any order. A partition's committed offset must never pass a message not yet
handled (a crash would lose it), so it is the lowest offset not finished yet: the end of the
contiguous prefix of finished messages, in the order they were fetched.
"""

from __future__ import annotations

from collections.abc import Iterable

from yunying_shared.bus.transport import Received, TopicPartition


class _Partition:
    __slots__ = ("done", "offsets", "prefix")

    def __init__(self) -> None:
        self.offsets: list[int] = []  # as fetched (ascending; gaps where the log has none)
        self.done: set[int] = set()
        self.prefix = 0  # offsets[:prefix] are all finished

    def position(self) -> int:
        """The next offset to read: the first unfinished one, or one past the last."""
        if self.prefix < len(self.offsets):
            return self.offsets[self.prefix]
        return self.offsets[-1] + 1


class FetchProgress:
    """Finished messages of one fetch, per partition; each answer is a safe commit position."""

    def __init__(self, messages: Iterable[Received]) -> None:
        self._partitions: dict[TopicPartition, _Partition] = {}
        for message in messages:
            tp = TopicPartition(message.topic, message.partition)
            self._partitions.setdefault(tp, _Partition()).offsets.append(message.offset)

    def finish(self, messages: Iterable[Received]) -> dict[TopicPartition, int]:
        """Mark these messages handled; the partitions whose commit position moved, with it."""
        touched: set[TopicPartition] = set()
        for message in messages:
            tp = TopicPartition(message.topic, message.partition)
            self._partitions[tp].done.add(message.offset)
            touched.add(tp)
        moved: dict[TopicPartition, int] = {}
        for tp in touched:
            partition = self._partitions[tp]
            start = partition.prefix
            while (
                partition.prefix < len(partition.offsets)
                and partition.offsets[partition.prefix] in partition.done
            ):
                partition.prefix += 1
            if partition.prefix > start:
                moved[tp] = partition.position()
        return moved
