"""Events as real producers send them: CloudEvents 1.0 over Kafka in structured mode (the whole
event as a JSON value) or binary mode (the data as the value, the attributes in `ce_*` headers),
with any non-empty `id`.

Yunying's own events carry UUIDs. A foreign id ("kcat-ce-1", an order number) is mapped to a
UUID derived from its source and id, so the inbox deduplicates per (source, id) as CloudEvents
defines uniqueness; the original id stays on the envelope as `sourceid`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

ATTRIBUTE_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"
# Fixed forever: changing it would make redeliveries of foreign events look new.
FOREIGN_ID_NAMESPACE = UUID("6d1c1f0e-5b8a-4c39-9a57-3f9b2c7a4e10")


class NotAnEvent(ValueError):
    """The message is neither a structured nor a binary CloudEvent we can read."""


def event_fields(value: bytes, headers: Sequence[tuple[str, bytes]] = ()) -> dict[str, Any]:
    """The event's attributes and data as one dict, ready for `Envelope.model_validate`."""
    attributes = {
        name[len(ATTRIBUTE_PREFIX) :]: raw.decode("utf-8", "replace")
        for name, raw in headers
        if name.lower().startswith(ATTRIBUTE_PREFIX)
    }
    if "specversion" in attributes:
        fields: dict[str, Any] = {**attributes, "data": _json(value, "the binary-mode value")}
        content_type = dict(headers).get(CONTENT_TYPE_HEADER)
        if content_type is not None:
            fields["datacontenttype"] = content_type.decode("latin-1")
    else:
        fields = _json(value, "a structured-mode event")
    if not isinstance(fields, dict):
        raise NotAnEvent("a CloudEvent must be a JSON object")
    _normalise(fields)
    return fields


def _json(value: bytes, what: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotAnEvent(f"{what} is not JSON: {exc}") from exc


def _normalise(fields: dict[str, Any]) -> None:
    content_type = fields.get("datacontenttype")
    if isinstance(content_type, str) and content_type.split(";")[0].strip() == "application/json":
        fields["datacontenttype"] = "application/json"  # parameters such as charset are fine
    event_id = fields.get("id")
    if isinstance(event_id, str) and event_id and not _is_uuid(event_id):
        fields["sourceid"] = event_id
        fields["id"] = str(uuid5(FOREIGN_ID_NAMESPACE, f"{fields.get('source', '')}\n{event_id}"))


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True
