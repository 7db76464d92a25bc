"""What differs between PostgreSQL and SQLite, behind one strategy per database.

A `Database` picks its `SqlDialect` once, from its engine; code holding only a session reaches
the same object with `sql_dialect(session)`. Service code never compares dialect names: it asks
the strategy for the statement piece it needs (an ON CONFLICT-capable insert, NULL-ignoring
min/max, a UTC day, epoch seconds, a list parameter, an advisory lock, a bulk insert, an
insert of the rows not there yet), and a
service's own storage seam chooses its fast and portable paths with `PerDialect`.
"""

from __future__ import annotations

import functools
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    Float,
    String,
    Table,
    any_,
    bindparam,
    cast,
    extract,
    func,
    insert,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.types import TypeEngine

from yunying_shared.db.driver import driver_connection

T = TypeVar("T")
_NO_VALUE: Any = object()
# From this many rows a PostgreSQL bulk insert goes by binary COPY (a few times faster than
# multi-row INSERTs, not worth its setup for small batches).
COPY_FROM = 1000


class SqlDialect(ABC):
    name: ClassVar[str]

    @abstractmethod
    def insert(self, table: FromClause) -> Any:
        """An INSERT with the dialect's `on_conflict_do_nothing/do_update` and `excluded`."""

    @abstractmethod
    def earliest(self, current: Any, incoming: Any) -> Any:
        """The smaller of two values, ignoring NULL (NULL only when both are)."""

    @abstractmethod
    def latest(self, current: Any, incoming: Any) -> Any:
        """The larger of two values, ignoring NULL."""

    @abstractmethod
    def utc_day(self, column: Any) -> Any:
        """The UTC calendar day of a timestamp column."""

    @abstractmethod
    def epoch_seconds(self, column: Any) -> Any:
        """A timestamp column as float seconds since 1970 (NULL stays NULL)."""

    @abstractmethod
    def in_list(
        self,
        column: Any,
        name: str,
        element_type: TypeEngine[Any] | type[TypeEngine[Any]] = String,
        values: Any = _NO_VALUE,
    ) -> ColumnElement[bool]:
        """`column` is one of the values bound as `name`: on PostgreSQL one array parameter
        (the same SQL text for every length, so the prepared statement is reused), on SQLite an
        expanding IN list."""

    @abstractmethod
    async def try_transaction_lock(self, session: AsyncSession, name: str) -> bool:
        """Take the lock called `name` until the transaction ends, or say it is taken: replicas
        use it to skip work another replica is doing. SQLite has one writer: always True."""

    @abstractmethod
    async def insert_rows(
        self,
        session: AsyncSession,
        table: FromClause,
        columns: Sequence[str],
        records: Sequence[Sequence[Any]],
        *,
        copy_from: int = COPY_FROM,
    ) -> None:
        """Insert rows (tuples in `columns` order) in the session's transaction."""

    @abstractmethod
    async def insert_new(
        self,
        session: AsyncSession,
        table: FromClause,
        columns: Sequence[str],
        records: Sequence[Sequence[Any]],
        *,
        returning: str,
    ) -> list[Any]:
        """Insert the rows whose key is not taken yet, in the order given (so two transactions
        inserting overlapping keys lock them alike), and return the `returning` column of the
        rows inserted: the others are left as they are."""


def cast_table(table: FromClause) -> Table:
    """A mapped class's `__table__` (typed as any FROM clause) as the Table it is."""
    if not isinstance(table, Table):
        raise TypeError(f"expected a Table, got {type(table).__name__}")
    return table


def lock_key(name: str) -> int:
    return zlib.crc32(name.encode())


class PostgresDialect(SqlDialect):
    name = "postgresql"

    def insert(self, table: FromClause) -> Any:
        return postgresql.insert(cast_table(table))

    def earliest(self, current: Any, incoming: Any) -> Any:
        return func.least(func.coalesce(current, incoming), func.coalesce(incoming, current))

    def latest(self, current: Any, incoming: Any) -> Any:
        return func.greatest(func.coalesce(current, incoming), func.coalesce(incoming, current))

    def utc_day(self, column: Any) -> Any:
        return func.date(func.timezone("UTC", column))

    def epoch_seconds(self, column: Any) -> Any:
        return cast(extract("epoch", column), Float)

    def in_list(
        self,
        column: Any,
        name: str,
        element_type: TypeEngine[Any] | type[TypeEngine[Any]] = String,
        values: Any = _NO_VALUE,
    ) -> ColumnElement[bool]:
        array = ARRAY(element_type)
        parameter = (
            bindparam(name, type_=array)
            if values is _NO_VALUE
            else bindparam(name, values, type_=array)
        )
        return column == any_(parameter)  # type: ignore[no-any-return]

    async def try_transaction_lock(self, session: AsyncSession, name: str) -> bool:
        taken = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_key(name)}
        )
        return bool(taken)

    async def insert_rows(
        self,
        session: AsyncSession,
        table: FromClause,
        columns: Sequence[str],
        records: Sequence[Sequence[Any]],
        *,
        copy_from: int = COPY_FROM,
    ) -> None:
        if len(records) < copy_from:
            await _executemany(session, table, columns, records)
            return
        connection = await driver_connection(session)
        target = cast_table(table)
        await connection.copy_records_to_table(
            target.name,
            schema_name=target.schema,
            columns=list(columns),
            records=records,
        )

    async def insert_new(
        self,
        session: AsyncSession,
        table: FromClause,
        columns: Sequence[str],
        records: Sequence[Sequence[Any]],
        *,
        returning: str,
    ) -> list[Any]:
        if not records:
            return []
        # One array per column, encoded by asyncpg in C: an executemany builds a parameter set
        # per row, which was the largest cost of a consumer's inbox claim of 500 events.
        statement = _pg_insert_new_sql(cast_table(table), tuple(columns), returning)
        arrays = [list(column) for column in zip(*records, strict=True)]
        rows = await (await driver_connection(session)).fetch(statement, *arrays)
        return [row[0] for row in rows]


