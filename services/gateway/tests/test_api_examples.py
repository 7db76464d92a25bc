"""Every JSON request body and every JSON 2xx answer of the merged API document shows an example,
and every example in the document is valid against its own schema. The examples live on the
pydantic models (`json_schema_extra`, `Field(examples=...)`), so a model changed without its
example fails here. `tests/scenarios/test_api_examples_embedded.py` sends the request examples
to the embedded mode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import jsonschema_rs
import pytest

from gateway.main import create_app

METHODS = ("get", "put", "post", "delete", "patch")
JSON = "application/json"
# Keywords whose value is a schema, or a list or map of schemas: where nested examples sit.
SUBSCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames")
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SUBSCHEMA_MAPS = ("properties", "$defs", "patternProperties")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _shows_example(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The schema has an example of its own, or is made only of schemas that do: a list of
    examples items, an optional body (`anyOf` with null) or a choice of shapes each exampled.
    Swagger UI and ReDoc render those as the example of the whole."""
    schema = _resolve(document, schema)
    if schema.get("examples"):
        return True
    branches = [b for b in schema.get("anyOf", schema.get("oneOf", [])) if b.get("type") != "null"]
    if branches:
        return all(_shows_example(document, b) for b in branches)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _shows_example(document, schema["items"])
    return False


def _json_media(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, media object) of every JSON request body and JSON 2xx answer."""
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get(JSON)
            if body is not None:
                yield f"{method.upper()} {path} request", body
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get(JSON)
                if status.startswith("2") and media is not None:
                    yield f"{method.upper()} {path} {status}", media


def _examples_in(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example anywhere inside a schema."""
    if not isinstance(schema, dict):
        return
    for example in schema.get("examples", []) if isinstance(schema.get("examples"), list) else []:
        yield where, schema, example
    for keyword in SUBSCHEMA:
        yield from _examples_in(schema.get(keyword), f"{where}.{keyword}")
    for keyword in SUBSCHEMA_LISTS:
        for index, branch in enumerate(schema.get(keyword, [])):
            yield from _examples_in(branch, f"{where}.{keyword}[{index}]")
    for keyword in SUBSCHEMA_MAPS:
        for name, branch in schema.get(keyword, {}).items():
            yield from _examples_in(branch, f"{where}.{name}")


def _local_time(value: str) -> bool:
    """`format: time` as pydantic reads it: an offset is optional (RFC 3339 requires one)."""
    try:
        time.fromisoformat(value)
    except ValueError:
        return False
    return True


def _errors(document: dict[str, Any], schema: dict[str, Any], example: Any) -> list[str]:
    # The schema is checked with the document's components beside it, so `#/components/...`
    # references resolve; formats (uuid, date-time, date, time) are checked too.
    rooted = {**schema, "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(
        rooted, validate_formats=True, formats={"time": _local_time}
    )
    return [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(example)]


def test_every_json_body_and_2xx_answer_shows_an_example(document):
    missing = [
        where
        for where, media in _json_media(document)
        if not _shows_example(document, media.get("schema", {}))
        and "example" not in media
        and "examples" not in media
    ]
    assert missing == []


def test_problem_answers_keep_the_one_shared_example(document):
    problem = document["components"]["schemas"]["Problem"]
    assert len(problem["examples"]) == 1 and problem["examples"][0]["status"] == 422


def test_every_example_in_the_document_is_valid_against_its_schema(document):
    checked, invalid = 0, {}
    for name, schema in document["components"]["schemas"].items():
        for where, owner, example in _examples_in(schema, name):
            checked += 1
            if errors := _errors(document, owner, example):
                invalid[where] = errors
    for where, media in _json_media(document):
        listed = [e["value"] for e in media.get("examples", {}).values()]
        for example in listed + ([media["example"]] if "example" in media else []):
            checked += 1
            if errors := _errors(document, media["schema"], example):
                invalid[where] = errors
    assert invalid == {}
    assert checked > 200  # the walk reached the models' examples, not just a few


def test_an_example_that_breaks_its_schema_is_caught(document):
    """The check itself: a campaign example with a wrong state, a missing field and a bad id."""
    campaign = _resolve(document, {"$ref": "#/components/schemas/CampaignOut"})
    broken = {**campaign["examples"][0], "state": "exploded", "id": "not-a-uuid"}
    del broken["name"]
    errors = " ".join(_errors(document, campaign, broken))
    assert "exploded" in errors and "not-a-uuid" in errors and "name" in errors
