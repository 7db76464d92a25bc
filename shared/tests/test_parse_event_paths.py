"""`parse_event` reads plain structured events in one pass: the envelope must be the one the
general path (json.loads, normalising, validating the dict) gives, and anything else must still
take the general path with its messages."""

from __future__ import annotations

import json
import uuid

import pytest

from yunying_shared.events import InvalidEvent, parse_event
from yunying_shared.events.catalogue import CRM_EVENT_RECORDED, _general, _plain_structured

WORKSPACE = str(uuid.uuid4())


def _event(**fields: object) -> dict[str, object]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/crm/test",
        "type": CRM_EVENT_RECORDED.type,
        "time": "2026-11-11T20:03:00+08:00",
        "workspace": WORKSPACE,
        "data": {
            "user_id": "u1",
            "kind": "purchase",
            "occurred_at": "2026-11-11T20:03:00+08:00",
            "amount": 59.9,
            "big": 2**70,
            "nested": {"精华": [1, 2.5e-7, None, True, "\u00e9\u4e2d"]},
        },
        **fields,
    }


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"subject": "u1", "correlationid": "c-1", "vendorext": {"a": [1]}},
        {"id": str(uuid.uuid4()).upper(), "time": "2026-11-11T12:03:00Z"},
    ],
)
def test_the_one_pass_read_gives_the_general_paths_envelope(fields: dict[str, object]) -> None:
    raw = json.dumps(_event(**fields), ensure_ascii=False).encode()
    fast = _plain_structured(raw, ())
    assert fast is not None
    general = _general(raw, ())
    assert fast == general
    assert fast.model_extra == general.model_extra
    assert parse_event(raw) == (general, parse_event(raw)[1])


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (json.dumps(_event(id="crm-000123")).encode(), ()),  # a foreign id
        (json.dumps(_event(datacontenttype="application/json; charset=utf-8")).encode(), ()),
        (json.dumps(_event()).encode("utf-16"), ()),
        (b'{"data": {}}', [("ce_specversion", b"1.0")]),  # binary mode
    ],
)
def test_anything_else_takes_the_general_path(raw: bytes, headers: list[tuple[str, bytes]]) -> None:
    assert _plain_structured(raw, headers) is None


def test_a_foreign_id_is_still_mapped_and_bad_input_still_named() -> None:
    envelope, _ = parse_event(json.dumps(_event(id="crm-000123")).encode())
    assert (envelope.model_extra or {})["sourceid"] == "crm-000123"
    with pytest.raises(InvalidEvent, match="invalid envelope: source"):
        parse_event(json.dumps(_event(source="")).encode())
    with pytest.raises(InvalidEvent, match="is not JSON"):
        parse_event(b"{not json")
