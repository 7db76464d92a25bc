"""A consumer group of a test's own on the shared local broker.

Other processes on that broker (a `make up` run, other suites) consume in the default groups and
would take some of the partitions, and earlier runs leave events there that belong to databases
that no longer exist. A scenario on Kafka therefore runs each service in a group of its own,
committed to the end of its topics before it starts.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from yunying_shared.testing.databases import kafka_bootstrap


async def isolated_consumer_group(database_url: str, definition: Any) -> dict[str, str]:
    """Settings overrides (`consumer_group_prefix`) for `definition`'s app in a Kafka scenario;
    the embedded mode (SQLite, local transport) needs none and gets a fresh prefix only."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    if not database_url.startswith("sqlite"):
        await _commit_to_end(f"{prefix}.{definition.name}", definition.consumed_topics())
    return {"consumer_group_prefix": prefix}


async def _commit_to_end(group: str, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        described = await admin.describe_topics([t for t in topics if t in existing])
    finally:
        await admin.close()
    partitions = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    ]
    if not partitions:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap(), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()
