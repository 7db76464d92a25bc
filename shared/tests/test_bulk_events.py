"""Bulk events are encoded from the catalogue spec: every byte as the single-event path
(`make_event(spec, payload).to_bytes()`) gives it, for every spec in the catalogue."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel

from yunying_shared.events import CATALOGUE, EventSpec, make_event
from yunying_shared.events.bulk import BulkEncoder
from yunying_shared.events.catalogue import USER_SEGMENT_EXITED

SOURCE = "/yunying/test"
AT = datetime(2026, 11, 26, 9, 30, 1, 123456, tzinfo=UTC)


def _value(name: str, annotation: Any, index: int) -> Any:
    """A value the payload model accepts unchanged, different per field and row."""
    text = str(annotation)
    if get_origin(annotation) is Literal:
        choices = get_args(annotation)
        return choices[index % len(choices)]
    if get_origin(annotation) is dict:  # before the scalars: its value type names them too
        value_type = get_args(annotation)[1]
        if value_type is Any:
            return {"k": f"值 {index}", "n": [index, None]}
        return {"k": _value(name, value_type, index)}
    if "datetime" in text:
        return AT - timedelta(days=index, microseconds=index)
    if "bool" in text:
        return index % 2 == 0
    if "int" in text:
        return index + 3
    if "float" in text:
        return 0.25 * (index % 4)
    if "list[dict" in text:
        return [{"sku": f"商品-{index}", "qty": index}]
    if "list" in text:
        return [f"项-{index}", '"quoted"']
    if "dict" in text:
        return {"k": f"值 {index}", "n": [index, None]}
    if "UUID" in text:
        return str(uuid.UUID(int=index + 1))
    return f'{name} 第{index}个 "x"\\y'


def _rows(spec: EventSpec[Any], count: int) -> list[dict[str, Any]]:
    fields = spec.payload.model_fields
    return [
        {name: _value(name, field.annotation, i) for name, field in fields.items()}
        for i in range(count)
    ]


def _masked(raw: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raw)
    assert uuid.UUID(body.pop("id")).version == 4
    datetime.fromisoformat(body.pop("time"))
    return body


@pytest.mark.parametrize("spec", list(CATALOGUE.values()), ids=lambda s: s.type)
def test_bulk_bytes_are_the_single_event_bytes(spec: EventSpec[BaseModel]) -> None:
    workspace = uuid.uuid4()
    rows = _rows(spec, 3)
    bulk = BulkEncoder(spec, source=SOURCE).encode(rows, workspace=workspace)

    assert len(bulk) == len(rows)
    for row, (event_id, event_type, key, raw) in zip(rows, bulk, strict=True):
        single = make_event(spec, spec.payload(**row), source=SOURCE, workspace=workspace)
        expected = single.to_bytes()
        body = json.loads(raw)
        assert body["id"] == str(event_id) and event_type == spec.type
        assert key == single.subject
        # Everything but the id and the send time is the same, byte for byte.
        same_id_and_time = raw.replace(body["id"].encode(), str(single.id).encode()).replace(
            body["time"].encode(), json.loads(expected)["time"].encode()
        )
        assert same_id_and_time == expected
        assert _masked(raw) == _masked(expected)


def test_optional_fields_left_out_get_the_model_defaults() -> None:
    row = {
        "user_id": "u1",
        "segment_id": "s1",
        "segment_name": "高价值",
        "exited_at": AT.astimezone(timezone(timedelta(hours=8))),
        "reason": "sweep",
    }
    ((_, _, _, raw),) = BulkEncoder(USER_SEGMENT_EXITED, source=SOURCE).encode(
        [row], workspace=None
    )
    single = make_event(
        USER_SEGMENT_EXITED, USER_SEGMENT_EXITED.payload(**row), source=SOURCE, workspace=None
    )
    assert _masked(raw) == _masked(single.to_bytes())
    assert json.loads(raw)["data"]["entered_at"] is None


def test_a_row_missing_a_required_field_is_refused() -> None:
    with pytest.raises(ValueError, match="segment_name"):
        BulkEncoder(USER_SEGMENT_EXITED, source=SOURCE).encode(
            [{"user_id": "u1", "segment_id": "s1", "exited_at": AT, "reason": "sweep"}],
            workspace=None,
        )


def test_ids_are_distinct_and_workspaces_per_row() -> None:
    spaces = [uuid.uuid4(), uuid.uuid4()]
    encoded = BulkEncoder(USER_SEGMENT_EXITED, source=SOURCE).encode(
        _rows(USER_SEGMENT_EXITED, 2), workspace=spaces
    )
    assert len({event_id for event_id, _, _, _ in encoded}) == 2
    assert [json.loads(raw)["workspace"] for _, _, _, raw in encoded] == [str(s) for s in spaces]


def test_a_field_the_payload_does_not_have_is_refused() -> None:
    row = {**_rows(USER_SEGMENT_EXITED, 1)[0], "segment_size": 3}
    with pytest.raises(ValueError, match="segment_size"):
        BulkEncoder(USER_SEGMENT_EXITED, source=SOURCE).encode([row], workspace=None)


def test_fields_in_another_order_give_the_model_order() -> None:
    row = dict(reversed(list(_rows(USER_SEGMENT_EXITED, 1)[0].items())))
    ((_, _, _, raw),) = BulkEncoder(USER_SEGMENT_EXITED, source=SOURCE).encode(
        [row], workspace=None
    )
    single = make_event(
        USER_SEGMENT_EXITED, USER_SEGMENT_EXITED.payload(**row), source=SOURCE, workspace=None
    )
    assert list(json.loads(raw)["data"]) == list(USER_SEGMENT_EXITED.payload.model_fields)
    assert _masked(raw) == _masked(single.to_bytes())
