"""Membership events kept compact in the outbox, and made whole by the relay.

segments/applied.py writes, per segment and up to PACK_EVENTS of its changes, one expanded
outbox row (yunying_shared.bus.packed): the segment, the time, the reason and the trace ids
once, in the row's headers; per change only its event id, whether the user entered, the entry
time and the user id, in the row's value. The envelopes (~600 bytes of JSON each) are built
here, when the relay publishes the row, with the same bytes `make_event(...).to_bytes()` gives
(a test compares them): PostgreSQL built them in the write statement before, a third of its
CPU per change at 0.86 M memberships and a sixth at 8.5 M (docs/BENCHMARKS.md, #11 session 7).

A change in the value: event id (16 bytes) | 1 if entered, 0 if exited (1 byte) | entry time
(8 bytes: PostgreSQL's binary timestamptz, microseconds since 2000-01-01 UTC, big-endian) |
user id length (4 bytes, big-endian) | user id (UTF-8).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from segmentation.segments.writes import SOURCE
from yunying_shared.bus.packed import PackedEvent, headers_text, id_records, register_expansion
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED, USER_SEGMENT_EXITED, causation

EXPANSION = "segmentation.membership.v1"
_CHANGE = struct.Struct(">16s?qi")  # event id, entered, entry time, user id length
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # PostgreSQL's binary timestamps count from here
_ENTERED_HEADERS = headers_text(USER_SEGMENT_ENTERED.type)
_EXITED_HEADERS = headers_text(USER_SEGMENT_EXITED.type)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def timestamp(value: datetime) -> str:
    """As pydantic's JSON mode writes an aware datetime: UTC, 'Z', microseconds when not 0."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def row_headers(workspace_id: UUID, now: datetime, reason: str) -> dict[str, Any]:
    """What every event of one apply shares (the statement adds the segment's id and name)."""
    correlationid, causationid = causation()
    return {
        "expand": EXPANSION,
        "workspace": str(workspace_id),
        "time": timestamp(datetime.now(UTC)),  # the envelope's `time`, as make_event stamps it
        "at": timestamp(now),
        "reason": reason,
        "correlationid": correlationid,
        "causationid": causationid,
    }


def _expand(value: bytes, shared: Mapping[str, Any]) -> Iterator[PackedEvent]:
    # The constant stretches of both events' bytes, around the per-change strings.
    traced = "".join(
        f',"{name}":{_json(shared[name])}'
        for name in ("correlationid", "causationid")
        if shared.get(name) is not None
    )

    def head(event_type: str) -> str:  # from after the id to the subject
        return (
            f'","source":{_json(SOURCE)},"type":{_json(event_type)},'
            f'"specversion":"1.0","time":"{shared["time"]}","subject":'
        )

    entered_head, exited_head = head(USER_SEGMENT_ENTERED.type), head(USER_SEGMENT_EXITED.type)
    between = (
        f',"datacontenttype":"application/json","workspace":"{shared["workspace"]}"{traced},'
        '"data":{"user_id":'
    )
    name = _json(shared["segment_name"])
    segment = f',"segment_id":"{shared["segment_id"]}","segment_name":{name}'
    at, reason = shared["at"], _json(shared["reason"])
    entered_tail = f',"entered_at":"{at}","reason":{reason}}}}}'
    exited_tail = f'","exited_at":"{at}","reason":{reason}}}}}'
    for event_id, entered, since, user_id in id_records(value, _CHANGE, "a change"):
        user = _json(user_id)
        if entered:
            envelope = (
                f'{{"id":"{UUID(bytes=event_id)}{entered_head}{user}{between}{user}'
                f"{segment}{entered_tail}"
            )
            yield PackedEvent(user_id, _ENTERED_HEADERS, envelope.encode())
        else:
            began = timestamp(_EPOCH + timedelta(microseconds=since))
            envelope = (
                f'{{"id":"{UUID(bytes=event_id)}{exited_head}{user}{between}{user}'
                f'{segment},"entered_at":"{began}{exited_tail}'
            )
            yield PackedEvent(user_id, _EXITED_HEADERS, envelope.encode())


register_expansion(EXPANSION, _expand)
