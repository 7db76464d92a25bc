"""The API document as frontend teams use it: every error as problem+json, security schemes,
the workspace header, readable operationIds; and the gateway's one document merging every
installed service's.

FastAPI's own document declares `HTTPValidationError` for 422 and nothing for the errors the
middleware and domain exceptions answer; clients generated from it could not read our errors.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.routing import APIRoute

from yunying_shared.auth.access import Access
from yunying_shared.errors import PROBLEM_MEDIA_TYPE

PROBLEM = "Problem"
PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM}"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM,
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each invalid field.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": "Stable per kind of problem; its last segment is a code to branch on",
        },
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "examples": ["body.items.3.occurred_at"]},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
    "examples": [
        {
            "type": "https://yunying.dev/problems/invalid_input",
            "title": "Invalid input",
            "status": 422,
            "detail": "Invalid fields: body.name",
            "instance": "/v1/segments",
            "errors": [{"field": "body.name", "message": "Field required", "type": "missing"}],
        }
    ],
}
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A user's access token from `POST /v1/auth/login`.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A machine client's key from `POST /v1/workspaces/{id}/api-keys`.",
    },
}
WORKSPACE_HEADER = {
    "name": "X-Workspace-Id",
    "in": "header",
    "required": False,
    "description": "The workspace a user acts in; optional when they belong to exactly one. "
    "API keys are bound to theirs.",
    "schema": {"type": "string", "format": "uuid"},
}
ERROR_DESCRIPTIONS = {
    400: "Bad request: a malformed path, or no workspace selected (send `X-Workspace-Id`)",
    401: "Not authenticated",
    403: "Authenticated, but not allowed (role or API-key scope)",
    404: "Not found, or not in the caller's workspace",
    405: "Method not allowed (the `Allow` header lists the methods)",
    409: "Conflicts with the current state",
    413: "Body larger than the server accepts",
    422: "Invalid input; `errors` names each field",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "A dependency is unavailable; retry later",
}
# Marks a workspace setting kept by a service (`openapi_extra=AUDITED` on its route): the gateway
# records every successful call of it in the audit log (`setting.changed`).
AUDITED_EXTENSION = "x-yunying-audited"
AUDITED: dict[str, Any] = {AUDITED_EXTENSION: True}
INTERNAL_PATHS = ("/healthz", "/readyz", "/metrics")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operation_id(route: APIRoute) -> str:
    """The endpoint function's name (`list_segments`), unique across the merged document."""
    return route.name


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }


def _error_statuses(path: str, operation: dict[str, Any], *, public: bool) -> list[int]:
    statuses = [503]
    if not public:
        statuses += [401, 403]
    if "{" in path or not public:
        # The gateway refuses control characters and dot segments in ids; a caller in several
        # workspaces who names none is told to send X-Workspace-Id.
        statuses.append(400)
    if "{" in path or not public:
        statuses.append(404)  # a path id, or the caller's workspace, may not exist
    if operation.get("parameters") or "requestBody" in operation:
        statuses.append(422)
    if "requestBody" in operation:
        statuses.append(413)
    return statuses


def normalise(
    document: dict[str, Any],
    *,
    public_paths: Sequence[str] = (),
    access: Mapping[tuple[str, str], Access] | None = None,
) -> dict[str, Any]:
    """Declares the errors every operation can answer as problem+json, the security schemes and
    the workspace header; drops internal probes."""
    document = copy.deepcopy(document)
    paths: dict[str, Any] = document.get("paths", {})
    for internal in INTERNAL_PATHS:
        paths.pop(internal, None)
    for path, item in paths.items():
        public = path in public_paths
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, operation, public=public):
                responses[str(status)] = _problem(status)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
                    response.setdefault("description", ERROR_DESCRIPTIONS.get(int(status), "Error"))
            if not public:
                declared = (access or {}).get((path, method))
                _declare_access(operation, declared)
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == WORKSPACE_HEADER["name"] for p in parameters):
                    parameters.append(dict(WORKSPACE_HEADER))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas[PROBLEM] = PROBLEM_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    return document


