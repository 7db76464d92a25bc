"""A key's partition is the same whichever producer sends it: the Kafka transport (which builds
its record batches itself) and a plain aiokafka producer (default partitioner) agree, and both
agree with the Java client's murmur2 partitioner. So a user's events stay in one partition, in
order, whether the relay or a CRM's producer wrote them."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.transport import Message
from yunying_shared.testing.databases import kafka_bootstrap

pytestmark = pytest.mark.kafka

PARTITIONS = 4
# Keys and their murmur2 hashes from the Java client's own test of Utils.murmur2; its default
# partitioner puts a key on toPositive(murmur2(key)) % partitions.
JAVA_MURMUR2 = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


async def test_the_transport_and_a_plain_producer_put_a_key_on_the_same_partition():
    topic = f"contract.part{uuid.uuid4().hex[:10]}.v1"
    keys = [f"user-{i}".encode() for i in range(60)] + list(JAVA_MURMUR2)
    transport = KafkaTransport(kafka_bootstrap(), partitions=PARTITIONS, client_id="partitioning")
    await transport.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap())
    await producer.start()
    try:
        await transport.ensure_topics([topic])
        await transport.publish([Message(topic, key, b"transport") for key in keys])
        sent = [await producer.send(topic, b"producer", key=key) for key in keys]
        await asyncio.gather(*sent)
        records = await transport.read_all(topic)
    finally:
        await producer.stop()
        await transport.stop()

    partition_of = {(r.key, r.value): r.partition for r in records}
    assert len(partition_of) == 2 * len(keys)
    for key in keys:
        assert partition_of[(key, b"transport")] == partition_of[(key, b"producer")], key
    for key, java_hash in JAVA_MURMUR2.items():
        assert partition_of[(key, b"transport")] == (java_hash & 0x7FFFFFFF) % PARTITIONS, key
    # the keys are spread, so agreeing is not the trivial "everything on one partition"
    assert len({partition_of[(key, b"transport")] for key in keys}) == PARTITIONS
