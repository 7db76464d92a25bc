"""The asyncpg connection under a session's transaction, for bulk statements sent as arrays."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.db.reads import WriteInReadSession


async def driver_connection(session: AsyncSession) -> Any:
    """The driver connection of the session's open transaction, with its BEGIN sent.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, before the first statement it runs itself:
    a statement sent straight on the driver before that would run in autocommit, outside the
    transaction (committed even if the transaction then rolls back). One `SELECT 1` through
    SQLAlchemy starts it when nothing has run yet."""
    if getattr(session.sync_session, "refuses_writes", False):
        # A read session has no transaction: statements sent here would each commit alone.
        raise WriteInReadSession("a read session has no transaction to send statements in")
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # an open session's connection
    if connection.dialect.name == "postgresql" and not driver.is_in_transaction():
        await connection.exec_driver_sql("SELECT 1")
    return driver
