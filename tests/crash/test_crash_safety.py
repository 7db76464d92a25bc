"""Crash safety on real Kafka and PostgreSQL: processes die, the broker goes away, events are
poisoned; at the end nothing is lost, nothing applied twice, and no key's events inverted."""

import asyncio
import random
import time

import pytest

from yunying_shared.testing.bus import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.postgres]

KILLED_AFTER_ACK = 86


async def test_consumers_killed_mid_batch_lose_nothing_and_apply_nothing_twice(rig):
    await rig.write(keys=50, count=3000)
    rig.spawn("relay")
    consumers = [rig.spawn("consume", CRASH_HANDLER_DELAY="0.004") for _ in range(2)]
    for round_ in range(3):
        floor = await rig.applied() + random.randint(100, 250)

        async def progressed(floor=floor):
            return await rig.applied() >= floor

        assert await wait_until(progressed, timeout=60), "consumers made no progress"
        victim = round_ % 2
        rig.kill(consumers[victim])  # SIGKILL: no commit, no LeaveGroup, mid-transaction
        consumers[victim] = rig.spawn("consume", CRASH_HANDLER_DELAY="0.004")
    assert await rig.applied() < 3000, "the kills must land before the stream is drained"
    assert await rig.wait_all_applied(timeout=120)
    rig.assert_exactly_once(await rig.tally())


async def test_relay_killed_between_broker_ack_and_marking_rows_sent(rig):
    await rig.write(keys=50, count=3000)
    rig.spawn("consume")
    for _ in range(3):
        relay = rig.spawn("relay", CRASH_EXIT_AFTER_PUBLISH="2")
        assert await asyncio.to_thread(relay.wait, 60) == KILLED_AFTER_ACK
    assert await rig.pending() > 0
    rig.spawn("relay")
    assert await rig.wait_all_applied()
    rig.assert_exactly_once(await rig.tally())
    assert await rig.pending() == 0
    # every crash left acknowledged rows unmarked: they went out twice and the inbox dropped them
    assert len(await rig.published()) >= 3000 + 3 * 200


async def test_relay_killed_between_broker_ack_and_marking_packed_rows_sent(rig):
    # the bulk paths' form: each transaction's 100 events in one packed outbox row
    await rig.write(keys=50, count=3000, packed=True)
    assert await rig.pending() == 30
    rig.spawn("consume")
    for _ in range(3):
        relay = rig.spawn("relay", CRASH_EXIT_AFTER_PUBLISH="2")
        assert await asyncio.to_thread(relay.wait, 60) == KILLED_AFTER_ACK
    assert await rig.pending() > 0
    rig.spawn("relay")
    assert await rig.wait_all_applied()
    rig.assert_exactly_once(await rig.tally())  # nothing lost or applied twice, no key inverted
    assert await rig.pending() == 0
    # each crash left whole packed rows acknowledged but unmarked: every event in them went out
    # twice, one Kafka record each, and the inbox dropped the second
    published = await rig.published()
    assert len(published) >= 3000 + 3 * 200
    assert all(m.header("ce_type") for m in published)


async def test_broker_stopped_for_30_seconds_under_load(rig):
    rig.spawn("relay")
    rig.spawn("consume")

    async def write_steadily():
        for _ in range(150):  # 3,000 events over ~40 s
            await rig.write(keys=50, count=20, per_transaction=20)
            await asyncio.sleep(0.25)

    writer = asyncio.create_task(write_steadily())
    await asyncio.sleep(4)
    await asyncio.to_thread(rig.kafka, "stop")
    try:
        outage_started = time.monotonic()
        written_before = len(rig.expected)
        await asyncio.sleep(30 - (time.monotonic() - outage_started))
        backlog = await rig.pending()
        written_during = len(rig.expected) - written_before
    finally:
        await asyncio.to_thread(rig.kafka, "start")
    assert written_during > 1000, "writes must not block while the broker is down"
    assert backlog > 0, "the outbox holds the events until the broker is back"
    await writer
    assert await rig.wait_all_applied(timeout=120)
    rig.assert_exactly_once(await rig.tally())
    assert await rig.pending() == 0


async def test_poison_message_and_a_handler_that_fails_twice(rig):
    flaky = {i: 2 for i in range(7, 1500, 150)}
    await rig.write(keys=50, count=1500, fail_times=flaky)
    poison = b"\x00\xffnot an envelope"
    await rig.write_poison("key-7", poison)
    await rig.write(keys=50, count=1500, fail_times=flaky)
    rig.spawn("relay")
    rig.spawn("consume")
    assert await rig.wait_all_applied()
    rig.assert_exactly_once(await rig.tally())  # includes key-7's events after the poison
    [dead] = await rig.dead_letters()
    assert dead.value == poison
    assert dead.key == b"key-7"
    assert dead.header("dlq.origin.topic") == rig.topic
    assert dead.header("dlq.origin.partition") is not None
    assert int(dead.header("dlq.origin.offset")) >= 0
    assert "invalid envelope" in dead.header("dlq.error")
