import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from yunying_shared.events import WORKSPACE_CREATED, InvalidEvent, make_event, parse_event
from yunying_shared.events.docs import rendered
from yunying_shared.events.payloads.gateway import WorkspaceCreated

REPO = Path(__file__).resolve().parents[2]


def _created(workspace_id):
    return WorkspaceCreated(
        workspace_id=workspace_id, name="品牌A", slug="brand-a", created_at=datetime.now(UTC)
    )


def test_round_trip_keeps_cloudevents_attributes_and_payload():
    workspace_id = uuid.uuid4()
    event = make_event(
        WORKSPACE_CREATED,
        _created(workspace_id),
        source="/yunying/gateway",
        workspace=workspace_id,
        correlationid="req-1",
    )
    raw = json.loads(event.to_bytes())
    assert raw["specversion"] == "1.0"
    assert raw["type"] == "yunying.workspace.created.v1"
    assert raw["subject"] == str(workspace_id)
    assert raw["correlationid"] == "req-1"
    envelope, payload = parse_event(event.to_bytes())
    assert envelope.id == event.id
    assert payload == _created(workspace_id).model_copy(update={"created_at": payload.created_at})
    assert payload.name == "品牌A"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "invalid envelope"),
        (b'{"source": "/x"}', "type"),
        (
            json.dumps(
                {"source": "/x", "type": "yunying.workspace.created.v1", "data": {"name": "A"}}
            ).encode(),
            "workspace_id",
        ),
    ],
)
def test_invalid_events_say_why(raw, reason):
    with pytest.raises(InvalidEvent, match=reason):
        parse_event(raw)


def test_unknown_types_parse_without_payload():
    envelope, payload = parse_event(b'{"source": "/crm", "type": "acme.custom.v1"}')
    assert envelope.type == "acme.custom.v1"
    assert payload is None


def test_generated_event_docs_are_current():
    stale = [
        str(path.relative_to(REPO))
        for path, text in rendered(REPO).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `make docs`; stale: {stale}"


def test_binary_mode_events_are_read_from_their_ce_headers():
    data = b'{"workspace_id": "6f0c6a1e-2b7d-4c8e-9f1a-5d6e7f8a9b0c", "name": "A", "slug": "a", "created_at": "2026-11-30T08:00:00Z"}'  # noqa: E501
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"gw-17"),
        ("ce_source", b"/elsewhere"),
        ("ce_type", WORKSPACE_CREATED.type.encode()),
        ("content-type", b"application/json; charset=utf-8"),
    ]
    envelope, payload = parse_event(data, headers)
    assert payload is not None and payload.name == "A"
    assert envelope.source == "/elsewhere" and envelope.model_extra["sourceid"] == "gw-17"


def test_foreign_ids_map_to_one_uuid_per_source_and_id():
    def envelope_id(source: str, event_id: str):
        raw = json.dumps({"id": event_id, "source": source, "type": "acme.custom.v1"}).encode()
        return parse_event(raw)[0].id

    assert envelope_id("/crm-a", "1") == envelope_id("/crm-a", "1")
    assert envelope_id("/crm-a", "1") != envelope_id("/crm-b", "1")
    mine = str(uuid.uuid4())
    assert str(envelope_id("/crm-a", mine)) == mine  # UUIDs are kept as they are


@pytest.mark.parametrize("value", [b"not json", b"[1, 2]", b'"text"'])
def test_values_that_are_not_events_are_invalid(value):
    with pytest.raises(InvalidEvent, match="invalid envelope"):
        parse_event(value)
    with pytest.raises(InvalidEvent, match="invalid envelope"):
        parse_event(value, [("ce_specversion", b"1.0")])
