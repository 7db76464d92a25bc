"""The bus tables every service database holds: outbox, inbox and the known workspaces."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    text,
)

from yunying_shared.db.types import UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table
    workspaces: Table


def define_bus_tables(metadata: MetaData) -> BusTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=True),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime(), nullable=True),
        # NULL: `value` is one envelope. N: `value` packs N events' frames (bus/packed.py).
        Column("packed", Integer, nullable=True),
        Index(
            "ix_outbox_pending",
            "seq",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("processed_at", UTCDateTime(), nullable=False),
    )
    workspaces = Table(
        "workspaces",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("name", String(200), nullable=False),
        Column("slug", String(64), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("recorded_at", UTCDateTime(), nullable=False),
    )
    return BusTables(outbox=outbox, inbox=inbox, workspaces=workspaces)
