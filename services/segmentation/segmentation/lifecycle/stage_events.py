"""`user.lifecycle_stage_changed` payloads written from a template.

An import's finishing step publishes one event per derived stage move (835,700 for 1,000,000
imported events), each with its own `changed_at`: a payload dict per move, its datetime
formatted by pydantic and the dict serialized by the JSON encoder were most of the step's
Python time. Here the stage names and reasons are JSON once per value, the user id is escaped by
the JSON encoder's C string function and the UTC timestamp is its ISO text with pydantic's "Z";
the payload is then the same JSON text `ENVELOPE_JSON(payload.model_dump(mode="json"))` writes,
field for field in the model's order (a test compares them), for `BulkEncoder.encode_json`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from pydantic import TypeAdapter

from yunying_shared.events.envelope import ENVELOPE_JSON

_DATETIME = TypeAdapter(datetime)


@cache
def _json(value: str | None) -> str:
    """A stage name, reason or churn reason as JSON (few distinct values)."""
    text: str = ENVELOPE_JSON(value)
    return text


def json_time(value: datetime) -> str:
    """As pydantic writes a datetime in JSON (quoted): UTC as 'Z', microseconds when any."""
    if value.tzinfo is UTC:
        return f'"{value.isoformat()[:-6]}Z"'
    text: str = ENVELOPE_JSON(_DATETIME.dump_python(value, mode="json"))
    return text


def stage_payload(
    user_id: str,
    from_stage: str | None,
    to_stage: str,
    reason: str,
    changed_at: str,
    churn_reason: str | None,
    historical: bool,
) -> str:
    """The payload's JSON; `changed_at` as `json_time` wrote it."""
    return (
        f'{{"user_id":{ENVELOPE_JSON(user_id)},"from_stage":{_json(from_stage)}'
        f',"to_stage":{_json(to_stage)},"reason":{_json(reason)},"changed_at":{changed_at}'
        f',"churn_reason":{_json(churn_reason)},"historical":{"true" if historical else "false"}}}'
    )
