from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.orm import DeclarativeBase

from yunying_shared.bus import define_bus_tables
from yunying_shared.db import UTCDateTime, new_metadata

metadata = new_metadata()
BUS = define_bus_tables(metadata)

SOURCE = "/yunying/content-review"
# SQLite only auto-increments an INTEGER PRIMARY KEY.
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")
ACTOR_LENGTH = 128


class Base(DeclarativeBase):
    """Every table of the service, on the one metadata its migrations are generated from."""

    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }
