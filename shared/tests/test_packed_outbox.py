"""Packed outbox rows: the bulk path stores many events of a topic in one row, and the relay
publishes them as one message each, in order, exactly as plain rows would be."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from yunying_shared.bus import Relay, define_bus_tables, publish_encoded
from yunying_shared.bus.kafka import MAX_BATCH_BYTES
from yunying_shared.bus.packed import (
    EXPANDED_MARK,
    PACK_EVENTS,
    PackedEvent,
    pack,
    register_expansion,
    unpack,
)
from yunying_shared.db import Database, new_metadata
from yunying_shared.events import encode_envelope
from yunying_shared.events.catalogue import USER_EVENT_ACCEPTED, WORKSPACE_CREATED
from yunying_shared.testing.databases import database_with_tables, fresh_postgres_database
from yunying_shared.testing.outbox import outbox_events

metadata = new_metadata()
BUS = define_bus_tables(metadata)


@pytest.fixture
async def database(dialect, tmp_path):
    async with database_with_tables(dialect, tmp_path, metadata) as db:
        yield db


def _encoded(spec, key, i):
    event_id = uuid.uuid4()
    value = encode_envelope(
        id=event_id,
        source="/test",
        type=spec.type,
        time="2026-12-01T00:00:00Z",
        subject=key,
        workspace=None,
        data={"n": i, "name": f"品牌{i}"},
    )
    return (event_id, spec.type, key, value)


def test_pack_and_unpack_round_trip_keys_headers_and_values():
    events = [
        ("u1", '{"ce_type": "a"}', b"{}"),
        (None, "{}", b""),
        ("用户", '{"x": 1}', b"\x00\xff"),
    ]
    assert [(e.key, e.headers, e.value) for e in unpack(pack(events))] == events


def test_a_truncated_packed_value_is_refused():
    with pytest.raises(ValueError, match="inside a frame"):
        list(unpack(pack([("u1", "{}", b"abc")]) + b"\x00"))


async def test_bulk_events_are_packed_per_topic_and_relayed_one_message_each_in_order(
    database, local_transport
):
    # two topics interleaved; one of them more than a packed row holds
    events = []
    for i in range(PACK_EVENTS + 300):
        events.append(_encoded(USER_EVENT_ACCEPTED, f"u{i % 7}", i))
        if i % 10 == 0:
            events.append(_encoded(WORKSPACE_CREATED, f"w{i % 3}", i))
    async with database.session() as session, session.begin():
        await publish_encoded(session, BUS, events)

    async with database.session() as session:
        rows = (
            await session.execute(
                select(BUS.outbox.c.topic, BUS.outbox.c.packed).order_by(BUS.outbox.c.seq)
            )
        ).all()
    accepted = sum(1 for e in events if e[1] == USER_EVENT_ACCEPTED.type)
    assert [tuple(r) for r in rows] == [
        (USER_EVENT_ACCEPTED.topic, PACK_EVENTS),
        (USER_EVENT_ACCEPTED.topic, accepted - PACK_EVENTS),
        (WORKSPACE_CREATED.topic, len(events) - accepted),
    ]

    relay = Relay(
        service="t", database=database, tables=BUS, transport=local_transport, batch_size=700
    )
    published = []
    while count := await relay.publish_pending():
        published.append(count)
    assert sum(published) == len(events)
    for spec in (USER_EVENT_ACCEPTED, WORKSPACE_CREATED):
        delivered = await local_transport.read_all(spec.topic)
        sent = [e for e in events if e[1] == spec.type]
        assert sorted(m.value for m in delivered) == sorted(e[3] for e in sent)
        for m in delivered:
            assert m.header("ce_type") == spec.type
            assert m.key == json.loads(m.value)["subject"].encode()
        for key in {e[2] for e in sent}:  # each key's events in the order they were written
            assert [m.value for m in delivered if m.key == key.encode()] == [
                e[3] for e in sent if e[2] == key
            ]


async def test_a_single_bulk_event_stays_a_plain_row(database):
    event = _encoded(USER_EVENT_ACCEPTED, "u1", 1)
    async with database.session() as session, session.begin():
        await publish_encoded(session, BUS, [event])
    async with database.session() as session:
        row = (await session.execute(select(BUS.outbox))).one()
    assert (row.event_id, row.key, row.value, row.packed) == (event[0], "u1", event[3], None)
    assert row.headers == {"ce_type": USER_EVENT_ACCEPTED.type}


async def test_a_relay_batch_takes_whole_packed_rows_up_to_its_size(database, local_transport):
    for _ in range(3):  # three packed rows of three events
        async with database.session() as session, session.begin():
            await publish_encoded(
                session, BUS, [_encoded(USER_EVENT_ACCEPTED, f"u{i}", i) for i in range(3)]
            )
    relay = Relay(
        service="t", database=database, tables=BUS, transport=local_transport, batch_size=5
    )
    # the second row starts below 5 events, so it is taken whole; the third waits
    assert await relay.publish_pending() == 6
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0
    assert await relay.refresh_backlog() == 0
    assert len(await local_transport.read_all(USER_EVENT_ACCEPTED.topic)) == 9


def _numbers(value, shared):
    """A toy expansion: the value lists numbers, the headers what their events share."""
    for n in value.decode().split(","):
        envelope = json.dumps({"n": int(n), "of": shared["of"]}, ensure_ascii=False)
        yield PackedEvent(f"k{n}", json.dumps({"ce_type": shared["type"]}), envelope.encode())


register_expansion("test.numbers", _numbers)


async def _expanded_row(database, value, expand):
    async with database.session() as session, session.begin():
        await session.execute(
            insert(BUS.outbox).values(
                event_id=uuid.uuid4(),
                topic="test.expanded",
                key=None,
                value=value,
                headers={"expand": expand, "type": "t.v1", "of": "品牌"},
                created_at=datetime.now(UTC),
                packed=3,
            )
        )


async def test_an_expanded_row_is_published_as_its_expansion_makes_it(database, local_transport):
    await _expanded_row(database, EXPANDED_MARK + b"3,1,2", "test.numbers")
    relay = Relay(service="t", database=database, tables=BUS, transport=local_transport)
    assert await relay.publish_pending() == 3
    delivered = await local_transport.read_all("test.expanded")
    want = [
        (f"k{n}", json.dumps({"n": n, "of": "品牌"}, ensure_ascii=False).encode(), "t.v1")
        for n in (3, 1, 2)
    ]
    assert sorted((m.key.decode(), m.value, m.header("ce_type")) for m in delivered) == sorted(want)
    async with database.session() as session:  # what tests read: the same, in frame order
        events = await outbox_events(session, BUS)
    assert [(e.key, e.value, e.type) for e in events] == want
    assert await relay.refresh_backlog() == 0


@pytest.mark.parametrize(
    ("value", "expand"),
    [(EXPANDED_MARK + b"1,2,3", "test.nobody"), (b"1,2,3", "test.numbers")],
    ids=["unknown expansion", "no mark"],
)
async def test_an_expanded_row_the_relay_cannot_expand_stays_pending(
    database, local_transport, value, expand
):
    await _expanded_row(database, value, expand)
    relay = Relay(service="t", database=database, tables=BUS, transport=local_transport)
    with pytest.raises(ValueError):
        await relay.publish_pending()
    assert await local_transport.read_all("test.expanded") == []
    assert await relay.refresh_backlog() == 3


def test_a_frame_reader_refuses_an_expanded_value():
    """A relay from before expansions reads every packed row as frames: it must fail on an
    expanded one (and leave it pending), not publish its bytes."""
    with pytest.raises(ValueError, match="inside a frame"):
        list(unpack(EXPANDED_MARK + pack([("u1", "{}", b"abc")])))


@pytest.mark.kafka
@pytest.mark.postgres
async def test_a_packed_row_larger_than_a_kafka_request_is_sent_in_several(kafka_transport):
    topic = f"test.packed.{uuid.uuid4().hex[:8]}"
    value = b"x" * 1500
    frames = [("one-key", '{"ce_type": "t"}', b"%06d" % i + value) for i in range(1000)]
    packed = pack(frames)
    assert len(packed) > 1.4 * MAX_BATCH_BYTES  # one key: one partition, more than one batch
    async with fresh_postgres_database() as url:
        database = Database(url)
        try:
            async with database.engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            async with database.session() as session, session.begin():
                await session.execute(
                    insert(BUS.outbox),
                    [
                        {
                            "event_id": uuid.uuid4(),
                            "topic": topic,
                            "key": None,
                            "value": packed,
                            "headers": {},
                            "created_at": datetime.now(UTC),
                            "packed": len(frames),
                        }
                    ],
                )
            relay = Relay(service="t", database=database, tables=BUS, transport=kafka_transport)
            assert await relay.publish_pending() == len(frames)
            assert await relay.refresh_backlog() == 0
        finally:
            await database.dispose()
    delivered = await kafka_transport.read_all(topic)
    assert [m.value for m in delivered] == [f[2] for f in frames]  # one partition, in order
    assert {m.key for m in delivered} == {b"one-key"}
