"""Rows as one list per column: how the PostgreSQL paths of the storage seams send a batch
(`unnest($1::uuid[], $2::text[], …)`), so asyncpg encodes each column as one array in C."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import Any


def columns_of(rows: Sequence[Any], names: Iterable[str]) -> list[list[Any]]:
    """One list per named attribute, in the order given."""
    return [list(map(attrgetter(name), rows)) for name in names]


def columns_of_dicts(rows: Sequence[dict[str, Any]], names: Iterable[str]) -> list[list[Any]]:
    """One list per named key, in the order given."""
    return [list(map(itemgetter(name), rows)) for name in names]
