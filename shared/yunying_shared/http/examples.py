"""The models' examples, as written, in the API document.

FastAPI encodes its document with `exclude_none`, which also drops every null inside an
example: a nullable required field (`"closed_at": null`) loses its key, and the example no
longer validates against its own schema. The component schemas as pydantic generates them,
before that encoding, still hold the nulls; their examples are copied back over the encoded
ones. The schemas are built by the same FastAPI steps `get_openapi` takes, so their names are
the document's."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from fastapi._compat import get_definitions, get_flat_models_from_fields, get_model_name_map
from fastapi.openapi.utils import get_fields_from_routes
from starlette.routing import BaseRoute

# Keywords whose value is a schema, or a list or map of schemas.
_SUBSCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs", "patternProperties")


def restore_examples(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The document with each component schema's examples (nested ones too) as the models
    declare them, nulls included."""
    fields = get_fields_from_routes(list(routes))
    names = get_model_name_map(get_flat_models_from_fields(fields, known_models=set()))
    _, generated = get_definitions(
        fields=fields, model_name_map=names, separate_input_output_schemas=True
    )
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if name in generated:
            _copy_examples(generated[name], schema)
    return document


def _copy_examples(source: Any, target: Any) -> None:
    if not isinstance(source, dict) or not isinstance(target, dict):
        return
    if "examples" in source and "examples" in target:
        target["examples"] = copy.deepcopy(source["examples"])
    for keyword in _SUBSCHEMA:
        _copy_examples(source.get(keyword), target.get(keyword))
    for keyword in _SUBSCHEMA_LISTS:
        for pair in zip(source.get(keyword, []), target.get(keyword, []), strict=False):
            _copy_examples(*pair)
    for keyword in _SUBSCHEMA_MAPS:
        for key, branch in source.get(keyword, {}).items():
            _copy_examples(branch, target.get(keyword, {}).get(key))
