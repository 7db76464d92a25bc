from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase

from yunying_shared.bus import define_bus_tables
from yunying_shared.db import new_metadata

metadata = new_metadata()
BUS = define_bus_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


def utcnow() -> datetime:
    return datetime.now(UTC)
