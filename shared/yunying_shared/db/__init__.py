from yunying_shared.db.dialects import (
    COPY_FROM,
    PerDialect,
    PostgresDialect,
    SqlDialect,
    SqliteDialect,
    cast_table,
    sql_dialect,
)
from yunying_shared.db.driver import driver_connection
from yunying_shared.db.engine import Database, make_engine
from yunying_shared.db.metadata import new_metadata
from yunying_shared.db.session import ReadSessionDep, SessionDep
from yunying_shared.db.types import UTCDateTime

__all__ = [
    "COPY_FROM",
    "Database",
    "PerDialect",
    "PostgresDialect",
    "ReadSessionDep",
    "SessionDep",
    "SqlDialect",
    "SqliteDialect",
    "UTCDateTime",
    "cast_table",
    "driver_connection",
    "make_engine",
    "new_metadata",
    "sql_dialect",
]
