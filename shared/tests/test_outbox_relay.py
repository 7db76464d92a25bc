"""The outbox holds an event exactly when its transaction committed; the relay delivers it and
marks it sent only after the transport acknowledged it."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from yunying_shared.bus import Relay, define_bus_tables, publish
from yunying_shared.bus.transport import TransportUnavailable
from yunying_shared.db import Database, new_metadata
from yunying_shared.events import WORKSPACE_CREATED, make_event
from yunying_shared.events.payloads.gateway import WorkspaceCreated
from yunying_shared.testing.databases import database_with_tables, fresh_database

metadata = new_metadata()
BUS = define_bus_tables(metadata)


def _event():
    workspace_id = uuid.uuid4()
    payload = WorkspaceCreated(
        workspace_id=workspace_id, name="A", slug="a", created_at=datetime.now(UTC)
    )
    return make_event(WORKSPACE_CREATED, payload, source="/test", workspace=workspace_id)


@pytest.fixture
async def database(dialect, tmp_path):
    async with database_with_tables(dialect, tmp_path, metadata) as db:
        yield db


async def _pending(database):
    async with database.session() as session:
        return await session.scalar(select(func.count()).where(BUS.outbox.c.published_at.is_(None)))


async def test_rolled_back_transaction_leaves_no_event(database):
    async with database.session() as session:
        await publish(session, BUS, _event())
        await session.rollback()
    assert await _pending(database) == 0


async def test_relay_publishes_in_order_and_marks_sent(database, local_transport):
    events = [_event() for _ in range(7)]
    async with database.session() as session, session.begin():
        await publish(session, BUS, *events)
    relay = Relay(
        service="t", database=database, tables=BUS, transport=local_transport, batch_size=5
    )
    assert await relay.publish_pending() == 5
    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 0
    assert await _pending(database) == 0
    delivered = await local_transport.read_all(WORKSPACE_CREATED.topic)
    assert sorted(m.value for m in delivered) == sorted(e.to_bytes() for e in events)
    by_key = {m.key: m for m in delivered}
    assert set(by_key) == {e.subject.encode() for e in events}


class BrokerDown(TransportUnavailable):
    pass


async def test_unacknowledged_publish_keeps_rows_pending(database, local_transport):
    async with database.session() as session, session.begin():
        await publish(session, BUS, _event(), _event())

    async def refuse(_messages):
        raise BrokerDown("broker unreachable")

    relay = Relay(service="t", database=database, tables=BUS, transport=local_transport)
    original = local_transport.publish
    local_transport.publish = refuse
    with pytest.raises(BrokerDown):
        await relay.publish_pending()
    assert await _pending(database) == 2
    assert await relay.refresh_backlog() == 2
    local_transport.publish = original
    assert await relay.publish_pending() == 2
    assert await _pending(database) == 0


async def test_relay_publishes_while_requests_hold_every_pooled_connection(
    dialect, tmp_path, local_transport
):
    """The relay's connections are its own: requests that exhaust their pool do not hold back
    what their transactions committed. (SQLite has one engine for both: see
    make_background_engine.)"""
    if dialect != "postgresql":
        pytest.skip("one engine on SQLite: a single writer whatever the pool")
    async with fresh_database(dialect, tmp_path) as url:
        database = Database(url, pool_size=1, background_pool_size=2)
        try:
            async with database.engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            async with database.session() as session, session.begin():
                await publish(session, BUS, _event(), _event(), _event())
            # pool_size 1: two connections at the most, both held as by busy requests
            held = [await database.engine.connect() for _ in range(2)]
            assert database.engine.pool.checkedout() == 2  # type: ignore[attr-defined]
            relay = Relay(service="t", database=database, tables=BUS, transport=local_transport)
            assert await relay._hold_leadership()
            assert await relay.publish_pending() == 3
            assert await relay.refresh_backlog() == 0
            await relay.stop()
            assert len(await local_transport.read_all(WORKSPACE_CREATED.topic)) == 3
            for conn in held:
                await conn.close()
        finally:
            await database.dispose()
