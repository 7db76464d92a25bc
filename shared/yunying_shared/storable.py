"""What every database we run on can store: checked before storing, so bad input is a 4xx.

PostgreSQL refuses NUL in text and in JSON strings, lone UTF-16 surrogates (which Python's JSON
parser lets through from `"\\ud800"`), NaN and Infinity in JSON, integers beyond 64 bits in
BIGINT columns, and timestamps outside years 1-9999 once converted to UTC. Each check returns a
message naming the fault (the caller names the field), or None when the value is storable.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator

MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_CONTROL = frozenset(chr(code) for code in [*range(0x20), 0x7F])


def text_problem(value: str, *, allow_control: bool = False) -> str | None:
    """None for text every database stores; identifiers pass `allow_control=False`."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it contains a lone surrogate)"
    if not allow_control and not _CONTROL.isdisjoint(value):
        return "must not contain control characters"
    return None


def json_problem(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """None when `value` is JSON every database stores: finite numbers, clean strings, bounded
    nesting (a deep document would exhaust the encoder's or the database's stack)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return f"must not nest deeper than {max_depth} levels"
        if isinstance(item, str):
            problem = text_problem(item, allow_control=True)
            if problem:
                return f"strings {problem}"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "must not contain NaN or Infinity"
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return "keys must be strings"
                problem = text_problem(key, allow_control=True)
                if problem:
                    return f"keys {problem}"
                stack.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
    return None


def int64_problem(value: int) -> str | None:
    if not INT64_MIN <= value <= INT64_MAX:
        return "must fit in a 64-bit signed integer"
    return None


def datetime_problem(value: datetime) -> str | None:
    """None when the instant exists in UTC within years 1-9999 (an offset can push an edge
    date out of range: 0001-01-01T00:00:00+14:00 is in year 0)."""
    if value.tzinfo is None:
        return None
    try:
        value.astimezone(UTC)
    except OverflowError:
        return "is out of range once converted to UTC (years 1-9999)"
    return None


def echoable(text: str) -> str:
    """`text` safe to put in a JSON response: a lone surrogate (in a field name or id that was
    rejected for it) is shown escaped instead of failing the response's encoding."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _raise_on(problem: str | None) -> None:
    if problem is not None:
        raise ValueError(problem)


def _storable_text(value: str) -> str:
    _raise_on(text_problem(value, allow_control=True))
    return value


def _identifier(value: str) -> str:
    _raise_on(text_problem(value))
    return value


def _storable_json(value: Any) -> Any:
    _raise_on(json_problem(value))
    return value


def _storable_datetime(value: datetime) -> datetime:
    _raise_on(datetime_problem(value))
    return value


def _int64(value: int) -> int:
    _raise_on(int64_problem(value))
    return value


# For pydantic models: `name: StorableText`, `extra: StorableJson[dict[str, Any]]`-style fields.
StorableText = Annotated[str, AfterValidator(_storable_text)]
Identifier = Annotated[str, AfterValidator(_identifier)]
StorableDatetime = Annotated[datetime, AfterValidator(_storable_datetime)]
Int64 = Annotated[int, AfterValidator(_int64)]
StorableJsonObject = Annotated[dict[str, Any], AfterValidator(_storable_json)]
StorableJsonValue = Annotated[Any, AfterValidator(_storable_json)]

# Path parameters naming an id (a user id, a tag): what a database can hold, no control characters.
IdentifierPath = Annotated[Identifier, Path(min_length=1, max_length=128)]
