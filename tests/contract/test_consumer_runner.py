"""The consumer runner's guarantees, on both transports: effects once, failures dead-lettered."""

import asyncio
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from yunying_shared.bus import ConsumerRunner, define_bus_tables, dlq_topic
from yunying_shared.bus.kafka import _key_hash
from yunying_shared.bus.local import partition_for
from yunying_shared.bus.transport import Message
from yunying_shared.db import Database
from yunying_shared.events import Envelope
from yunying_shared.testing.bus import wait_until
from yunying_shared.testing.databases import fresh_postgres_database

metadata = MetaData()
BUS = define_bus_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String, nullable=False),
    Column("seq", Integer, nullable=False),
)
APPLY = "yunying.contract.applied.v1"
MAX_ATTEMPTS = 3


@pytest.fixture
async def database(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'consumer.sqlite3'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield db
    await db.dispose()


@dataclass
class Behaviour:
    """How the handler treats each sequence number: fail n times, or always."""

    failures_left: dict[int, int] = field(default_factory=dict)
    always_fail: set[int] = field(default_factory=set)
    calls: dict[int, int] = field(default_factory=dict)

    async def handle(self, session, envelope, _payload):
        seq = envelope.data["seq"]
        self.calls[seq] = self.calls.get(seq, 0) + 1
        if seq in self.always_fail:
            raise RuntimeError(f"cannot apply {seq}")
        if self.failures_left.get(seq, 0) > 0:
            self.failures_left[seq] -= 1
            raise RuntimeError(f"transient failure on {seq}")
        await session.execute(insert(effects).values(key=envelope.subject, seq=seq))


def _event(seq, key="k1"):
    return Envelope(source="/contract", type=APPLY, subject=key, data={"seq": seq})


def _message(topic, envelope):
    return Message(topic, (envelope.subject or "").encode(), envelope.to_bytes())


async def _applied(database):
    async with database.session() as session:
        return list((await session.execute(select(effects.c.seq).order_by(effects.c.id))).scalars())


def _runner(database, transport, topic, **settings):
    """A runner of the contract service on `topic`, in a consumer group of its own unless given."""
    settings.setdefault("group", f"g-{uuid.uuid4().hex[:8]}")
    return ConsumerRunner(
        service="contract",
        database=database,
        tables=BUS,
        transport=transport,
        topics=[topic],
        **settings,
    )


async def _run(database, transport, topic, behaviour, messages, until):
    runner = _runner(
        database,
        transport,
        topic,
        handlers={APPLY: behaviour.handle},
        max_attempts=MAX_ATTEMPTS,
        backoff_seconds=0.01,
        backoff_max_seconds=0.1,
    )
    await runner.start()
    try:
        await transport.publish(messages)
        return await wait_until(until, timeout=40)
    finally:
        await runner.stop()


async def test_a_redelivered_event_changes_nothing(database, transport, topic):
    event = _event(1)
    messages = [_message(topic, event), _message(topic, _event(2)), _message(topic, event)]

    async def done():
        return await _applied(database) == [1, 2]

    assert await _run(database, transport, topic, Behaviour(), messages, done)
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(effects)) == 2


async def test_an_invalid_envelope_is_dead_lettered_at_once(database, transport, topic):
    poison = Message(topic, b"k1", b'{"type": "no id, no source"}')
    behaviour = Behaviour()

    async def done():
        return await _applied(database) == [1] and bool(await transport.read_all(dlq_topic(topic)))

    assert await _run(
        database, transport, topic, behaviour, [poison, _message(topic, _event(1))], done
    )
    [dead] = await transport.read_all(dlq_topic(topic))
    assert dead.value == poison.value
    assert dead.header("dlq.origin.topic") == topic
    assert dead.header("dlq.origin.partition") is not None
    assert dead.header("dlq.origin.offset") == "0"
    assert "invalid envelope" in dead.header("dlq.error")
    assert dead.header("dlq.attempts") == "1"


async def test_a_handler_failing_twice_then_succeeding_applies_once(database, transport, topic):
    behaviour = Behaviour(failures_left={1: 2})

    async def done():
        return await _applied(database) == [1, 2]

    assert await _run(
        database,
        transport,
        topic,
        behaviour,
        [_message(topic, _event(1)), _message(topic, _event(2))],
        done,
    )
    assert behaviour.calls[1] == 3
    assert await transport.read_all(dlq_topic(topic)) == []


