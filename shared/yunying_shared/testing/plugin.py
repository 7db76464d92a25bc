"""Yunying's pytest plugin: databases on both dialects, a rolled-back session, transports.

A service's tests provide a `service_definition` fixture; the plugin gives them:
- `dialect`: "sqlite" and "postgresql" (each test using a database runs on both);
- `database`: a fresh database of that dialect with the service's migrations applied;
- `session`: an AsyncSession inside a transaction rolled back after the test;
- `settings_for`: ServiceSettings pointing a service at a fresh database and a test bus;
- `mode`: "embedded" (SQLite, local transport) and "distributed" (PostgreSQL, Kafka);
- `local_transport`: the embedded mode's transport on a temporary file;
- `kafka_transport`: the Kafka transport on the local broker (mark such tests `kafka`).

Each test session signs with its own random secrets (set in the environment, so processes the
tests start agree with them): no test depends on a secret written in the source.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.local import LocalTransport
from yunying_shared.bus.transport import Transport
from yunying_shared.db.engine import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.kit import installed_definition
from yunying_shared.settings import Environment, ServiceSettings
from yunying_shared.testing.databases import fresh_database, kafka_bootstrap

TEST_SECRET_VARIABLES = ("YUNYING_INTERNAL_TOKEN_SECRET", "YUNYING_GATEWAY_JWT_SECRET")


def pytest_configure(config: pytest.Config) -> None:
    for variable in TEST_SECRET_VARIABLES:
        os.environ.setdefault(variable, secrets.token_urlsafe(48))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database(
    dialect: str, service_definition: Any, tmp_path: Path
) -> AsyncIterator[Database]:
    async with fresh_database(dialect, tmp_path) as url:
        db = Database(url, pool_size=5)
        await upgrade(db, service_definition.migrations)
        try:
            yield db
        finally:
            await db.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """Service code flushes, never commits; everything it did is rolled back at the end."""
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        async with AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        ) as db_session:
            yield db_session
        await transaction.rollback()


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("distributed", marks=[pytest.mark.postgres, pytest.mark.kafka]),
    ]
)
async def mode(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, Transport]]:
    """A runtime mode: (database URL, transport) — SQLite and the local transport, or
    PostgreSQL and Kafka."""
    dialect = "sqlite" if request.param == "embedded" else "postgresql"
    async with fresh_database(dialect, tmp_path) as url:
        if request.param == "embedded":
            transport: Transport = LocalTransport(tmp_path / "bus.sqlite3", partitions=4)
        else:
            transport = _kafka()
        await transport.start()
        try:
            yield url, transport
        finally:
            await transport.stop()


def _kafka() -> KafkaTransport:
    return KafkaTransport(
        kafka_bootstrap(),
        partitions=4,
        client_id="yunying-test",
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
    )


@pytest.fixture
async def local_transport(tmp_path: Path) -> AsyncIterator[LocalTransport]:
    transport = LocalTransport(tmp_path / "bus.sqlite3", partitions=4)
    await transport.start()
    yield transport
    await transport.stop()


@pytest.fixture
async def kafka_transport() -> AsyncIterator[KafkaTransport]:
    """The Kafka transport on the local broker (skipped, or failed in CI, when it is not up)."""
    transport = _kafka()
    await transport.start()
    yield transport
    await transport.stop()


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., ServiceSettings]:
    def make(service: str, database_url: str = "", **overrides: Any) -> ServiceSettings:
        # The service's own settings class (with its knobs), as its app would load it.
        definition = installed_definition(service)
        settings_class = definition.settings if definition else ServiceSettings
        return settings_class.for_service(
            service,
            environment=Environment.TEST,
            state_dir=tmp_path / "state",
            database_url=database_url,
            relay_idle_seconds=0.05,
            consumer_backoff_seconds=0.01,
            consumer_backoff_max_seconds=0.2,
            **overrides,
        )

    return make
