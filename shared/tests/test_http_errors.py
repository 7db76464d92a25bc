"""Every error is problem+json naming what was wrong; nothing half-applies; no stack traces."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from yunying_shared.db import Database, SessionDep
from yunying_shared.errors import Conflict, install_error_handlers
from yunying_shared.http.middleware import BodyLimitMiddleware
from yunying_shared.testing.databases import fresh_database

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(50), nullable=False),
)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=50)


def make_app(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.database = database
    install_error_handlers(app)

    @app.post("/notes", status_code=201)
    async def create(note: NoteIn, session: SessionDep) -> dict[str, str]:
        await session.execute(insert(notes).values(text=note.text))
        if note.text == "conflict":
            raise Conflict("Refused after the insert; the insert must not survive.")
        if note.text == "crash":
            raise RuntimeError("secret internals")
        return {"text": note.text}

    app.add_middleware(BodyLimitMiddleware, max_bytes=2048)
    return app


@pytest.fixture
async def client(dialect, tmp_path):
    async with fresh_database(dialect, tmp_path) as url:
        database = Database(url)
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        transport = httpx.ASGITransport(app=make_app(database), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            http.database = database
            yield http
        await database.dispose()


async def _count(database: Database) -> int:
    async with database.session() as session:
        return len((await session.execute(select(notes))).all())


async def test_validation_error_names_the_field(client):
    response = await client.post("/notes", json={"text": ""})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["errors"][0]["field"] == "body.text"
    assert "body.text" in body["detail"]


async def test_malformed_json_is_422_not_500(client):
    response = await client.post(
        "/notes", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["status"] == 422


async def test_oversized_body_is_413(client):
    response = await client.post("/notes", json={"text": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["title"] == "Payload too large"


async def test_domain_error_rolls_back_the_whole_request(client):
    assert (await client.post("/notes", json={"text": "kept"})).status_code == 201
    response = await client.post("/notes", json={"text": "conflict"})
    assert response.status_code == 409
    assert await _count(client.database) == 1


async def test_unexpected_error_hides_internals_and_rolls_back(client):
    response = await client.post("/notes", json={"text": "crash"})
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert await _count(client.database) == 0


async def test_unknown_route_is_problem_json(client):
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_database_outage_answers_503():
    database = Database("postgresql+asyncpg://nobody:none@127.0.0.1:1/none")
    transport = httpx.ASGITransport(app=make_app(database), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post("/notes", json={"text": "lost?"})
    assert response.status_code == 503
    assert response.json()["title"] == "Service unavailable"


async def test_an_exhausted_connection_pool_is_503_with_retry_after():
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/busy")
    async def busy() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/busy")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert "QueuePool" not in response.text  # internals stay in the log
