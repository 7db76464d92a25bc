"""The CloudEvents 1.0 envelope (structured JSON mode) every Yunying event travels in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

# How an envelope's JSON is written (as `Envelope.to_bytes()` writes it): one encoder for every
# call, since `json.dumps` with options builds a new one each time.
ENVELOPE_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Envelope(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: UUID = Field(default_factory=uuid4, description="Unique per event; consumers dedupe by it")
    source: str = Field(min_length=1, description="The producing service, e.g. /yunying/gateway")
    type: str = Field(min_length=1, description="yunying.<aggregate>.<past-tense verb>.v<major>")
    specversion: Literal["1.0"] = "1.0"
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = Field(default=None, description="The aggregate id, also the topic key")
    datacontenttype: Literal["application/json"] = "application/json"
    workspace: UUID | None = Field(default=None, description="Tenant the event belongs to")
    correlationid: str | None = Field(default=None, description="Id of the originating request")
    causationid: str | None = Field(default=None, description="Id of the event that caused this")
    data: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)


def encode_envelope(
    *,
    id: UUID,
    source: str,
    type: str,
    time: str,
    subject: str | None,
    workspace: UUID | None,
    data: dict[str, Any],
    correlationid: str | None = None,
    causationid: str | None = None,
) -> bytes:
    """The bytes `Envelope(...).to_bytes()` gives for these fields, without building and
    validating a model: for producers publishing tens of thousands of events from values they
    computed themselves. `time` and any datetimes in `data` must already be in their JSON form
    (`TypeAdapter(datetime).dump_python(value, mode="json")`)."""
    body: dict[str, Any] = {
        "id": str(id),
        "source": source,
        "type": type,
        "specversion": "1.0",
        "time": time,
    }
    if subject is not None:
        body["subject"] = subject
    body["datacontenttype"] = "application/json"
    if workspace is not None:
        body["workspace"] = str(workspace)
    if correlationid is not None:
        body["correlationid"] = correlationid
    if causationid is not None:
        body["causationid"] = causationid
    body["data"] = data
    return ENVELOPE_JSON(body).encode()
