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
from yunying_shared.events.envelope import Envelope

__all__ = [
    "CATALOGUE",
    "WORKSPACE_CREATED",
    "Envelope",
    "EventSpec",
    "InvalidEvent",
    "make_event",
    "parse_event",
    "spec_for",
    "topics",
]
