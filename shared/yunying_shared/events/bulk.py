"""Many events of one catalogue spec, serialized without a model per event.

A re-score publishes up to 100,000 transitions and a busy ingest thousands of membership
changes a second; validating a payload model, building an Envelope and calling uuid4 for each
was most of their Python time. `BulkEncoder` takes the field names, order, defaults and which
fields are datetimes from the spec's payload model once, and then writes each event's bytes
exactly as `make_event(spec, spec.payload(**fields), ...).to_bytes()` would (a test compares
them), with ids from one urandom call and each distinct datetime formatted once. The envelope's
fields other than id, subject and data are the same for the whole call, so their JSON is
written once and each event is that text with its id, subject and data spliced in: the bytes
`encode_envelope` gives, field for field in its order. A producer that writes its payloads'
JSON itself (from a template, for its busiest event) passes them to `encode_json`.

The values must already be in their JSON form, as `model_dump(mode="json")` would give them,
except datetimes, which may be passed as they are; the producer computed them, so nothing is
validated per event.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic
from uuid import UUID

from pydantic import TypeAdapter

from yunying_shared.events.catalogue import EventSpec, P, causation
from yunying_shared.events.envelope import ENVELOPE_JSON

Encoded = tuple[UUID, str, str | None, bytes]  # id, type, key, envelope bytes: publish_encoded's
_DATETIME = TypeAdapter(datetime)


def _is_datetime(annotation: Any) -> bool:
    if annotation is datetime:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_datetime(member) for member in typing.get_args(annotation))
    return False


class BulkEncoder(Generic[P]):
    def __init__(self, spec: EventSpec[P], *, source: str) -> None:
        self.spec = spec
        self.source = source
        fields = spec.payload.model_fields
        self._fields = tuple(fields)
        self._datetime_fields = tuple(n for n, f in fields.items() if _is_datetime(f.annotation))
        self._required = frozenset(n for n, f in fields.items() if f.is_required())
        self._defaults = {
            name: field.get_default(call_default_factory=True)
            for name, field in fields.items()
            if not field.is_required()
        }

    def encode(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        workspace: UUID | Sequence[UUID | None] | None,
    ) -> list[Encoded]:
        """One event per row; a row maps payload field names to values (optional ones may be
        left out). `workspace` is every event's, or one per row."""
        formatted: dict[datetime, str] = {}  # each distinct datetime formatted once
        key_field = self.spec.key_field
        fields, datetimes = self._fields, self._datetime_fields
        payloads: list[tuple[str, str]] = []
        for row in rows:
            # Every field in the model's order (how producers write them): a copy with the
            # datetimes in their JSON form is the payload; otherwise complete it first.
            data = dict(row) if tuple(row) == fields else self._complete(row)
            for name in datetimes:
                value = data[name]
                if isinstance(value, datetime):
                    text = formatted.get(value)
                    if text is None:
                        text = formatted[value] = _DATETIME.dump_python(value, mode="json")
                    data[name] = text
            payloads.append((str(row[key_field]), ENVELOPE_JSON(data)))
        return self.encode_json(payloads, workspace=workspace)

    def encode_json(
        self,
        payloads: Sequence[tuple[str, str]],
        *,
        workspace: UUID | Sequence[UUID | None] | None,
    ) -> list[Encoded]:
        """One event per (key, payload JSON): for a producer that writes its payload's JSON
        itself from a template, as `ENVELOPE_JSON(payload.model_dump(mode="json"))` would
        write it (its test compares the two). Nothing is validated."""
        if not payloads:
            return []
        workspaces = workspace if isinstance(workspace, Sequence) else [workspace] * len(payloads)
        random = os.urandom(16 * len(payloads))
        event_type = self.spec.type
        after_id, after_subject = self.envelope_parts()
        middles: dict[UUID | None, str] = {}  # per workspace
        encoded: list[Encoded] = []
        for i, (key, data) in enumerate(payloads):
            event_id = UUID(bytes=random[16 * i : 16 * i + 16], version=4)
            workspace_id = workspaces[i]
            middle = middles.get(workspace_id)
            if middle is None:
                middle = middles[workspace_id] = after_subject(workspace_id)
            envelope = f'{{"id":"{event_id}{after_id}{ENVELOPE_JSON(key)}{middle}'
            encoded.append((event_id, event_type, key, f"{envelope}{data}}}".encode()))
        return encoded

    def envelope_parts(self) -> tuple[str, Callable[[UUID | None], str]]:
        """The envelope's text between the id and the subject (stamped now, as make_event
        stamps its time and causation), and per workspace the text between the subject and
        the data: an event is `{"id":"<id>` + the first + the subject's JSON + the second +
        the payload's JSON + `}` (what a SQL encoder splices, lifecycle.import_moves)."""
        sent = _DATETIME.dump_python(datetime.now(UTC), mode="json")  # as make_event stamps it
        correlationid, causationid = causation()  # as make_event stamps them
        # `encode_envelope`'s fields in its order: id, source, type, specversion, time,
        # subject, datacontenttype, workspace, correlationid, causationid, data
        after_id = (
            f'","source":{ENVELOPE_JSON(self.source)},"type":{ENVELOPE_JSON(self.spec.type)}'
            f',"specversion":"1.0","time":{ENVELOPE_JSON(sent)},"subject":'
        )
        traced = "".join(
            f',"{name}":{ENVELOPE_JSON(value)}'
            for name, value in (("correlationid", correlationid), ("causationid", causationid))
            if value is not None
        )

        def after_subject(workspace_id: UUID | None) -> str:
            tenant = "" if workspace_id is None else f',"workspace":"{workspace_id}"'
            return f',"datacontenttype":"application/json"{tenant}{traced},"data":'

        return after_id, after_subject

    def _complete(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The row in the model's field order, optional fields it leaves out at their default."""
        missing = self._required.difference(row)
        if missing:
            raise ValueError(f"{self.spec.type}: missing payload fields {sorted(missing)}")
        unknown = set(row).difference(self._fields)
        if unknown:
            raise ValueError(f"{self.spec.type}: not payload fields {sorted(unknown)}")
        return {name: row[name] if name in row else self._defaults[name] for name in self._fields}
