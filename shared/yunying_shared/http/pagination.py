"""One cursor envelope for every list endpoint: `{"items": [...], "next_cursor": "..."|null}`.

A list is read in keyset order (its sort key, then its id as the tie-breaker): the cursor holds
the last row's key values, so the next page starts strictly after it, whatever was inserted or
deleted meanwhile, and costs one index range scan however deep the caller pages (an OFFSET would
rescan every skipped row). The cursor is opaque to callers: url-safe base64 of a small JSON
document carrying each key value with its type, so a page is reproducible on PostgreSQL and
SQLite alike. A cursor that does not decode, or that belongs to another list, answers 422
problem+json naming `query.cursor`; it can never reach the database as a malformed value.

A router declares `page: PageParams` and returns `Page[ItemOut]`:

    rows = await keyset_page(
        session, select(Item).where(...), page, keys=(Item.created_at, Item.id), descending=True
    )
    return rows.to_page(ItemOut.model_validate)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar, cast
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from yunying_shared.errors import InvalidInput
from yunying_shared.storable import text_problem

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 2048
CURSOR_FIELD = "query.cursor"
# Url-safe base64 without padding: the cursor travels in a query string unescaped.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


CURSOR_EXAMPLE = "WyJkIiwiMjAyNi0xMS0zMFQwODowMDowMCswMDowMCJd"


def _page_example(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """A page's example is its item model's first example (a page of one, with a cursor), so
    the list and the item never show different shapes."""
    arguments = model.__pydantic_generic_metadata__["args"]
    item = arguments[0] if arguments else None
    extra = getattr(item, "model_config", {}).get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if isinstance(examples, list) and examples:
        schema["examples"] = [{"items": examples[:1], "next_cursor": CURSOR_EXAMPLE}]


class Page(BaseModel, Generic[T]):
    """One page of a list, in the list's documented order."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_page_example)

    items: list[T] = Field(description="At most `limit` items")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to read the next page; null on the last page",
        examples=[CURSOR_EXAMPLE],
    )


class BadCursor(InvalidInput):
    """A cursor that does not decode, or that was issued by another list or ordering."""

    def __init__(self, reason: str) -> None:
        message = f"Invalid cursor: {reason}; restart from the first page (omit `cursor`)"
        super().__init__(
            message, errors=[{"field": CURSOR_FIELD, "message": message, "type": "cursor"}]
        )


# Each key value travels with a one-letter tag naming its type, so `1` and `"1"` and `true`
# never stand in for each other, and a datetime comes back as a datetime on every dialect.
_ENCODERS: list[tuple[type, str, Callable[[Any], Any]]] = [
    (bool, "b", lambda v: v),
    (int, "i", lambda v: v),
    (float, "f", lambda v: v),
    (Decimal, "m", str),
    (str, "s", lambda v: v),
    (UUID, "u", str),
    (datetime, "t", lambda v: v.isoformat()),
    (date, "d", lambda v: v.isoformat()),
]
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "b": lambda v: v if isinstance(v, bool) else _wrong(),
    "i": lambda v: v if type(v) is int and -(2**63) <= v < 2**63 else _wrong(),
    "f": lambda v: float(v) if type(v) in (int, float) else _wrong(),
    "m": lambda v: Decimal(v) if isinstance(v, str) else _wrong(),
    "s": lambda v: (
        v if isinstance(v, str) and text_problem(v, allow_control=True) is None else _wrong()
    ),
    "u": lambda v: UUID(v) if isinstance(v, str) else _wrong(),
    "t": lambda v: _aware(datetime.fromisoformat(v)) if isinstance(v, str) else _wrong(),
    "d": lambda v: date.fromisoformat(v) if isinstance(v, str) else _wrong(),
}


def _wrong() -> Any:
    raise ValueError("a value of the wrong type")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a timestamp without offset")
    return value


def _encode_value(value: Any) -> list[Any]:
    for kind, tag, encode in _ENCODERS:
        if isinstance(value, kind):
            return [tag, encode(value)]
    raise TypeError(f"cannot page on a key of type {type(value).__name__}")


def encode_cursor(values: Sequence[Any]) -> str:
    """The opaque cursor that resumes a list after a row whose key values are `values`."""
    document = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    """The key values a cursor carries; `BadCursor` (422 naming `query.cursor`) otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor("it is not a cursor this API issued") from None
    if not isinstance(document, list) or not document:
        raise BadCursor("it is not a cursor this API issued")
    values: list[Any] = []
    for entry in document:
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] in _DECODERS):
            raise BadCursor("it is not a cursor this API issued")
        try:
            values.append(_DECODERS[entry[0]](entry[1]))
        except (ValueError, TypeError, ArithmeticError):
            raise BadCursor("it carries a malformed value") from None
    return tuple(values)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What the caller asked for: at most `limit` items after the row `after` (decoded)."""

    limit: int = DEFAULT_LIMIT
    after: tuple[Any, ...] | None = None


