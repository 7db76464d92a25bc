"""Which revocations the consumer runner hears about: only those after the records it holds were
fetched. aiokafka (an edge we do not own) is faked here to place a rebalance exactly inside
`getmany`, which a real broker does only by chance."""

from types import SimpleNamespace

from aiokafka import TopicPartition as KafkaTopicPartition

from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.kafka_subscription import KafkaSubscription
from yunying_shared.bus.transport import TopicPartition

TOPIC = "crm.events.v1"


def _record(partition: int, offset: int) -> SimpleNamespace:
    return SimpleNamespace(
        topic=TOPIC, key=b"k", value=b"{}", headers=(), partition=partition, offset=offset
    )


class RebalancingConsumer:
    """getmany during which partition 0 is revoked and assigned back, as in a rebalance; the
    records it returns are those of the new assignment (as aiokafka's fetcher guarantees)."""

    def __init__(self, subscription: KafkaSubscription) -> None:
        self._subscription = subscription

    def assignment(self) -> set[KafkaTopicPartition]:
        return {KafkaTopicPartition(TOPIC, 0)}

    async def getmany(self, *partitions: KafkaTopicPartition, timeout_ms: int, max_records: int):
        if partitions:  # the fetch's second look, at what is buffered: nothing more
            return {}
        await self._subscription.handle_revoked({TopicPartition(TOPIC, 0)})
        return {KafkaTopicPartition(TOPIC, 0): [_record(0, 7), _record(0, 8)]}

    async def commit(self, offsets) -> None:
        pass


def _subscription() -> KafkaSubscription:
    transport = KafkaTransport("127.0.0.1:1", partitions=4, client_id="test")
    return KafkaSubscription(transport, "group", [TOPIC])


async def test_a_partition_revoked_and_reassigned_during_the_fetch_is_not_skipped():
    subscription = _subscription()
    subscription._consumer = RebalancingConsumer(subscription)

    fetched = await subscription.fetch(timeout=0.1, max_records=10)

    assert [(m.partition, m.offset) for m in fetched] == [(0, 7), (0, 8)]
    # the runner skips records of partitions named here; these were fetched after the revoke
    assert subscription.revoked_since_fetch() == set()


async def test_a_partition_revoked_after_the_fetch_is_reported():
    subscription = _subscription()
    subscription._consumer = RebalancingConsumer(subscription)
    await subscription.fetch(timeout=0.1, max_records=10)

    await subscription.handle_revoked({TopicPartition(TOPIC, 2)})

    assert subscription.revoked_since_fetch() == {TopicPartition(TOPIC, 2)}
