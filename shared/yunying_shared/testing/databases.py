"""Fresh, migrated databases for tests, on SQLite and on the local PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from yunying_shared.db import Database

PG_URL_ENV = "YUNYING_TEST_PG_URL"
KAFKA_ENV = "YUNYING_TEST_KAFKA_BOOTSTRAP"


def required() -> bool:
    """In CI a missing server fails the run instead of skipping the tests that need it."""
    return (
        os.environ.get("CI", "").lower() == "true" or os.environ.get("YUNYING_REQUIRE_INFRA") == "1"
    )


def pg_admin_url() -> str:
    url = os.environ.get(PG_URL_ENV, "")
    if not url:
        message = f"{PG_URL_ENV} is not set: start PostgreSQL with deploy/postgres/postgres.sh"
        if required():
            pytest.fail(message)
        pytest.skip(message)
    return url


def kafka_bootstrap() -> str:
    bootstrap = os.environ.get(KAFKA_ENV, "")
    if not bootstrap:
        message = f"{KAFKA_ENV} is not set: start Kafka with deploy/kafka/kafka.sh"
        if required():
            pytest.fail(message)
        pytest.skip(message)
    return bootstrap


@asynccontextmanager
async def fresh_postgres_database(prefix: str = "t") -> AsyncIterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; yields its URL."""
    admin = make_url(pg_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            await _drop(engine, name)
        finally:
            await engine.dispose()


async def _drop(engine: AsyncEngine, name: str) -> None:
    """DROP ... WITH (FORCE), retried: after a big write the server's autovacuum worker may be
    in the database, and a non-superuser may not terminate it; it leaves within seconds."""
    for attempt in range(30):
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == 29:
                raise
            await asyncio.sleep(1)


@asynccontextmanager
async def fresh_database(dialect: str, directory: Path) -> AsyncIterator[str]:
    if dialect == "postgresql":
        async with fresh_postgres_database() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{directory / f'{uuid.uuid4().hex[:8]}.sqlite3'}"


@asynccontextmanager
async def database_with_tables(
    dialect: str, directory: Path, metadata: MetaData
) -> AsyncIterator[Database]:
    """A fresh database of `dialect` holding `metadata`'s tables (created, not migrated): for
    tests of the shared kit, which has no migrations of its own."""
    async with fresh_database(dialect, directory) as url:
        database = Database(url)
        try:
            async with database.engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            yield database
        finally:
            await database.dispose()
