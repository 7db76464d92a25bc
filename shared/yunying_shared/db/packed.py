"""A column of values sent to PostgreSQL as one text parameter instead of an array parameter.

asyncpg encodes an array parameter element by element, asking for each whether it is itself a
nested array (abstract-base-class checks in Python): about 0.8 µs per element, so a 500-event
batch's ten columns cost more client CPU than PostgreSQL spends storing them. Joined into one
string with a separator no value can contain, the column costs one `str.join`, and PostgreSQL
splits it in C (`string_to_array`) and casts the pieces with each type's text input.

Only for values that cannot contain the two control characters used: identifiers that
validation keeps free of control characters, JSON text (which escapes every one of them),
numbers and ISO 8601 timestamps. Every value must be non-empty (an empty text is read as no
element at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

SEPARATOR = "\x1f"  # ASCII unit separator
NULL = "\x1e"  # ASCII record separator, standing for SQL NULL


def packed(values: Iterable[str | None]) -> str:
    """The values as one parameter for `unpack`; None becomes NULL."""
    return SEPARATOR.join([NULL if value is None else value for value in values])


def packed_times(
    values: Iterable[datetime | None], formatted: dict[datetime, str] | None = None
) -> str:
    """Aware datetimes as ISO 8601 texts (PostgreSQL keeps their offset), None as NULL.

    `formatted` (texts already written, shared by the columns of one statement) writes each
    distinct instant once: a profile upsert's first and last times are mostly the same one."""
    if formatted is None:
        return SEPARATOR.join([NULL if value is None else value.isoformat() for value in values])
    texts = []
    for value in values:
        if value is None:
            texts.append(NULL)
            continue
        text = formatted.get(value)
        if text is None:
            text = formatted[value] = value.isoformat()
        texts.append(text)
    return SEPARATOR.join(texts)


def packed_numbers(values: Iterable[object | None]) -> str:
    """Integers or decimals by their text form, None as NULL."""
    return SEPARATOR.join([NULL if value is None else str(value) for value in values])


def unpack(parameter: str, sql_type: str) -> str:
    """SQL reading a packed parameter (e.g. "$3") back as an array of `sql_type`."""
    return f"string_to_array({parameter}, E'\\x1f', E'\\x1e')::{sql_type}[]"
