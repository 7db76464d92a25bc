"""Every event type Yunying knows: its topic, payload model and key. The one place for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from yunying_shared.events.envelope import Envelope
from yunying_shared.events.payloads import gateway

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class EventSpec(Generic[P]):
    name: str
    version: int
    topic: str
    payload: type[P]
    key_field: str
    description: str

    @property
    def type(self) -> str:
        return f"yunying.{self.name}.v{self.version}"

    def key_of(self, payload: P) -> str:
        return str(getattr(payload, self.key_field))


WORKSPACE_CREATED = EventSpec(
    name="workspace.created",
    version=1,
    topic="gateway.workspace.v1",
    payload=gateway.WorkspaceCreated,
    key_field="workspace_id",
    description="A workspace (one brand or business unit) was created; every service records it.",
)

CATALOGUE: dict[str, EventSpec[Any]] = {spec.type: spec for spec in (WORKSPACE_CREATED,)}


class InvalidEvent(ValueError):
    """An event whose envelope or payload does not validate: never retried, dead-lettered."""


def topics() -> list[str]:
    return sorted({spec.topic for spec in CATALOGUE.values()})


def spec_for(event_type: str) -> EventSpec[Any]:
    try:
        return CATALOGUE[event_type]
    except KeyError as exc:
        raise InvalidEvent(f"unknown event type {event_type!r}") from exc


def make_event(
    spec: EventSpec[P],
    payload: P,
    *,
    source: str,
    workspace: UUID | None,
    correlationid: str | None = None,
    causationid: str | None = None,
) -> Envelope:
    return Envelope(
        source=source,
        type=spec.type,
        subject=spec.key_of(payload),
        workspace=workspace,
        correlationid=correlationid,
        causationid=causationid,
        data=payload.model_dump(mode="json"),
    )


def parse_event(raw: bytes) -> tuple[Envelope, BaseModel | None]:
    """Envelope and typed payload; the payload is None for types outside the catalogue."""
    try:
        envelope = Envelope.from_bytes(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid envelope: {_summary(exc)}") from exc
    spec = CATALOGUE.get(envelope.type)
    if spec is None:
        return envelope, None
    try:
        return envelope, spec.payload.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {envelope.type} payload: {_summary(exc)}") from exc


def _summary(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )
