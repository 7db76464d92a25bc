"""Bulk publishing: 1,000+ events go in by COPY on PostgreSQL (INSERT on SQLite) and come out the
same; `encode_envelope` writes exactly the bytes the validated Envelope model writes."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from yunying_shared.bus import Relay, define_bus_tables, publish
from yunying_shared.bus.outbox import COPY_FROM
from yunying_shared.db import new_metadata
from yunying_shared.events import WORKSPACE_CREATED, Envelope, encode_envelope, make_event
from yunying_shared.events.payloads.gateway import WorkspaceCreated
from yunying_shared.testing.databases import database_with_tables

metadata = new_metadata()
BUS = define_bus_tables(metadata)


@pytest.fixture
async def database(dialect, tmp_path):
    async with database_with_tables(dialect, tmp_path, metadata) as db:
        yield db


@pytest.mark.parametrize("subject", ['品牌/A "quoted" \\ \n', None])
@pytest.mark.parametrize("workspace", [uuid.uuid4(), None])
def test_encode_envelope_matches_the_model(subject, workspace):
    now = datetime.now(UTC)
    data = {
        "name": "完美日记",
        "n": 3,
        "x": None,
        "at": TypeAdapter(datetime).dump_python(now, mode="json"),
        "nested": {"list": [1, 2.5, True]},
    }
    model = Envelope(
        source="/test",
        type="yunying.test.v1",
        subject=subject,
        workspace=workspace,
        time=now,
        data=data,
    )
    encoded = encode_envelope(
        id=model.id,
        source="/test",
        type="yunying.test.v1",
        time=TypeAdapter(datetime).dump_python(now, mode="json"),
        subject=subject,
        workspace=workspace,
        data=data,
    )
    assert encoded == model.to_bytes()


async def test_bulk_publish_stores_every_event_and_the_relay_delivers_them(
    database, local_transport
):
    events = []
    for i in range(COPY_FROM + 200):
        workspace_id = uuid.uuid4()
        events.append(
            make_event(
                WORKSPACE_CREATED,
                WorkspaceCreated(
                    workspace_id=workspace_id,
                    name=f"品牌{i}",
                    slug=f"b-{i}",
                    created_at=datetime.now(UTC),
                ),
                source="/test",
                workspace=workspace_id,
            )
        )
    async with database.session() as session, session.begin():
        await publish(session, BUS, *events)

    async with database.session() as session:
        rows = (
            await session.execute(
                select(
                    BUS.outbox.c.event_id,
                    BUS.outbox.c.topic,
                    BUS.outbox.c.key,
                    BUS.outbox.c.value,
                    BUS.outbox.c.headers,
                ).order_by(BUS.outbox.c.seq)
            )
        ).all()
    assert [r.event_id for r in rows] == [e.id for e in events]  # in order
    for row, event in zip(rows, events, strict=True):
        assert (row.topic, row.key, row.value) == (
            WORKSPACE_CREATED.topic,
            event.subject,
            event.to_bytes(),
        )
        assert row.headers == {"ce_type": WORKSPACE_CREATED.type}

    relay = Relay(
        service="t", database=database, tables=BUS, transport=local_transport, batch_size=500
    )
    while await relay.publish_pending():
        pass
    delivered = await local_transport.read_all(WORKSPACE_CREATED.topic)
    assert sorted(m.value for m in delivered) == sorted(e.to_bytes() for e in events)
