"""Dialect-specific pieces of the bulk write: INSERT ... ON CONFLICT and NULL-ignoring min/max.

PostgreSQL and SQLite share the ON CONFLICT syntax but not the statement classes, and SQLite
spells LEAST/GREATEST as min/max (which return NULL if any argument is NULL, hence COALESCE).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_for(dialect: str, table: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def earliest(dialect: str, current: Any, incoming: Any) -> Any:
    least = func.least if dialect == "postgresql" else func.min
    return least(func.coalesce(current, incoming), func.coalesce(incoming, current))


def latest(dialect: str, current: Any, incoming: Any) -> Any:
    greatest = func.greatest if dialect == "postgresql" else func.max
    return greatest(func.coalesce(current, incoming), func.coalesce(incoming, current))
