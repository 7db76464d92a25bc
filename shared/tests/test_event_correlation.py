"""Events carry the ids of what caused them: the request's correlation id (bound by the request
middleware) or the consumed event's correlation id and id (bound by the consumer), whether made
one at a time by `make_event` or in bulk by `BulkEncoder`, byte for byte the same."""

import json
import uuid
from datetime import UTC, datetime

from yunying_shared.events import WORKSPACE_CREATED, make_event
from yunying_shared.events.bulk import BulkEncoder
from yunying_shared.events.payloads.gateway import WorkspaceCreated
from yunying_shared.logging import bound_contextvars


def _payload() -> WorkspaceCreated:
    return WorkspaceCreated(
        workspace_id=uuid.uuid4(), name="品牌", slug="brand", created_at=datetime.now(UTC)
    )


def test_an_event_made_while_handling_a_request_carries_its_correlation_id():
    with bound_contextvars(request_id="req-1", correlation_id="trace-42"):
        event = make_event(WORKSPACE_CREATED, _payload(), source="/t", workspace=None)
    assert event.correlationid == "trace-42"
    assert event.causationid is None
    outside = make_event(WORKSPACE_CREATED, _payload(), source="/t", workspace=None)
    assert outside.correlationid is None and outside.causationid is None


def test_an_event_made_while_handling_an_event_names_it_as_its_cause():
    cause = str(uuid.uuid4())
    with bound_contextvars(event_id=cause, correlation_id="trace-42"):
        event = make_event(WORKSPACE_CREATED, _payload(), source="/t", workspace=None)
        explicit = make_event(
            WORKSPACE_CREATED, _payload(), source="/t", workspace=None, correlationid="mine"
        )
    assert (event.correlationid, event.causationid) == ("trace-42", cause)
    assert explicit.correlationid == "mine"


def test_bulk_encoded_events_carry_the_same_ids_as_make_event():
    payload = _payload()
    encoder = BulkEncoder(WORKSPACE_CREATED, source="/t")
    row = payload.model_dump(mode="json")
    with bound_contextvars(event_id="cause-1", correlation_id="trace-7"):
        ((event_id, _, _, raw),) = encoder.encode([row], workspace=None)
        model = make_event(WORKSPACE_CREATED, payload, source="/t", workspace=None)
    body = json.loads(raw)
    assert body["correlationid"] == "trace-7" and body["causationid"] == "cause-1"
    # Same bytes as the model once id and time (per call) are the same.
    same = model.model_copy(update={"id": event_id, "time": datetime.fromisoformat(body["time"])})
    assert raw == same.to_bytes()
