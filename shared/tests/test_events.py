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
