"""Stage-move events kept compact in the outbox, and made whole by the relay.

lifecycle/bulk_moves.py writes an import's moves (835,700 for 1,000,000 imported events) as
expanded outbox rows (yunying_shared.bus.packed), up to PACK_EVENTS moves each: what the events
of one statement share (the envelope's text around the subject, stamped at the write; the stage
names and reasons as JSON) once, in the row's headers; per move only its event id, its stage
codes, whether it is historical, when it happened and the user id, in the row's value. The
envelopes (~500 bytes each) are built here, when the relay publishes the row, with the bytes
`record_transitions` writes (a test compares them). PostgreSQL built them in the write
statement before (`to_char`, `to_json`, string concatenation): about half of the statement's
CPU per move (docs/BENCHMARKS.md, #10 sessions 6 and 9), on the import's critical path.

A move in the value: event id (16 bytes) | codes (2 bytes, big-endian: (from * 8 + to) * 2,
plus 1 when historical) | when (8 bytes, big-endian: microseconds since 1970-01-01 UTC) |
user id length (4 bytes, big-endian) | user id (UTF-8).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from segmentation.lifecycle.rules import STAGES
from segmentation.lifecycle.service import SOURCE
from segmentation.lifecycle.stage_events import json_time, stage_payload
from yunying_shared.bus.packed import PackedEvent, headers_text, id_records, register_expansion
from yunying_shared.events.bulk import BulkEncoder
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED
from yunying_shared.events.envelope import ENVELOPE_JSON

EXPANSION = "segmentation.stage_moves.v1"
CODES_PER_STAGE = 8  # room for STAGES in the from/to code pair
_MOVE = struct.Struct(">16sHqi")  # event id, codes, when, user id length
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEADERS = headers_text(USER_LIFECYCLE_STAGE_CHANGED.type)
_EVENTS = BulkEncoder(USER_LIFECYCLE_STAGE_CHANGED, source=SOURCE)

assert len(STAGES) <= CODES_PER_STAGE


def row_headers(workspace_id: UUID, reasons: Sequence[str]) -> dict[str, Any]:
    """What every move of one write shares: the envelope's text between the id and the subject
    and between the subject and the data (stamped now, as make_event stamps its time and
    causation), and `reasons`, indexed to * len(STAGES) + from."""
    after_id, after_subject = _EVENTS.envelope_parts()
    return {
        "expand": EXPANSION,
        "after_id": after_id,
        "after_subject": after_subject(workspace_id),
        "reasons": list(reasons),
    }


def _expand(value: bytes, shared: Mapping[str, Any]) -> Iterator[PackedEvent]:
    after_id, after_subject = shared["after_id"], shared["after_subject"]
    reasons: list[str] = shared["reasons"]
    for event_id, codes, micros, user_id in id_records(value, _MOVE, "a move"):
        pair, historical = divmod(codes, 2)
        from_code, to_code = divmod(pair, CODES_PER_STAGE)
        payload = stage_payload(
            user_id,
            STAGES[from_code],
            STAGES[to_code],
            reasons[to_code * len(STAGES) + from_code],
            json_time(_EPOCH + timedelta(microseconds=micros)),
            None,
            bool(historical),
        )
        subject = ENVELOPE_JSON(user_id)
        envelope = f'{{"id":"{UUID(bytes=event_id)}{after_id}{subject}{after_subject}{payload}}}'
        yield PackedEvent(user_id, _HEADERS, envelope.encode())


register_expansion(EXPANSION, _expand)
