"""The cursor envelope: pages in keyset order on both dialects, with ties on the sort key, rows
inserted between pages, and cursors that do not decode answering 422 naming `query.cursor`."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from yunying_shared.db.types import UTCDateTime
from yunying_shared.errors import install_error_handlers
from yunying_shared.http.pagination import (
    MAX_LIMIT,
    BadCursor,
    Page,
    PageParams,
    PageRequest,
    decode_cursor,
    encode_cursor,
    keyset_page,
    sequence_page,
)
from yunying_shared.testing.databases import database_with_tables

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))


@pytest.fixture
async def database(dialect, tmp_path):
    async with database_with_tables(dialect, tmp_path, Base.metadata) as db:
        yield db


async def _all_pages(session: AsyncSession, limit: int, *, descending: bool) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)
        result = await keyset_page(
            session,
            select(Note).where(Note.kind == "a"),
            page,
            keys=(Note.created_at, Note.id),
            descending=descending,
        )
        pages.append([n.id for n in result.rows])
        cursor = result.next_cursor
        if cursor is None:
            return pages


@pytest.mark.parametrize("descending", [False, True])
async def test_pages_cover_every_row_once_in_order_with_ties(database, descending):
    # Three rows share each timestamp: the id breaks the tie, so no row is skipped or repeated
    # at a page boundary that falls inside a run of equal timestamps.
    ids = [f"用户/{i:02d} %" for i in range(10)]
    async with database.session() as session:
        session.add_all(
            Note(id=i, created_at=T0 + timedelta(seconds=n // 3), kind="a")
            for n, i in enumerate(ids)
        )
        session.add(Note(id="other", created_at=T0, kind="b"))
        await session.commit()
    async with database.session() as session:
        pages = await _all_pages(session, 4, descending=descending)
    expected = sorted(ids, key=lambda i: (int(i[3:5]) // 3, i), reverse=descending)
    assert [i for page in pages for i in page] == expected
    assert [len(p) for p in pages] == [4, 4, 2]


async def test_a_row_inserted_before_the_cursor_does_not_shift_the_next_page(database):
    async with database.session() as session:
        session.add_all(
            Note(id=f"n{i}", created_at=T0 + timedelta(minutes=i), kind="a") for i in range(6)
        )
        await session.commit()
    async with database.session() as session:
        first = await keyset_page(
            session, select(Note), PageRequest(limit=3), keys=(Note.created_at, Note.id)
        )
        assert [n.id for n in first.rows] == ["n0", "n1", "n2"]
        session.add(Note(id="early", created_at=T0 - timedelta(days=1), kind="a"))
        await session.flush()
        assert first.next_cursor is not None
        after = PageRequest(limit=3, after=decode_cursor(first.next_cursor))
        second = await keyset_page(session, select(Note), after, keys=(Note.created_at, Note.id))
    assert [n.id for n in second.rows] == ["n3", "n4", "n5"]
    assert second.next_cursor is None


async def test_a_cursor_of_another_list_is_refused_before_the_query(database):
    cursor = encode_cursor([uuid.uuid4(), "x"])  # a UUID where this list has a timestamp
    async with database.session() as session:
        with pytest.raises(BadCursor) as raised:
            await keyset_page(
                session,
                select(Note),
                PageRequest(after=decode_cursor(cursor)),
                keys=(Note.created_at, Note.id),
            )
    assert raised.value.extensions["errors"][0]["field"] == "query.cursor"


def test_cursor_round_trips_typed_values():
    values = (T0, uuid.uuid4(), "品牌/a b%", 7, True)
    assert decode_cursor(encode_cursor(values)) == values
    assert "=" not in encode_cursor(values) and "/" not in encode_cursor(values)


def test_sequence_page_follows_the_same_envelope():
    items = [(d, f"id{d}") for d in range(5)]
    first = sequence_page(items, PageRequest(limit=2), key=lambda x: x)
    assert first.rows == items[:2] and first.next_cursor
    rest = sequence_page(
        items, PageRequest(limit=10, after=decode_cursor(first.next_cursor)), key=lambda x: x
    )
    assert rest.rows == items[2:] and rest.next_cursor is None


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/things", response_model=Page[int])
    async def things(page: PageParams) -> Page[int]:
        start = page.after[0] + 1 if page.after else 0
        numbers = list(range(start, min(start + page.limit, 7)))
        more = numbers and numbers[-1] < 6
        return Page[int](items=numbers, next_cursor=encode_cursor([numbers[-1]]) if more else None)

    return app


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "%%%"},
        {"cursor": encode_cursor(["x"])[:-2]},
        {"cursor": "W1sidCIsIm5vdCBhIGRhdGUiXV0"},  # [["t","not a date"]]
        {"cursor": "W1sicyIsIlx1MDAwMCJdXQ"},  # a NUL in a string value
        {"cursor": "x" * 3000},
    ],
)
async def test_a_cursor_that_does_not_decode_answers_422_naming_cursor(query):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(_app()), base_url="http://t") as c:
        response = await c.get("/things", params=query)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["query.cursor"]


@pytest.mark.parametrize("limit", ["0", str(MAX_LIMIT + 1), "true", "1.5"])
async def test_limit_outside_its_range_answers_422(limit):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(_app()), base_url="http://t") as c:
        response = await c.get("/things", params={"limit": limit})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.limit"]


async def test_the_envelope_and_limits_are_in_the_document_and_pages_chain():
    app = _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        first = (await c.get("/things", params={"limit": 4})).json()
        second = (
            await c.get("/things", params={"limit": 4, "cursor": first["next_cursor"]})
        ).json()
    assert first["items"] == [0, 1, 2, 3] and second == {"items": [4, 5, 6], "next_cursor": None}
    parameters = {
        p["name"]: p["schema"] for p in app.openapi()["paths"]["/things"]["get"]["parameters"]
    }
    assert parameters["limit"]["maximum"] == MAX_LIMIT and parameters["limit"]["minimum"] == 1
    assert parameters["limit"]["default"] == 50
