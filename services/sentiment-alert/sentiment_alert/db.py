from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.orm import DeclarativeBase

from yunying_shared.bus import define_bus_tables
from yunying_shared.db import UTCDateTime, new_metadata

metadata = new_metadata()
BUS = define_bus_tables(metadata)

# SQLite only auto-increments an INTEGER PRIMARY KEY.
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")
SOURCE = "/sentiment-alert"


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }
