from yunying_shared.db.driver import driver_connection
from yunying_shared.db.engine import Database, make_engine
from yunying_shared.db.metadata import new_metadata
from yunying_shared.db.session import SessionDep
from yunying_shared.db.types import UTCDateTime

__all__ = [
    "Database",
    "SessionDep",
    "UTCDateTime",
    "driver_connection",
    "make_engine",
    "new_metadata",
]
