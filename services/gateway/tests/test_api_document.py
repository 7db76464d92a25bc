"""The gateway's API document is the whole API, as frontend teams generate clients from it."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute

from gateway.main import create_app
from gateway.upstreams import upstream_definitions
from yunying_shared.kit import route_table

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app().openapi()


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_route_of_every_installed_service_is_documented(document):
    for name, definition in upstream_definitions().items():
        for router in definition.routers:
            for route in router.routes:
                if isinstance(route, APIRoute) and route.include_in_schema:
                    documented = document["paths"].get(route.path, {})
                    for method in route.methods - {"HEAD"}:
                        assert method.lower() in documented, f"{name}: {method} {route.path}"


def test_every_routed_prefix_has_documented_paths(document):
    for prefix, service in route_table(upstream_definitions()).items():
        root = prefix.rstrip("/")
        assert any(p == root or p.startswith(root + "/") for p in document["paths"]), (
            f"{service} owns {prefix} but documents nothing under it"
        )


def test_operation_ids_are_unique_and_readable(document):
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", operation_id) and "__" not in operation_id


def test_errors_are_problem_documents_and_auth_is_declared(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Problem" in schemas
    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (path, status)
        if path.startswith("/v1/auth/") and path != "/v1/auth/refresh":
            continue
        if "security" in operation:
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "X-Workspace-Id" in names, (method, path)
            assert {"401", "403", "503"} <= set(operation["responses"]), (method, path)
    login = document["paths"]["/v1/auth/login"]["post"]
    assert "security" not in login and "422" in login["responses"]


def test_services_are_grouped(document):
    groups = {group["name"] for group in document["x-tagGroups"]}
    assert groups == {"gateway", *upstream_definitions()}


async def test_docs_work_without_internet():
    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            assert "cdn" not in html.lower() and "/docs-assets/" in html
            for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', html):
                assert (await client.get(asset)).status_code == 200, asset
