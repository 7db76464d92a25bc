"""After PostgreSQL drops the service's connections (a restart, a killed backend), the next
requests get fresh connections: pooled connections closed while idle are refused at checkout
(the kit's cheap stand-in for `pool_pre_ping`), so no request is answered with a dead one."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from yunying_shared.db import Database, SessionDep
from yunying_shared.errors import install_error_handlers
from yunying_shared.testing.databases import fresh_postgres_database

POOLED = 3


def make_app(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.database = database
    install_error_handlers(app)

    @app.get("/backend")
    async def backend(session: SessionDep) -> dict[str, int]:
        # Held a moment, so concurrent requests each take a connection of their own.
        await session.execute(text("SELECT pg_sleep(0.05)"))
        return {"pid": int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)}

    @app.get("/killed")
    async def killed(session: SessionDep) -> dict[str, str]:
        # The request's own backend ends between its statements: nothing can hide that one.
        await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return {"unreachable": "yes"}

    return app


@pytest.fixture
async def served():
    async with fresh_postgres_database("reconnect") as url:
        database = Database(url, pool_size=POOLED)
        transport = httpx.ASGITransport(app=make_app(database), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http, database, url.rsplit("/", 1)[1]
        await database.dispose()


async def _terminate_backends(database: Database, name: str, pids: set[int]) -> None:
    """What a restart does to each connection: the backend ends and its socket is closed."""
    async with database.background_engine.connect() as conn:
        await conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
            {"pids": list(pids)},
        )
        await conn.commit()
        while (
            await conn.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n AND pid = ANY(:p)"),
                {"n": name, "p": list(pids)},
            )
        ) != 0:
            await conn.commit()  # pg_stat_activity is read once per transaction
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # the client's event loop reads the closed sockets


async def test_requests_after_the_backends_are_killed_get_fresh_connections(served):
    http, database, name = served
    warm = await asyncio.gather(*(http.get("/backend") for _ in range(POOLED)))
    assert [r.status_code for r in warm] == [200] * POOLED
    killed = {r.json()["pid"] for r in warm}
    assert len(killed) == POOLED  # every pooled connection is one the kill closes

    await _terminate_backends(database, name, killed)

    after = [await http.get("/backend") for _ in range(POOLED + 1)]
    assert [r.status_code for r in after] == [200] * (POOLED + 1), [r.text for r in after]
    assert not killed & {r.json()["pid"] for r in after}


async def test_a_connection_killed_inside_a_request_is_the_documented_503(served):
    http, _, _ = served
    refused = await http.get("/killed")
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("/database_unavailable")
    assert (await http.get("/backend")).status_code == 200
