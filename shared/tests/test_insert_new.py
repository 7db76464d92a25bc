"""`SqlDialect.insert_new`: rows whose key is taken are left alone, and only the inserted rows'
keys come back, on both dialects."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from yunying_shared.bus import define_bus_tables
from yunying_shared.db import new_metadata
from yunying_shared.db.dialects import sql_dialect
from yunying_shared.testing.databases import database_with_tables

metadata = new_metadata()
BUS = define_bus_tables(metadata)
COLUMNS = ("consumer", "event_id", "event_type", "processed_at")


@pytest.fixture
async def database(dialect, tmp_path):
    async with database_with_tables(dialect, tmp_path, metadata) as db:
        yield db


async def test_only_rows_not_there_yet_are_inserted_and_returned(database):
    first, second = uuid.uuid4(), uuid.uuid4()
    earlier = datetime(2026, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    async with database.session() as session, session.begin():
        inserted = await sql_dialect(session).insert_new(
            session, BUS.inbox, COLUMNS, [("c", first, "a", earlier)], returning="event_id"
        )
        assert inserted == [first]
        inserted = await sql_dialect(session).insert_new(
            session,
            BUS.inbox,
            COLUMNS,
            [("c", second, "b", now), ("c", first, "changed", now), ("d", first, "c", now)],
            returning="event_id",
        )
        assert inserted == [second, first]  # ("d", first) is a new key; ("c", first) is not
        assert (
            await sql_dialect(session).insert_new(
                session, BUS.inbox, COLUMNS, [], returning="event_id"
            )
            == []
        )
        rows = (
            await session.execute(
                select(BUS.inbox.c.consumer, BUS.inbox.c.event_type, BUS.inbox.c.processed_at)
                .where(BUS.inbox.c.event_id == first)
                .order_by(BUS.inbox.c.consumer)
            )
        ).all()
    assert [tuple(row) for row in rows] == [("c", "a", earlier), ("d", "c", now)]