async def test_a_handler_that_always_fails_is_dead_lettered_and_later_messages_flow(
    database, transport, topic
):
    behaviour = Behaviour(always_fail={1})

    async def done():
        return await _applied(database) == [2, 3]

    messages = [_message(topic, _event(seq)) for seq in (1, 2, 3)]
    assert await _run(database, transport, topic, behaviour, messages, done)
    [dead] = await transport.read_all(dlq_topic(topic))
    assert Envelope.from_bytes(dead.value).data == {"seq": 1}
    assert dead.header("dlq.attempts") == str(MAX_ATTEMPTS)
    assert "RuntimeError: cannot apply 1" in dead.header("dlq.error")
    # max_attempts one at a time, after a first try inside the batch transaction
    assert behaviour.calls[1] in (MAX_ATTEMPTS, MAX_ATTEMPTS + 1)


OTHER = "yunying.contract.other.v1"


async def test_batch_handlers_keep_order_across_types_apply_once_and_dead_letter(
    database, transport, topic
):
    """A batch handler gets runs of consecutive events of its type; the per-event handler of
    another type runs between them, so the key's order holds; a redelivery is dropped; a run
    with a failing event falls back to one at a time and only that event is dead-lettered."""
    runs: list[list[int]] = []

    async def apply_batch(session, events):
        seqs = [envelope.data["seq"] for envelope, _ in events]
        runs.append(seqs)
        if 4 in seqs:
            raise RuntimeError("cannot apply 4")
        await session.execute(
            insert(effects),
            [{"key": envelope.subject, "seq": envelope.data["seq"]} for envelope, _ in events],
        )

    async def apply_other(session, envelope, _payload):
        await session.execute(
            insert(effects).values(key=envelope.subject, seq=envelope.data["seq"])
        )

    def other(seq):
        return Envelope(source="/contract", type=OTHER, subject="k1", data={"seq": seq})

    first = _event(1)
    events = [first, _event(2), other(3), _event(4), _event(5), first, other(6), _event(7)]

    async def done():
        return await _applied(database) == [1, 2, 3, 5, 6, 7]

    runner = _runner(
        database,
        transport,
        topic,
        handlers={OTHER: apply_other},
        batch_handlers={APPLY: apply_batch},
        max_attempts=2,
        backoff_seconds=0.01,
        backoff_max_seconds=0.1,
    )
    await runner.start()
    try:
        await transport.publish([_message(topic, e) for e in events])
        assert await wait_until(done, timeout=40)
    finally:
        await runner.stop()
    [dead] = await transport.read_all(dlq_topic(topic))
    assert Envelope.from_bytes(dead.value).data == {"seq": 4}
    assert all(seqs == sorted(seqs) for seqs in runs)
    assert [1, 2] in runs  # a run of two went to the batch handler at once
    assert await _applied(database) == [1, 2, 3, 5, 6, 7]


def test_a_type_cannot_have_both_kinds_of_handler(tmp_path):
    with pytest.raises(ValueError, match=r"both|batch"):
        ConsumerRunner(
            service="c",
            database=Database(f"sqlite+aiosqlite:///{tmp_path}/x.db"),
            tables=BUS,
            transport=None,
            handlers={APPLY: Behaviour().handle},
            batch_handlers={APPLY: Behaviour().handle},
            topics=["t"],
            group="g",
        )


async def test_an_idempotent_batch_handler_skips_the_inbox_and_sees_each_event_once_per_batch(
    database, transport, topic
):
    """A type registered as idempotent writes no inbox row; a redelivery inside one fetched
    batch still reaches its handler once, and across batches the handler's own key drops it."""
    seen: list[int] = []

    async def apply_batch(session, events):
        for envelope, _ in events:
            seen.append(envelope.data["seq"])
            exists = await session.scalar(
                select(func.count()).where(effects.c.seq == envelope.data["seq"])
            )
            if not exists:  # the handler's own dedupe, as ingestion's unique event id
                await session.execute(
                    insert(effects).values(key=envelope.subject, seq=envelope.data["seq"])
                )

    first = _event(1)
    runner = _runner(
        database,
        transport,
        topic,
        handlers={},
        batch_handlers={APPLY: apply_batch},
        idempotent_types=frozenset({APPLY}),
    )
    await runner.start()
    try:
        await transport.publish([_message(topic, e) for e in (first, _event(2), first)])

        async def done():
            return await _applied(database) == [1, 2]

        assert await wait_until(done, timeout=40)
        await transport.publish([_message(topic, first)])  # a later redelivery
        assert await wait_until(lambda: _count(seen, 1, 2), timeout=40)
    finally:
        await runner.stop()
    assert await _applied(database) == [1, 2]
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(BUS.inbox)) == 0