def page_request(
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=f"Items per page, 1 to {MAX_LIMIT}",
            examples=[DEFAULT_LIMIT],
        ),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            pattern=CURSOR_PATTERN,
            description="`next_cursor` of the previous page; omit for the first page. Opaque: "
            "valid only with the same list and ordering.",
        ),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after=decode_cursor(cursor) if cursor is not None else None)


PageParams = Annotated[PageRequest, Depends(page_request)]


@dataclass(frozen=True, slots=True)
class RowsPage(Generic[R]):
    """The rows of one page, before they are turned into response items."""

    rows: list[R]
    next_cursor: str | None

    def to_page(self, item: Callable[[R], T]) -> Page[T]:
        return Page[T](items=[item(row) for row in self.rows], next_cursor=self.next_cursor)


def _python_type(column: InstrumentedAttribute[Any]) -> type | None:
    column_type = column.type
    # A TypeDecorator reports `object`; the type it stores as knows the Python type.
    column_type = getattr(column_type, "impl_instance", column_type)
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return None
    return None if python_type is object else python_type


def _checked_after(after: tuple[Any, ...], keys: Sequence[InstrumentedAttribute[Any]]) -> None:
    if len(after) != len(keys):
        raise BadCursor("it belongs to another list")
    for value, column in zip(after, keys, strict=True):
        expected = _python_type(column)
        if expected is None:
            continue
        if expected is float and type(value) is int:
            continue
        if not isinstance(value, expected) or (expected is int and type(value) is bool):
            raise BadCursor("it belongs to another list")


def keyset_after(
    keys: Sequence[InstrumentedAttribute[Any]], after: tuple[Any, ...], *, descending: bool
) -> Any:
    """`(k1, k2, …) > (v1, v2, …)` (or `<`) spelled out as ORs, so both dialects bind each value
    with its column's type and use the (k1, k2, …) index."""
    clauses = []
    for position, (column, value) in enumerate(zip(keys, after, strict=True)):
        equal_before = [keys[i] == after[i] for i in range(position)]
        beyond = column < value if descending else column > value
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


async def keyset_page(
    session: AsyncSession,
    statement: Select[R],
    page: PageRequest,
    *,
    keys: Sequence[InstrumentedAttribute[Any]],
    descending: bool = False,
) -> RowsPage[R]:
    """One page of `statement` (a select of one ORM entity, filters applied) in `keys` order.

    `keys` must end with a unique column (the id) so the order is total; the caller should have
    an index on them. Fetches `limit + 1` rows: the extra one only tells whether a next page
    exists.
    """
    if page.after is not None:
        _checked_after(page.after, keys)
        statement = statement.where(keyset_after(keys, page.after, descending=descending))
    ordering = [key.desc() if descending else key.asc() for key in keys]
    statement = statement.order_by(None).order_by(*ordering).limit(page.limit + 1)
    rows = cast(list[R], list((await session.scalars(statement)).all()))
    return _page_of(rows, page.limit, lambda row: tuple(getattr(row, k.key) for k in keys))


async def keyset_rows(
    session: AsyncSession,
    statement: Select[Any, Any] | Select[Any],
    page: PageRequest,
    *,
    keys: Sequence[InstrumentedAttribute[Any]],
    key_of: Callable[[Any], tuple[Any, ...]],
    descending: bool = False,
) -> RowsPage[Any]:
    """`keyset_page` for a select of several entities or columns (`select(User, Membership)`):
    rows come back whole, and `key_of(row)` gives the row's values of `keys`."""
    if page.after is not None:
        _checked_after(page.after, keys)
        statement = statement.where(keyset_after(keys, page.after, descending=descending))
    ordering = [key.desc() if descending else key.asc() for key in keys]
    statement = statement.order_by(None).order_by(*ordering).limit(page.limit + 1)
    rows = list((await session.execute(statement)).all())
    return _page_of(rows, page.limit, key_of)


def sequence_page(
    items: Sequence[R], page: PageRequest, *, key: Callable[[R], tuple[Any, ...]]
) -> RowsPage[R]:
    """The same envelope over a list computed in memory (already in `key` order, ascending),
    for the few lists that are not one query."""
    start = 0
    if page.after is not None:
        after = page.after
        try:
            start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
        except TypeError:
            raise BadCursor("it belongs to another list") from None
    window = list(items[start : start + page.limit + 1])
    return _page_of(window, page.limit, key)


def _page_of(rows: list[R], limit: int, key: Callable[[R], tuple[Any, ...]]) -> RowsPage[R]:
    if len(rows) <= limit:
        return RowsPage(rows=rows, next_cursor=None)
    kept = rows[:limit]
    return RowsPage(rows=kept, next_cursor=encode_cursor(key(kept[-1])))