def _declare_access(operation: dict[str, Any], declared: Access | None) -> None:
    """Security per operation from the route's `authorize(...)`: API keys only where it lists
    scopes; who may call it in `x-yunying-access` and in the description."""
    if declared is None:
        operation["security"] = [{"bearer": []}]
        return
    roles, scopes = sorted(declared.roles), sorted(declared.scopes)
    operation["security"] = [{"bearer": []}, *([{"apiKey": []}] if scopes else [])]
    operation["x-yunying-access"] = {"roles": roles, "scopes": scopes}
    who = f"Roles: {', '.join(roles)}." + (
        f" API keys with: {', '.join(scopes)}." if scopes else " Not open to API keys."
    )
    description = operation.get("description", "")
    operation["description"] = f"{description}\n\n**Access.** {who}".strip()


def merge(
    gateway: dict[str, Any], services: Mapping[str, dict[str, Any]], *, group: str
) -> dict[str, Any]:
    """One document: the gateway's paths and every service's, grouped by service (ReDoc's
    `x-tagGroups`). A service's operationIds are qualified by the service (`segmentation_
    list_segments`), and a schema whose name another service uses for a different shape is
    renamed with the service's name (`ContentReviewBatchResult`), so services may name things
    alike. A path claimed twice is an error: a generated client would silently lose one."""
    shapes: dict[str, set[str]] = {}
    for document in (gateway, *services.values()):
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            shapes.setdefault(name, set()).add(json.dumps(schema, sort_keys=True))
    # Renamed in every service that has one, whatever the install order: names stay stable.
    clashing = {name for name, variants in shapes.items() if len(variants) > 1}
    merged = _qualified(gateway, "gateway", clashing, operation_ids=False)
    paths = merged.setdefault("paths", {})
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    tags = {tag["name"]: tag for tag in merged.get("tags", [])}
    groups = [{"name": group, "tags": sorted(_tags_of(merged))}]
    operation_ids = {_op_id(op): path for path, op in _operations(gateway)}
    for service, document in services.items():
        document = _qualified(document, service, clashing)
        for path, item in document.get("paths", {}).items():
            if path in paths:
                raise ValueError(f"{path} is documented by the gateway and {service}")
            paths[path] = item
        for path, operation in _operations(document):
            claimed = operation_ids.setdefault(_op_id(operation), path)
            if claimed != path:
                raise ValueError(f"operationId {_op_id(operation)} on {claimed} and {path}")
        schemas.update(document.get("components", {}).get("schemas", {}))
        for tag in document.get("tags", []):
            tags.setdefault(tag["name"], tag)
        groups.append({"name": service, "tags": sorted(_tags_of(document))})
    merged["tags"] = list(tags.values())
    merged["x-tagGroups"] = groups
    _titled_by_name(schemas)
    return merged


def _titled_by_name(schemas: dict[str, Any]) -> None:
    """Each schema's title becomes its name in the document. Client generators name classes
    by title: a renamed schema (`SegmentationItemResult`) keeping its model's title
    (`ItemResult`) would clash with another service's, and the generator drops both."""
    for name, schema in schemas.items():
        if isinstance(schema, dict) and "title" in schema:
            schema["title"] = name


def _qualified(
    document: dict[str, Any], service: str, clashing: set[str], *, operation_ids: bool = True
) -> dict[str, Any]:
    """The document with its clashing schema names prefixed by the service (`ContentReview…`)
    and, unless told otherwise, its operationIds too (`content_review_…`)."""
    renamed = clashing & set(document.get("components", {}).get("schemas", {}))
    camel = "".join(part.title() for part in service.split("-"))
    text = json.dumps(document)
    for name in renamed:
        text = text.replace(
            f'"#/components/schemas/{name}"', f'"#/components/schemas/{camel}{name}"'
        )
    qualified: dict[str, Any] = json.loads(text)
    schemas = qualified.get("components", {}).get("schemas", {})
    for name in renamed:
        schemas[f"{camel}{name}"] = schemas.pop(name)
    if operation_ids:
        prefix = service.replace("-", "_")
        for _, operation in _operations(qualified):
            if "operationId" in operation:
                operation["operationId"] = f"{prefix}_{operation['operationId']}"
    return qualified


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, item[method])
        for path, item in document.get("paths", {}).items()
        for method in METHODS
        if method in item
    ]


def _op_id(operation: dict[str, Any]) -> str:
    return str(operation.get("operationId", ""))


def _tags_of(document: dict[str, Any]) -> set[str]:
    return {tag for _, op in _operations(document) for tag in op.get("tags", [])}