async def _count(seen, seq, times):
    return seen.count(seq) == times


def _keys_of_one_partition(count):
    """Keys that land in one partition of 4 on both transports (crc32 and murmur2)."""

    def partitions(key):
        return partition_for(key.encode(), 4, 0), _key_hash(key.encode()) % 4

    keys = [f"k{i}" for i in range(2000)]
    return [key for key in keys if partitions(key) == partitions(keys[0])][:count]


@pytest.fixture
async def pg_database():
    async with fresh_postgres_database("lanes") as url:
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield db
        await db.dispose()


@pytest.mark.postgres
async def test_lanes_by_key_overlap_keep_each_keys_order_and_commit_everything(
    pg_database, transport, topic
):
    """With lanes, one key's transaction waiting does not hold the other keys of its partition
    back (the slow key's batch waits until another key's events were handled: one lane per
    partition would never get there), each key's events apply in order, once, and every offset
    is committed."""
    keys = _keys_of_one_partition(17)
    others_handled = asyncio.Event()

    async def handler(session, events):
        if any(envelope.subject == keys[0] for envelope, _ in events):
            await asyncio.wait_for(others_handled.wait(), 30)
        else:
            others_handled.set()
        await session.execute(
            insert(effects),
            [{"key": envelope.subject, "seq": envelope.data["seq"]} for envelope, _ in events],
        )

    events = [_event(seq, keys[seq % len(keys)]) for seq in range(170)]
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner = _runner(
        pg_database,
        transport,
        topic,
        handlers={},
        batch_handlers={APPLY: handler},
        group=group,
        lanes=4,
        fetch_max_records=500,
        transaction_max_events=5,
    )
    await runner.start()

    async def done():
        return len(await _applied(pg_database)) == len(events)

    try:
        await transport.publish([_message(topic, e) for e in events])
        assert await wait_until(done, timeout=40)
    finally:
        await runner.stop()
    async with pg_database.session() as session:
        rows = (
            await session.execute(select(effects.c.key, effects.c.seq).order_by(effects.c.id))
        ).all()
    for key in keys:
        applied = [seq for row_key, seq in rows if row_key == key]
        assert applied == [seq for seq in range(170) if keys[seq % len(keys)] == key]
    subscription = transport.subscribe(group, [topic])
    await subscription.start()
    try:
        assert (await subscription.lag()).total == 0
    finally:
        await subscription.stop()


async def test_a_slow_offset_commit_holds_up_no_event_and_commits_only_what_is_applied(
    database, transport, topic
):
    """Offsets go to the broker from a task beside the loop: while a commit hangs, the next
    events are still handled (awaited by the lane, the first hung commit stopped everything),
    and no commit ever names an event whose transaction has not committed."""
    behaviour = Behaviour()
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner = _runner(
        database,
        transport,
        topic,
        handlers={APPLY: behaviour.handle},
        group=group,
        fetch_max_records=1,  # a transaction and a commit per event
    )
    await runner.start()
    subscription = runner._subscription
    assert subscription is not None
    commit = subscription.commit
    release = asyncio.Event()
    commits: list[tuple[int, int]] = []  # (position committed, events applied by then)

    async def slow_commit(offsets):
        applied = len(await _applied(database))
        commits.extend((position, applied) for position in offsets.values())
        await release.wait()
        await commit(offsets)

    subscription.commit = slow_commit  # type: ignore[method-assign]

    async def all_applied():
        return len(await _applied(database)) == 5

    try:
        await transport.publish([_message(topic, _event(seq)) for seq in range(5)])
        assert await wait_until(all_applied, timeout=30)
        assert not release.is_set() and commits  # handled while the first commit hung
        release.set()
    finally:
        release.set()
        await asyncio.wait_for(runner.stop(), 20)
    assert await _applied(database) == list(range(5))
    assert all(position <= applied for position, applied in commits)
    assert max(position for position, _ in commits) == 5
    after = transport.subscribe(group, [topic])
    await after.start()
    try:
        assert (await after.lag()).total == 0
    finally:
        await after.stop()
