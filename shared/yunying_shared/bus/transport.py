"""What a bus transport must do. Two implement it: the local (embedded) one and Kafka.

The contract, checked by one test suite against both: `publish` returns only once every message
is durably acknowledged; messages with the same key keep their order; a subscription's committed
offsets survive a restart, and anything not committed is delivered again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()

    def header(self, name: str) -> str | None:
        for header_name, value in self.headers:
            if header_name == name:
                return value.decode()
        return None


@dataclass(frozen=True)
class Received(Message):
    partition: int = 0
    offset: int = 0


@dataclass(frozen=True, order=True)
class TopicPartition:
    topic: str
    partition: int


@dataclass
class Lag:
    """Per partition: the newest offset minus the committed one."""

    partitions: dict[TopicPartition, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.partitions.values())


class Subscription(ABC):
    """One member of a consumer group."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def fetch(self, *, timeout: float, max_records: int) -> list[Received]:
        """Next messages in partition order; empty after `timeout` seconds with none."""

    @abstractmethod
    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Record, per partition, the offset of the next message to read."""

    @abstractmethod
    async def lag(self) -> Lag: ...

    def processed(self, tp: TopicPartition, next_offset: int) -> None:  # noqa: B027
        """The runner finished a message: what to commit if a rebalance takes `tp` away."""

    def revoked_since_fetch(self) -> set[TopicPartition]:
        """Partitions taken away by a rebalance since the last fetch: drop their work."""
        return set()


class Transport(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def publish(self, messages: Sequence[Message]) -> None:
        """Return only after the broker acknowledged every message; raise if any failed."""

    @abstractmethod
    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription: ...

    @abstractmethod
    async def ensure_topics(self, topics: Sequence[str]) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise when the broker cannot be reached."""

    @abstractmethod
    async def list_topics(self) -> list[str]: ...

    @abstractmethod
    async def read_all(self, topic: str) -> list[Received]:
        """Every retained message of a topic, for operators' tools (dead letters)."""


class TransportUnavailable(ConnectionError):
    """The broker did not acknowledge; the caller keeps the messages and tries again later."""
