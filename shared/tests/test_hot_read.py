"""`fetch_one`: a read session's one-row SELECT sent on the asyncpg connection answers exactly
what SQLAlchemy's path answers (processed values, labels, no row), and fails the same way."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    event,
    func,
    select,
)
from sqlalchemy.exc import DBAPIError

from yunying_shared.db import Database, UTCDateTime
from yunying_shared.db.hot_read import fetch_one
from yunying_shared.testing.databases import fresh_postgres_database

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String),
    Column("size", Integer),
    Column("seen_at", UTCDateTime),  # a TypeDecorator: bind and result processors
)
THING = uuid4()
SEEN = datetime(2026, 6, 1, 1, 0, 0, 123456, tzinfo=UTC)
BY_ID = select(things).where(things.c.id == bindparam("id"))
# A label and a value bound in the statement itself, besides the caller's parameter.
LABELLED = select(things.c.name, things.c.seen_at.label("when")).where(
    things.c.id == bindparam("id"), things.c.size == 3
)


@pytest.fixture(params=["postgresql", "sqlite"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hot.db'}")
        await _fill(db)
        yield db
        await db.dispose()
        return
    async with fresh_postgres_database("hotread") as url:
        db = Database(url)
        await _fill(db)
        yield db
        await db.dispose()


async def _fill(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(things.insert().values(id=THING, name="kettle", size=3, seen_at=SEEN))


def _count_sqlalchemy_statements(db: Database) -> list[str]:
    """The SELECTs sent through SQLAlchemy from now on (SQLite's BEGIN IMMEDIATE aside)."""
    sent: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _sent(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT"):
            sent.append(statement)

    return sent


@pytest.mark.parametrize(
    ("statement", "params"),
    [(BY_ID, {"id": THING}), (LABELLED, {"id": THING}), (BY_ID, {"id": uuid4()})],
    ids=["row", "labelled", "none"],
)
async def test_the_same_answer_as_sqlalchemy(
    database: Database, statement: Any, params: dict[str, UUID]
) -> None:
    async with database.read_session() as session:
        row = (await session.execute(statement, params)).first()
        expected = None if row is None else dict(row._mapping)
        assert await fetch_one(session, statement, params) == expected
    if expected is not None:
        assert expected[next(k for k in expected if k in ("seen_at", "when"))] == SEEN


async def test_a_read_session_on_postgresql_skips_sqlalchemy(database: Database) -> None:
    sent = _count_sqlalchemy_statements(database)
    async with database.read_session() as session:
        assert (await fetch_one(session, BY_ID, {"id": THING})) is not None
    expected = 0 if database.dialect == "postgresql" else 1
    assert len(sent) == expected, sent


async def test_an_ordinary_session_keeps_sqlalchemys_path(database: Database) -> None:
    # Its transaction's BEGIN is sent lazily: a statement on the driver could run outside it.
    sent = _count_sqlalchemy_statements(database)
    async with database.session() as session:
        assert (await fetch_one(session, BY_ID, {"id": THING})) is not None
    assert len(sent) == 1


async def test_a_statement_it_cannot_prepare_keeps_sqlalchemys_path(database: Database) -> None:
    sent = _count_sqlalchemy_statements(database)
    expanding = select(things.c.name).where(things.c.id.in_([THING]))
    async with database.read_session() as session:
        assert await fetch_one(session, expanding, {}) == {"name": "kettle"}
    assert len(sent) == 1


async def test_a_bad_parameter_fails_as_through_sqlalchemy(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite takes SQLAlchemy's path anyway")
    by_name = select(things.c.id).where(things.c.name == bindparam("name"))
    async with database.read_session() as session:
        with pytest.raises(DBAPIError):  # not the driver's own DataError
            await fetch_one(session, by_name, {"name": 5})


async def test_a_lost_connection_fails_as_a_connection_error(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("a PostgreSQL backend is terminated")
    async with database.read_session() as session:
        pid = await session.scalar(select(func.pg_backend_pid()))
        async with database.engine.connect() as other:
            await other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        await asyncio.sleep(0.2)
        with pytest.raises(DBAPIError) as failed:
            await fetch_one(session, BY_ID, {"id": THING})
    # What the kit's handler answers as 503 database_unavailable.
    assert failed.value.connection_invalidated or isinstance(failed.value.orig, OSError)
