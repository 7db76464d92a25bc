from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from yunying_shared.db.dialects import SqlDialect, dialect_named
from yunying_shared.db.reads import refuse_writes


def _prepare_sqlite(engine: AsyncEngine) -> None:
    # aiosqlite's own transaction handling defers BEGIN and cannot do SAVEPOINT reliably; we
    # take it over and begin IMMEDIATE, so two writers queue on busy_timeout instead of one
    # failing with "database is locked" when it upgrades a read lock.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _discard_closed_on_checkout(engine: AsyncEngine) -> None:
    """What `pool_pre_ping` was for, without its three round trips per checkout.

    SQLAlchemy's asyncpg ping is BEGIN, an empty query and ROLLBACK: three round trips on every
    checkout, about a third of a small request's CPU here. A PostgreSQL restart (or a killed
    backend) closes the connection's socket, and asyncpg marks the connection closed as soon as
    the event loop sees that, which it does while the connection sits idle in the pool; so a
    closed connection is refused at checkout, for free, and the pool (as after a failed ping)
    replaces it and every connection older than it. A connection that dies between checkout and
    its first statement fails that one request with the documented 503 (`database_unavailable`),
    and the disconnect invalidates the pool for the requests after it."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise exc.InvalidatePoolError("the connection was closed while idle in the pool")


def _postgres_engine(url: str, *, pool_size: int, max_overflow: int) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=10
    )
    _discard_closed_on_checkout(engine)
    return engine


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=60)
        _prepare_sqlite(engine)
        return engine
    # Up to twice pool_size connections, as with an overflow of pool_size, but every one opened
    # is kept: an overflow connection is closed on its return, so under a sustained load beyond
    # pool_size each request opened and closed a backend of its own (408 backends for one
    # service in one gateway bench run at 1,000 requests/s; docs/BENCHMARKS.md, gateway
    # "Session 8").
    return _postgres_engine(url, pool_size=2 * pool_size, max_overflow=0)


def make_background_engine(url: str, engine: AsyncEngine, *, pool_size: int) -> AsyncEngine:
    """The connections of the kit's background machinery (the outbox relay), apart from the
    requests' pool, so requests that hold every pooled connection cannot stop publication.

    SQLite keeps the one engine: a single writer at a time holds the file's lock whatever pool
    its connection came from, so a second pool would only queue on that lock (busy_timeout),
    never get ahead of the requests, and an in-memory database would be a different database.
    """
    if make_url(url).get_backend_name() == "sqlite":
        return engine
    # Fixed size, no overflow: the relay's leader holds one connection (its advisory lock's
    # session), the other covers a reconnect while the old one is being closed.
    return _postgres_engine(url, pool_size=pool_size, max_overflow=0)


class Database:
    """One service's engines and session factories."""

    def __init__(self, url: str, *, pool_size: int = 10, background_pool_size: int = 2) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        # The relay's own pool (the same engine on SQLite): see make_background_engine.
        self.background_engine = make_background_engine(
            url, self.engine, pool_size=background_pool_size
        )
        # What differs between PostgreSQL and SQLite, chosen once for this database.
        self.sql: SqlDialect = dialect_named(self.engine.dialect.name)
        # A Session class of its own, so session events (the relay's wake-up) stay per service.
        self.sync_session_class: type[Session] = type("ServiceSession", (Session,), {})
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=self.sync_session_class
        )
        self.read_sessionmaker = self._read_sessionmaker()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    def read_session(self) -> AsyncSession:
        """A session for plain reads: on PostgreSQL its statements run without a transaction.

        Each statement of a READ COMMITTED transaction sees its own snapshot anyway, so for plain
        SELECTs the transaction adds only its BEGIN and COMMIT: two round trips, about a fifth
        of a one-read GET's CPU (docs/BENCHMARKS.md, gateway session 7). Anything else through
        it (a flush, DML, a locking read) is refused (`refuse_writes`). On SQLite it keeps its
        transaction (the begin event there takes the writer's lock), rolled back at the end."""
        return self.read_sessionmaker()

    def _read_sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        read_session_class: type[Session] = type(
            "ServiceReadSession", (self.sync_session_class,), {"refuses_writes": True}
        )
        refuse_writes(read_session_class)
        without_transaction = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine
        )
        return async_sessionmaker(
            without_transaction, expire_on_commit=False, sync_session_class=read_session_class
        )

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.background_engine is not self.engine:
            await self.background_engine.dispose()
