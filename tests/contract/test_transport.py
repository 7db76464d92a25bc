"""The transport contract: the same tests against the embedded transport and real Kafka."""

import uuid
from collections import defaultdict

from yunying_shared.bus.transport import Message, TopicPartition
from yunying_shared.testing.bus import collect, nothing_more


def _messages(topic, count, *, keys=10):
    return [
        Message(topic, f"key-{i % keys}".encode(), f"{i}".encode(), (("n", str(i).encode()),))
        for i in range(count)
    ]


def _values(received):
    return sorted(int(m.value) for m in received)


async def test_publish_returns_after_the_messages_are_stored(transport, topic):
    await transport.ensure_topics([topic])
    await transport.publish(_messages(topic, 25))
    stored = await transport.read_all(topic)
    assert _values(stored) == list(range(25))


async def test_per_key_order_holds_across_many_keys(transport, topic):
    await transport.ensure_topics([topic])
    for start in range(0, 1000, 100):  # several publish calls, 50 keys interleaved
        await transport.publish(
            [
                Message(topic, f"key-{i % 50}".encode(), f"{i % 50}:{i // 50}".encode())
                for i in range(start, start + 100)
            ]
        )
    subscription = transport.subscribe(f"g-{uuid.uuid4().hex[:8]}", [topic])
    await subscription.start()
    received = await collect(subscription, 1000)
    await subscription.stop()
    seen = defaultdict(list)
    for message in received:
        key, seq = message.value.decode().split(":")
        assert message.key == f"key-{key}".encode()
        seen[key].append(int(seq))
    assert len(received) == 1000
    assert all(seqs == list(range(20)) for seqs in seen.values()), seen


async def test_committed_offsets_survive_a_new_subscription(transport, topic):
    group = f"g-{uuid.uuid4().hex[:8]}"
    await transport.ensure_topics([topic])
    await transport.publish(_messages(topic, 40))
    first = transport.subscribe(group, [topic])
    await first.start()
    received = await collect(first, 40, commit=True)
    await first.stop()
    assert len(received) == 40
    await transport.publish(_messages(topic, 5, keys=5))
    second = transport.subscribe(group, [topic])
    await second.start()
    rest = await collect(second, 5)
    extra = await nothing_more(second)
    await second.stop()
    assert _values(rest) == list(range(5))
    assert extra == []


async def test_uncommitted_messages_are_delivered_again_to_a_new_member(transport, topic):
    group = f"g-{uuid.uuid4().hex[:8]}"
    await transport.ensure_topics([topic])
    await transport.publish(_messages(topic, 30))
    first = transport.subscribe(group, [topic])
    await first.start()
    received = await collect(first, 30)
    # commit only the first half of every partition
    halves = {}
    for message in received:
        halves.setdefault(TopicPartition(message.topic, message.partition), []).append(message)
    committed = {tp: ms[len(ms) // 2].offset for tp, ms in halves.items()}
    await first.commit(committed)
    await first.stop()
    expected = [m for tp, ms in halves.items() for m in ms if m.offset >= committed[tp]]
    second = transport.subscribe(group, [topic])
    await second.start()
    again = await collect(second, len(expected))
    await second.stop()
    assert len(received) == 30
    assert _values(again) == _values(expected)
    assert 0 < len(expected) < 30


async def test_separate_groups_each_get_every_message(transport, topic):
    await transport.ensure_topics([topic])
    await transport.publish(_messages(topic, 20))
    results = []
    for _ in range(2):
        subscription = transport.subscribe(f"g-{uuid.uuid4().hex[:8]}", [topic])
        await subscription.start()
        results.append(await collect(subscription, 20, commit=True))
        await subscription.stop()
    assert [_values(r) for r in results] == [list(range(20))] * 2


async def test_lag_counts_what_the_group_has_not_committed(transport, topic):
    await transport.ensure_topics([topic])
    await transport.publish(_messages(topic, 12))
    subscription = transport.subscribe(f"g-{uuid.uuid4().hex[:8]}", [topic])
    await subscription.start()
    received = await collect(subscription, 12)
    first_of = {}
    for message in received:
        first_of.setdefault(TopicPartition(message.topic, message.partition), message.offset)
    # commit exactly one message per partition
    await subscription.commit({tp: offset + 1 for tp, offset in first_of.items()})
    lag = await subscription.lag()
    await subscription.stop()
    assert lag.total == 12 - len(first_of)
    assert all(behind >= 0 for behind in lag.partitions.values())


async def test_read_all_returns_every_message_with_its_headers(transport, topic):
    await transport.ensure_topics([topic])
    await transport.publish(_messages(topic, 9, keys=3))
    stored = await transport.read_all(topic)
    assert _values(stored) == list(range(9))
    assert all(m.header("n") == m.value.decode() for m in stored)
    positions = [(m.partition, m.offset) for m in stored]
    assert positions == sorted(positions)
    assert topic in await transport.list_topics()
    assert await transport.read_all(f"{topic}.absent") == []