class SqliteDialect(SqlDialect):
    name = "sqlite"

    def insert(self, table: FromClause) -> Any:
        return sqlite.insert(cast_table(table))

    # SQLite spells LEAST/GREATEST as multi-argument min/max, which return NULL if any
    # argument is NULL: hence the COALESCE on both sides.
    def earliest(self, current: Any, incoming: Any) -> Any:
        return func.min(func.coalesce(current, incoming), func.coalesce(incoming, current))

    def latest(self, current: Any, incoming: Any) -> Any:
        return func.max(func.coalesce(current, incoming), func.coalesce(incoming, current))

    def utc_day(self, column: Any) -> Any:
        return func.date(column)  # stored as UTC text already

    def epoch_seconds(self, column: Any) -> Any:
        return (func.julianday(column) - 2440587.5) * 86400.0

    def in_list(
        self,
        column: Any,
        name: str,
        element_type: TypeEngine[Any] | type[TypeEngine[Any]] = String,
        values: Any = _NO_VALUE,
    ) -> ColumnElement[bool]:
        parameter: Any = (
            bindparam(name, expanding=True)
            if values is _NO_VALUE
            else bindparam(name, values, expanding=True)
        )
        return column.in_(parameter)  # type: ignore[no-any-return]

    async def try_transaction_lock(self, session: AsyncSession, name: str) -> bool:
        return True

    async def insert_rows(
        self,
        session: AsyncSession,
        table: FromClause,
        columns: Sequence[str],
        records: Sequence[Sequence[Any]],
        *,
        copy_from: int = COPY_FROM,
    ) -> None:
        await _executemany(session, table, columns, records)

    async def insert_new(
        self,
        session: AsyncSession,
        table: FromClause,
        columns: Sequence[str],
        records: Sequence[Sequence[Any]],
        *,
        returning: str,
    ) -> list[Any]:
        if not records:
            return []
        target = cast_table(table)
        # executemany of one cached statement (SQLAlchemy sends it as multi-row VALUES pages),
        # not a VALUES list of this batch's length, compiled anew for every length
        statement = self.insert(target).on_conflict_do_nothing().returning(target.c[returning])
        result = await session.execute(
            statement, [dict(zip(columns, record, strict=True)) for record in records]
        )
        return list(result.scalars().all())


@functools.cache
def _pg_insert_new_sql(table: Table, columns: tuple[str, ...], returning: str) -> str:
    pg = postgresql.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    quote = pg.identifier_preparer.quote
    arrays = ", ".join(
        f"${i}::{table.c[name].type.compile(dialect=pg)}[]"
        for i, name in enumerate(columns, start=1)
    )
    return (
        f"INSERT INTO {pg.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(name) for name in columns)}) "
        f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING RETURNING {quote(returning)}"
    )


async def _executemany(
    session: AsyncSession,
    table: FromClause,
    columns: Sequence[str],
    records: Sequence[Sequence[Any]],
) -> None:
    if records:
        await session.execute(
            insert(cast_table(table)),
            [dict(zip(columns, record, strict=True)) for record in records],
        )


DIALECTS: Mapping[str, SqlDialect] = {
    dialect.name: dialect for dialect in (PostgresDialect(), SqliteDialect())
}

Bindable = AsyncSession | AsyncConnection | AsyncEngine | Engine | Connection


def dialect_named(name: str) -> SqlDialect:
    try:
        return DIALECTS[name]
    except KeyError as exc:
        raise ValueError(f"unsupported database dialect {name!r}") from exc


def sql_dialect(bind: Bindable) -> SqlDialect:
    """The strategy of the database behind a session, connection or engine."""
    if isinstance(bind, AsyncSession):
        return dialect_named(bind.get_bind().dialect.name)
    return dialect_named(bind.dialect.name)


class PerDialect(Generic[T]):
    """One implementation of a storage protocol per dialect, side by side where it is defined;
    `of(session)` hands back the one for the session's database."""

    def __init__(self, *, postgresql: T, sqlite: T) -> None:
        self._by_name = {PostgresDialect.name: postgresql, SqliteDialect.name: sqlite}

    def of(self, bind: Bindable) -> T:
        return self._by_name[sql_dialect(bind).name]
