"""One-row reads of a read session sent straight on the asyncpg connection.

A primary-key read through SQLAlchemy (session, execution context, compiled-cache lookup,
cursor and result objects) cost about 190 µs more CPU per request than the same SELECT sent on
the asyncpg connection, a quarter of segmentation's small GET (docs/BENCHMARKS.md, gateway
"Session 9"). `fetch_one` compiles a Core SELECT once and sends it on the read session's driver
connection, with SQLAlchemy's own bind and result processors, so a row comes back as
`(await session.execute(statement, params)).first()._mapping` would give it.

Anything unusual takes SQLAlchemy's path instead: an ordinary session (its transaction's BEGIN
is sent lazily, `driver.py`), SQLite, and statements that are not one plain prepared SELECT
(expanding IN lists, literal-execute parameters, `FOR UPDATE`). A driver error re-runs the read
through SQLAlchemy, so a lost connection or a bad parameter fails as every other read does
(the connection invalidated, `database_unavailable`); a read repeated costs nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: Mapping[str, Any]  # every bound value the statement itself holds
    positions: tuple[str, ...]  # the bind names in $1, $2 … order
    binds: tuple[Processor, ...]
    keys: tuple[str, ...]
    results: tuple[Processor, ...]


# Per statement object: the callers' statements are built once and kept, so this stays small;
# the bound only keeps a caller that builds one per request from growing it for ever.
_compiled: dict[int, tuple[Select[Any], _Compiled | None]] = {}
MAX_STATEMENTS = 1_000


async def fetch_one(
    session: AsyncSession, statement: Select[Any], params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The first row of `statement` as a dict of its selected columns, or None."""
    if getattr(session.sync_session, "refuses_writes", False):
        answered, found = await _from_driver(session, statement, params)
        if answered:
            return found
    row = (await session.execute(statement, params)).first()
    return None if row is None else dict(row._mapping)


async def _from_driver(
    session: AsyncSession, statement: Select[Any], params: Mapping[str, Any]
) -> tuple[bool, dict[str, Any] | None]:
    """(True, the row or None) when answered on the driver; (False, None) for SQLAlchemy's path."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return False, None
    compiled = _compile(statement, connection.dialect)
    if compiled is None:
        return False, None
    driver: Any = (await connection.get_raw_connection()).driver_connection
    values = {**compiled.params, **params}
    args = [
        value if process is None else process(value)
        for value, process in zip(
            (values[name] for name in compiled.positions), compiled.binds, strict=True
        )
    ]
    try:
        record = await driver.fetchrow(compiled.sql, *args)
    except Exception:
        # SQLAlchemy's path runs the read again and raises its own form of the error
        # (DBAPIError, the connection invalidated when it was lost), as every other read does.
        return False, None
    if record is None:
        return True, None
    return True, {
        key: value if process is None else process(value)
        for key, value, process in zip(
            compiled.keys, record.values(), compiled.results, strict=True
        )
    }


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled | None:
    found = _compiled.get(id(statement))
    if found is not None and found[0] is statement:
        return found[1]
    compiled = _prepared(statement, dialect)
    if len(_compiled) >= MAX_STATEMENTS:
        _compiled.clear()
    _compiled[id(statement)] = (statement, compiled)
    return compiled


def _prepared(statement: Select[Any], dialect: Dialect) -> _Compiled | None:
    """None when the statement is not one plain prepared SELECT."""
    if statement._for_update_arg is not None:
        return None
    compiled: Any = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    if any(bind.callable is not None for bind in binds.values()):
        return None
    positions = tuple(compiled.positiontup or ())
    columns = list(statement.selected_columns)
    return _Compiled(
        sql=compiled.string,
        params={name: bind.value for name, bind in binds.items() if not bind.required},
        positions=positions,
        binds=tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in positions
        ),
        keys=tuple(statement.selected_columns.keys()),
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
    )
