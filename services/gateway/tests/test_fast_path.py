"""The forwarding route in front of FastAPI's router claims exactly what the catch-all would
forward, and the route table's lookup answers as the prefix scan it replaced."""

from typing import Any

import pytest
from prometheus_client import REGISTRY
from starlette.routing import Match

from gateway.proxy.fast_path import ForwardingRoute
from gateway.proxy.routes import Owners
from gateway.upstreams import upstream_definitions
from yunying_shared.kit import route_table


def _scanned_owner(table: dict[str, str], path: str) -> str | None:
    """The definition the lookup must keep: longest prefix matching whole segments."""
    best: tuple[int, str] | None = None
    for prefix, service in table.items():
        root = prefix.rstrip("/")
        if (path == root or path.startswith(root + "/")) and (best is None or len(root) > best[0]):
            best = (len(root), service)
    return best[1] if best else None


@pytest.mark.parametrize(
    "path",
    [
        "/v1/events",
        "/v1/events/",
        "/v1/events/batch",
        "/v1/eventsfoo",
        "/v1/segmentation",
        "/v1/segmentation/workspace",
        "/v1/content-review/items/1",
        "/v1/unknown/x",
        "/v1//events",
        "/v1",
        "/",
        "",
        "/v2/events",
        "/v1/nested/deeper",
        "/v1/nested/deeper/still",
        "/v1/nested",
    ],
)
def test_lookup_answers_as_the_prefix_scan(path):
    # A two-segment prefix under a one-segment one: the longer wins where both match.
    table = {**route_table(upstream_definitions()), "/v1/nested/deeper": "x", "/v1/nested": "y"}
    assert Owners(table).of(path) == _scanned_owner(table, path)


def _scope(app: Any, method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "app": app}


async def test_claims_owned_paths_only_and_passes_them_as_the_catch_all(gateway):
    first = gateway.app.router.routes[0]
    assert isinstance(first, ForwardingRoute)
    match, child = first.matches(_scope(gateway.app, "GET", "/v1/segmentation/workspace"))
    assert match is Match.FULL
    assert child["route"].path == "/v1/{path:path}"
    assert child["path_params"] == {"path": "segmentation/workspace"}
    for method, path in [
        ("GET", "/v1/workspaces"),  # the gateway's own
        ("GET", "/v1/nothing-here"),  # nobody's: the catch-all answers 404
        ("TRACE", "/v1/events"),  # a method the catch-all refuses: 405 as before
        ("GET", "/healthz"),
    ]:
        assert first.matches(_scope(gateway.app, method, path))[0] is Match.NONE, (method, path)


async def test_forwarded_requests_are_counted_under_the_catch_all_route(gateway):
    def counted() -> float:
        labels = {
            "service": "gateway",
            "method": "GET",
            "route": "/v1/{path:path}",
            "status": "200",
        }
        found = REGISTRY.get_sample_value("yunying_http_requests_total", labels)
        return found or 0.0

    headers = await gateway.login()
    before = counted()
    response = await gateway.client.get("/v1/segmentation/echo", headers=headers)
    assert response.status_code == 200, response.text
    assert counted() == before + 1


async def test_unauthenticated_forwarding_is_refused_before_the_fast_path(gateway):
    response = await gateway.client.get("/v1/segmentation/workspace")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
