from yunying_shared.events.catalogue import (
    CATALOGUE,
    WORKSPACE_CREATED,
    EventSpec,
    InvalidEvent,
    make_event,
    parse_event,
    spec_for,
    topics,
)
from yunying_shared.events.envelope import Envelope, encode_envelope

__all__ = [
    "CATALOGUE",
    "WORKSPACE_CREATED",
    "Envelope",
    "EventSpec",
    "InvalidEvent",
    "encode_envelope",
    "make_event",
    "parse_event",
    "spec_for",
    "topics",
]
