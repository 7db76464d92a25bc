"""The gateway's API document: its own routes and every installed service's, in one document,
so frontend teams find the whole API at `/docs` and generate one client from it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from gateway.upstreams import upstream_definitions
from yunying_shared.http.openapi import merge
from yunying_shared.kit.app import service_document


def api_document(app: FastAPI) -> dict[str, Any]:
    own = service_document(app.state.definition)
    services = {name: service_document(d) for name, d in upstream_definitions().items()}
    return merge(own, services, group="gateway")
