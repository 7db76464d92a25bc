"""The gateway's API document: its own routes and every installed service's, in one document,
so frontend teams find the whole API at `/docs` and generate one client from it. What the edge
adds to every operation is declared here too: the request-id header, the rate-limit headers and
429, and (for the services' routes) the 504 of an upstream that does not answer in time."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from gateway.upstreams import upstream_definitions
from yunying_shared.errors import PROBLEM_MEDIA_TYPE
from yunying_shared.http.middleware import REQUEST_ID
from yunying_shared.http.openapi import AUDITED_EXTENSION, METHODS, PROBLEM_REF, merge
from yunying_shared.kit.app import service_document

ID_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": 128,
    "pattern": f"^{REQUEST_ID.pattern}$",
}
REQUEST_ID_PARAMETER = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    "description": "Your id for this request (else one is generated); returned in the response, "
    "passed to every service and set as the `correlationid` of the events it causes. A value "
    "outside the pattern is replaced by a generated id.",
    "schema": ID_SCHEMA,
    "example": "crm-sync-2026-11-30.42",
}
INTEGER = {"schema": {"type": "integer", "minimum": 0}}
RESPONSE_HEADERS = {
    "X-Request-ID": {"description": "The request's id (yours, or generated)", "schema": ID_SCHEMA},
    "X-RateLimit-Limit": {"description": "Size of your fullest-used rate-limit bucket", **INTEGER},
    "X-RateLimit-Remaining": {"description": "Requests left in that bucket now", **INTEGER},
    "X-RateLimit-Reset": {"description": "Seconds until that bucket is full again", **INTEGER},
}
AUDITED_NOTE = (
    "\n\nA workspace setting: each successful call is recorded in the audit log as "
    "`setting.changed` (who, which operation and path; not the body), readable at "
    "`GET /v1/workspaces/{workspace_id}/audit`."
)
RETRY_AFTER = {"description": "Seconds to wait before sending again", **INTEGER}
ERRORS = {
    "429": "Rate limit exhausted (`limit`: api_key, user or address); retry after `Retry-After`",
    "503": "A dependency is unavailable, or this service's circuit is open (`circuit`: open); "
    "retry after `Retry-After`",
    "504": "The service owning this route did not answer in time",
}


def api_document(app: FastAPI) -> dict[str, Any]:
    own = service_document(app.state.definition)
    services = {name: service_document(d) for name, d in upstream_definitions().items()}
    return declare_edge(merge(own, services, group="gateway"), own_paths=set(own["paths"]))


def declare_edge(document: dict[str, Any], *, own_paths: set[str]) -> dict[str, Any]:
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if operation.get(AUDITED_EXTENSION):
                operation["description"] = (
                    operation.get("description", "") + AUDITED_NOTE
                ).lstrip()
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "X-Request-ID" for p in parameters):
                parameters.append(dict(REQUEST_ID_PARAMETER))
            responses = operation.setdefault("responses", {})
            statuses = ["429", "503"] + ([] if path in own_paths else ["504"])
            for status in statuses:
                responses.setdefault(
                    status,
                    {
                        "description": ERRORS[status],
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
                    },
                )
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                headers.update(RESPONSE_HEADERS)
                if status in ("429", "503"):
                    headers["Retry-After"] = RETRY_AFTER
    return document
