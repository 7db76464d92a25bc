"""Alembic, run programmatically on the service's async engine (PostgreSQL or SQLite).

A service's `migrations/env.py` is two lines: import its metadata, call `run_migrations`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from yunying_shared.db.engine import Database, make_engine


def alembic_config(script_location: Path, url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Replicas starting together: one migrates, the others wait and then find nothing to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(7220190)"))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(database: Database, script_location: Path, revision: str = "head") -> None:
    config = alembic_config(script_location, database.url)
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade, config, revision)


def _configure_and_run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str, metadata: MetaData) -> None:
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as connection:
        await connection.run_sync(_configure_and_run, metadata)
    await engine.dispose()


def run_migrations(metadata: MetaData) -> None:
    """Body of every service's env.py: reuse the caller's connection, or open one (CLI use)."""
    connection: Any = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, metadata)
        return
    url = context.config.get_main_option("sqlalchemy.url") or ""
    asyncio.run(_run_with_own_engine(url, metadata))
