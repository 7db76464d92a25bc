"""Operators' view of dead letters: list them, and replay them to the topic they came from.

A replay is recorded on `<topic>.dlq.replayed` (one message naming the dead letter's partition
and offset), so the same dead letter is never replayed twice, even one at a time by event id.
Replay is at least once: a crash between the re-publish and the record replays again, and the
consumer's inbox drops the copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from yunying_shared.bus.consumer import DLQ_SUFFIX, dlq_topic
from yunying_shared.bus.transport import Message, Received, Transport

REPLAYED_SUFFIX = ".replayed"


@dataclass(frozen=True)
class DeadLetter:
    dlq: str
    message: Received
    replayed: bool

    @property
    def position(self) -> str:
        return f"{self.message.partition}:{self.message.offset}"

    @property
    def origin_topic(self) -> str:
        return self.message.header("dlq.origin.topic") or self.dlq.removesuffix(DLQ_SUFFIX)

    @property
    def error(self) -> str:
        return self.message.header("dlq.error") or ""

    @property
    def event_id(self) -> str | None:
        try:
            value = json.loads(self.message.value)
        except ValueError:
            return None
        return str(value.get("id")) if isinstance(value, dict) and "id" in value else None


def dlq_name(topic: str) -> str:
    """Accepts the origin topic or the dead-letter topic itself."""
    return topic if topic.endswith(DLQ_SUFFIX) else dlq_topic(topic)


async def dlq_topics(transport: Transport) -> list[str]:
    return [t for t in await transport.list_topics() if t.endswith(DLQ_SUFFIX)]


async def dead_letters(transport: Transport, topic: str) -> list[DeadLetter]:
    dlq = dlq_name(topic)
    replayed = {m.value.decode() for m in await transport.read_all(dlq + REPLAYED_SUFFIX)}
    return [
        DeadLetter(dlq, message, f"{message.partition}:{message.offset}" in replayed)
        for message in await transport.read_all(dlq)
    ]


async def replay(
    transport: Transport, topic: str, *, event_id: str | None = None
) -> list[DeadLetter]:
    """Re-publish not yet replayed dead letters (all, or the one event) to their origin."""
    chosen = [
        letter
        for letter in await dead_letters(transport, topic)
        if not letter.replayed and (event_id is None or letter.event_id == event_id)
    ]
    for letter in chosen:
        original = letter.message
        headers = tuple((k, v) for k, v in original.headers if not k.startswith("dlq."))
        headers += (("dlq.replayed_from", f"{letter.dlq}/{letter.position}".encode()),)
        await transport.publish(
            [Message(letter.origin_topic, original.key, original.value, headers)]
        )
        await transport.publish(
            [
                Message(
                    letter.dlq + REPLAYED_SUFFIX, letter.position.encode(), letter.position.encode()
                )
            ]
        )
    return chosen
