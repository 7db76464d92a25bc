"""What every database we run on can store: checked before storing, so bad input is a 4xx.

PostgreSQL refuses NUL in text and in JSON strings, lone UTF-16 surrogates (which Python's JSON
parser lets through from `"\\ud800"`), NaN and Infinity in JSON, integers beyond 64 bits in
BIGINT columns, and timestamps outside years 1-9999 once converted to UTC. Each check returns a
message naming the fault (the caller names the field), or None when the value is storable.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator

MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# One C-level scan each: NUL or a lone surrogate (storable nowhere); the same plus control
# characters (not in identifiers).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSTORABLE_OR_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str, *, allow_control: bool = False) -> str | None:
    """None for text every database stores; identifiers pass `allow_control=False`."""
    pattern = _UNSTORABLE if allow_control else _UNSTORABLE_OR_CONTROL
    found = pattern.search(value)
    if found is None:
        return None
    character = found.group()
    if character == "\x00":
        return "must not contain NUL characters"
    if "\ud800" <= character <= "\udfff":
        return "must be valid Unicode (it contains a lone surrogate)"
    return "must not contain control characters"


def json_problem(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """None when `value` is JSON every database stores: finite numbers, clean strings, bounded
    nesting (a deep document would exhaust the encoder's or the database's stack)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            if _UNSTORABLE.search(item):
                return f"strings {text_problem(item, allow_control=True)}"
        elif kind is float:
            if not math.isfinite(item):
                return "must not contain NaN or Infinity"
        elif kind is dict:
            if depth >= max_depth:
                return f"must not nest deeper than {max_depth} levels"
            for key, child in item.items():
                if type(key) is not str:
                    return "keys must be strings"
                if _UNSTORABLE.search(key):
                    return f"keys {text_problem(key, allow_control=True)}"
                if type(child) not in _SCALARS:
                    stack.append((child, depth + 1))
                elif type(child) is float and not math.isfinite(child):
                    return "must not contain NaN or Infinity"
        elif kind is list or kind is tuple:
            if depth >= max_depth:
                return f"must not nest deeper than {max_depth} levels"
            stack.extend((child, depth + 1) for child in item)
    return None


# Values that need no walk: checked where they sit (float) or storable as they are.
_SCALARS = frozenset({int, bool, type(None), float})


# One encoder for every call: `json.dumps` with any option builds a new one each time, which
# costs more than encoding a small object.
_ENCODER = json.JSONEncoder(default=str, allow_nan=False)


def checked_json(value: Any) -> tuple[str | None, str | None]:
    """(`json.dumps(value)`, None) when `value` is storable JSON, else (None, the problem).

    The hot path for values that are encoded anyway: the encoder refuses NaN and Infinity, and
    the walk of `json_problem` runs only when the ASCII-escaped text shows what might be a NUL
    (`\\u0000`), a surrogate (`\\ud…`, also an escaped emoji) or enough brackets to nest deep.
    """
    try:
        encoded = _ENCODER.encode(value)
    except ValueError:
        return None, "must not contain NaN or Infinity"
    except RecursionError:
        return None, f"must not nest deeper than {MAX_JSON_DEPTH} levels"
    suspicious = (
        "\\u0000" in encoded
        or "\\ud" in encoded
        or encoded.count("[") + encoded.count("{") > MAX_JSON_DEPTH
    )
    problem = json_problem(value) if suspicious else None
    return (None, problem) if problem else (encoded, None)


def int64_problem(value: int) -> str | None:
    if not INT64_MIN <= value <= INT64_MAX:
        return "must fit in a 64-bit signed integer"
    return None


def datetime_problem(value: datetime) -> str | None:
    """None when the instant exists in UTC within years 1-9999 (an offset can push an edge
    date out of range: 0001-01-01T00:00:00+14:00 is in year 0)."""
    if value.tzinfo is None or value.year not in (1, 9999):
        return None  # only the first and last year can leave the range by an offset
    try:
        value.astimezone(UTC)
    except OverflowError:
        return "is out of range once converted to UTC (years 1-9999)"
    return None


def echoable(text: str) -> str:
    """`text` safe to put in a JSON response: a lone surrogate (in a field name or id that was
    rejected for it) is shown escaped instead of failing the response's encoding."""
    if _SURROGATE.search(text) is None:
        return text
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


# A table's integer id in a path: beyond BIGINT it cannot exist, so it is a 422, never a driver
# overflow (500).
RowIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="A positive 64-bit id")]
