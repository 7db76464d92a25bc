"""Packed outbox rows: many events of one topic in one row, expanded by the relay.

An outbox row with `packed` NULL holds one envelope in `value`, its key in `key` and its headers
in `headers`. A row with `packed` = N holds N events in `value`, one frame after another, in the
order they are published; `key` and `headers` are NULL then (each event carries its own).
A frame is three length-prefixed fields, each length a big-endian signed 32-bit integer:

    key length (-1: no key) | key (UTF-8) | headers length | headers (JSON object, UTF-8) |
    value length | value (the envelope's bytes)

Why: a row per event costs PostgreSQL a heap tuple, two index entries (seq, event_id), a
pending-index entry and the mark-sent UPDATE's new tuple — about 1.7 kB of WAL per event. A
packed row pays that once for up to `PACK_EVENTS` events. The delivery contract does not
change: the relay publishes one Kafka record per event (each frame), in frame order, and marks
the row sent only after all of them were acknowledged, so a crash between the two re-sends the
whole row and consumers' inboxes drop the duplicates by event id.

The frame is simple enough to build in SQL (`int4send(octet_length(x)) || x`), which is how
lifecycle/bulk_moves.py packs the stage events it builds in the database.

An *expanded* row goes one step further: its `value` holds only what differs between its events,
in a format of the writer's own, and its `headers` name the writer's expansion (`{"expand":
name, ...}`, with whatever the events share), which turns it into the events when it is
published (`register_expansion`; segments/compact.py in segmentation). So a database statement
that writes millions of events does not build their JSON: the relay does, after the commit. The
value of an expanded row starts with the length -2 (no frame has it), so a relay that does not
know expansions refuses the row instead of publishing its bytes.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

# Events per packed row: ~0.6 MB of envelopes at a membership event's ~600 bytes, so a row stays
# well under Kafka's request size after expansion and a relay batch reads a bounded amount.
PACK_EVENTS = 1000
_LENGTH = struct.Struct(">i")
_NO_KEY = -1
EXPANDED_MARK = _LENGTH.pack(-2)  # the first four bytes of an expanded row's value


@dataclass(frozen=True)
class PackedEvent:
    key: str | None
    headers: str  # the JSON object's text, as the plain row's `headers` column holds it
    value: bytes


def frame(key: str | None, headers: str, value: bytes) -> bytes:
    key_bytes = b"" if key is None else key.encode()
    headers_bytes = headers.encode()
    return b"".join(
        (
            _LENGTH.pack(_NO_KEY if key is None else len(key_bytes)),
            key_bytes,
            _LENGTH.pack(len(headers_bytes)),
            headers_bytes,
            _LENGTH.pack(len(value)),
            value,
        )
    )


def headers_field(headers: str) -> bytes:
    """A frame's length-prefixed headers field: the same for every event of a type, so a SQL
    packer can take it as a parameter (segments/applied.py)."""
    encoded = headers.encode()
    return _LENGTH.pack(len(encoded)) + encoded


def pack(events: Iterable[tuple[str | None, str, bytes]]) -> bytes:
    """(key, headers JSON text, envelope bytes) per event, in publishing order."""
    return b"".join(frame(key, headers, value) for key, headers, value in events)


def unpack(packed: bytes) -> Iterator[PackedEvent]:
    view = memoryview(packed)
    at, end = 0, len(packed)
    while at < end:
        length = _length(view, at)
        at += 4
        key = None if length == _NO_KEY else str(_field(view, at, length), "utf-8")
        at += max(length, 0)
        length = _length(view, at)
        headers = str(_field(view, at + 4, length), "utf-8")
        at += 4 + length
        length = _length(view, at)
        value = bytes(_field(view, at + 4, length))
        at += 4 + length
        yield PackedEvent(key, headers, value)


def _length(view: memoryview, at: int) -> int:
    if at + 4 > len(view):
        raise ValueError("a packed outbox value ends inside a frame")
    (length,) = _LENGTH.unpack_from(view, at)
    return int(length)


def _field(view: memoryview, at: int, length: int) -> memoryview:
    if length < 0 or at + length > len(view):
        raise ValueError("a packed outbox value ends inside a frame")
    return view[at : at + length]


def id_records(value: bytes, head: struct.Struct, what: str) -> Iterator[tuple[Any, ...]]:
    """The records of an expanded row's value in the shape its writers share: a fixed `head`
    whose last field is the length of a UTF-8 id that follows it. Yields the head's other
    fields and then the id, as one tuple; `what` names a record in the error for a row that
    ends inside one."""
    view = memoryview(value)
    offset, end = 0, len(value)
    while offset < end:
        *fields, length = head.unpack_from(view, offset)
        offset += head.size
        yield (*fields, str(view[offset : offset + length], "utf-8"))
        offset += length
    if offset != end:
        raise ValueError(f"a compact row ends inside {what}")


def chunks(items: Sequence[T], size: int = PACK_EVENTS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def headers_text(event_type: str) -> str:
    """The headers every event carries, as `publish` writes them into the plain row."""
    return json.dumps({"ce_type": event_type})


# (value after EXPANDED_MARK, the row's headers) -> its events, in publishing order
Expansion = Callable[[bytes, Mapping[str, Any]], Iterable[PackedEvent]]
_EXPANSIONS: dict[str, Expansion] = {}


def register_expansion(name: str, expansion: Expansion) -> None:
    """Called where the writer of such rows is defined, so the process that writes them (and
    runs their relay) knows how to expand them."""
    _EXPANSIONS[name] = expansion


def events_of(value: bytes, headers: str) -> Iterator[PackedEvent]:
    """A packed row's events from its `value` and its `headers` as text: its frames, or, for an
    expanded row, what its expansion makes of it."""
    if headers == "{}":  # every packed row written by `publish_encoded`
        yield from unpack(value)
        return
    shared = json.loads(headers)
    name = shared.get("expand")
    if name is None:
        yield from unpack(value)
        return
    expansion = _EXPANSIONS.get(name)
    if expansion is None or not value.startswith(EXPANDED_MARK):
        raise ValueError(f"an outbox row of unknown expansion {name!r}")
    yield from expansion(value[len(EXPANDED_MARK) :], shared)
