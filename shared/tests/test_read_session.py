"""`ReadSessionDep`: a read-only route's session runs its SELECTs without a transaction on
PostgreSQL (no BEGIN and COMMIT round trips), and refuses anything that is not a plain SELECT,
so a write can never commit statement by statement or be dropped silently."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import registry

from yunying_shared.db import Database, ReadSessionDep, SessionDep, driver_connection
from yunying_shared.db.reads import WriteInReadSession
from yunying_shared.testing.databases import fresh_postgres_database

metadata = MetaData()
counters = Table("counters", metadata, Column("id", Integer, primary_key=True))


class Counter:
    def __init__(self, id: int) -> None:
        self.id = id


registry().map_imperatively(Counter, counters)


@pytest.fixture(params=["postgresql", "sqlite"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'read.db'}")
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield db
        await db.dispose()
        return
    async with fresh_postgres_database("readsession") as url:
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield db
        await db.dispose()


def make_app(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.database = database

    @app.get("/count")
    async def count(session: ReadSessionDep) -> dict[str, int]:
        return {"rows": len((await session.execute(select(counters))).all())}

    @app.post("/counters")
    async def add(session: SessionDep) -> dict[str, str]:
        await session.execute(insert(counters).values(id=1))
        return {"added": "yes"}

    return app


async def test_a_read_route_reads_what_was_committed(database: Database) -> None:
    transport = httpx.ASGITransport(app=make_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/count")).json() == {"rows": 0}
        assert (await http.post("/counters")).status_code == 200
        assert (await http.get("/count")).json() == {"rows": 1}


async def test_reads_run_outside_a_transaction_on_postgresql(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite keeps its transaction (the begin event takes the writer's lock)")
    # now() is when the transaction began: the same for every statement inside one.
    started = select(func.now())
    async with database.read_session() as session:
        first = await session.scalar(started)
        await asyncio.sleep(0.01)
        assert await session.scalar(started) != first
    async with database.session() as session:  # the ordinary session is unchanged
        first = await session.scalar(started)
        await asyncio.sleep(0.01)
        assert await session.scalar(started) == first


@pytest.mark.parametrize(
    "statement",
    [
        insert(counters).values(id=7),
        counters.delete(),
        select(counters).with_for_update(),
        text("INSERT INTO counters (id) VALUES (7)"),
    ],
    ids=["insert", "delete", "for-update", "text"],
)
async def test_a_read_session_refuses_anything_but_a_plain_select(
    database: Database, statement: object
) -> None:
    async with database.read_session() as session:
        with pytest.raises(WriteInReadSession):
            await session.execute(statement)  # type: ignore[call-overload]
    async with database.session() as session:
        assert (await session.execute(select(counters))).all() == []


async def test_a_read_session_refuses_a_flush_and_the_driver_connection(
    database: Database,
) -> None:
    async with database.read_session() as session:
        session.add(Counter(9))
        with pytest.raises(WriteInReadSession):
            await session.flush()
    async with database.read_session() as session:
        with pytest.raises(WriteInReadSession):
            await driver_connection(session)
    async with database.session() as session:
        assert (await session.execute(select(counters))).all() == []


async def test_a_read_route_gives_its_connection_back_before_answering(database: Database) -> None:
    """The read session is closed with the route's function (no `yield` dependency holds it),
    on an answer and on an error alike: its connection is back in the pool before the
    response goes out, even while something still holds the session."""
    app = make_app(database)
    kept: list[AsyncSession] = []
    pool = database.engine.pool

    @app.get("/kept")
    async def kept_route(session: ReadSessionDep) -> dict[str, int]:
        kept.append(session)  # outlives the request: only the route's end closes it
        rows = len((await session.execute(select(counters))).all())
        return {"rows": rows, "checked_out": pool.checkedout()}  # type: ignore[attr-defined]

    @app.get("/missing")
    async def missing_route(session: ReadSessionDep) -> dict[str, int]:
        kept.append(session)
        await session.execute(select(counters))
        raise HTTPException(404, "no such counter")

    @app.middleware("http")
    async def pool_when_answering(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["x-checked-out"] = str(pool.checkedout())  # type: ignore[attr-defined]
        return response

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answered = await http.get("/kept")
        assert answered.json() == {"rows": 0, "checked_out": 1}
        assert answered.headers["x-checked-out"] == "0"
        refused = await http.get("/missing")
        assert refused.status_code == 404
        assert refused.headers["x-checked-out"] == "0"
    assert len(kept) == 2
    assert not any(session.in_transaction() for session in kept)
