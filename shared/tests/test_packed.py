"""Packed columns: what PostgreSQL reads back from one text parameter is what was packed."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from yunying_shared.db.packed import packed, packed_numbers, packed_times, unpack
from yunying_shared.testing.databases import pg_admin_url


@pytest.fixture
async def connection():
    url = make_url(pg_admin_url()).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    yield conn
    await conn.close()


async def test_each_type_and_null_comes_back(connection):
    at = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    texts = ["user-1", None, "品牌 A \"quoted\" \\ {x}, 'y'"]
    document = json.dumps({"note": "tab\there, \x1f unit, \x1e record", "n": [1, 2.5]})
    rows = await connection.fetch(
        f"SELECT * FROM unnest({unpack('$1', 'text')}, {unpack('$2', 'timestamptz')},"
        f" {unpack('$3', 'numeric')}, {unpack('$4', 'int')}, {unpack('$5', 'json')})",
        packed(texts),
        packed_times([at, None, at.astimezone(UTC)]),
        packed_numbers([Decimal("59.90"), None, Decimal("-0.01")]),
        packed_numbers([1, 2**31 - 1, None]),
        packed([document, None, "{}"]),
    )
    assert [r[0] for r in rows] == texts
    assert [r[1] for r in rows] == [at, None, at]
    assert [r[2] for r in rows] == [Decimal("59.90"), None, Decimal("-0.01")]
    assert [r[3] for r in rows] == [1, 2**31 - 1, None]
    assert [None if r[4] is None else json.loads(r[4]) for r in rows] == [
        json.loads(document),
        None,
        {},
    ]


async def test_no_values_is_an_empty_array(connection):
    assert await connection.fetchval(f"SELECT cardinality({unpack('$1', 'text')})", packed([])) == 0


async def test_times_formatted_once_per_statement_come_back_the_same(connection):
    # Columns sharing `formatted` reuse each instant's text; what PostgreSQL reads is the same
    # as from texts written one by one, offsets, microseconds and NULLs included.
    at = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    later = datetime(2026, 11, 11, 20, 3, tzinfo=UTC)
    columns = [[at, later, None], [at, at, later], [None, later, at.astimezone(UTC)]]
    formatted: dict[datetime, str] = {}
    shared = [packed_times(column, formatted) for column in columns]
    assert shared == [packed_times(column) for column in columns[:2]] + [shared[2]]
    assert len(formatted) == 2  # at and its UTC form are one instant: one text
    rows = await connection.fetch(
        f"SELECT * FROM unnest({unpack('$1', 'timestamptz')}, {unpack('$2', 'timestamptz')},"
        f" {unpack('$3', 'timestamptz')})",
        *shared,
    )
    assert [tuple(row) for row in rows] == list(zip(*columns, strict=True))
