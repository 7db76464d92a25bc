"""Reading from a subscription and waiting for effects in tests, on either transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from yunying_shared.bus.transport import Received, Subscription, TopicPartition


async def collect(
    subscription: Subscription, count: int, *, timeout: float = 30.0, commit: bool = False
) -> list[Received]:
    """Fetch until `count` messages arrived (a Kafka member first has to join its group)."""
    received: list[Received] = []
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        batch = await subscription.fetch(timeout=0.5, max_records=count - len(received))
        received.extend(batch)
        if commit and batch:
            await subscription.commit(
                {TopicPartition(m.topic, m.partition): m.offset + 1 for m in batch}
            )
    return received


async def nothing_more(subscription: Subscription, *, seconds: float = 1.5) -> list[Received]:
    """Whatever still arrives within `seconds`: a test expects it to be empty."""
    extra: list[Received] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        extra.extend(await subscription.fetch(timeout=0.3, max_records=100))
    return extra


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 30.0, interval: float = 0.1
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(interval)
    return await condition()
