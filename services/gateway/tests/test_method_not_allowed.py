"""405 with an `Allow` header listing every method the path answers, on the gateway's own
paths (`/v1/…` ones too, though the proxy's catch-all route also matches them) and its docs."""

import pytest

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/workspaces", {"GET", "POST"}),
        ("DELETE", "/v1/auth/login", {"POST"}),
        ("POST", "/openapi.json", {"GET"}),
        ("PATCH", "/docs", {"GET"}),
    ],
)
async def test_gateway_paths_answer_405_with_allow(gateway, method, path, allowed):
    headers = await gateway.login()
    response = await gateway.client.request(method, path, headers=headers)
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == PROBLEM
    assert set(response.headers["allow"].split(", ")) >= allowed
    assert set(response.headers["allow"].split(", ")) <= allowed | {"HEAD"}
    assert response.json()["status"] == 405


async def test_a_v1_path_nobody_owns_is_still_404(gateway):
    headers = await gateway.login()
    response = await gateway.client.put("/v1/nothing-here", headers=headers)
    assert response.status_code == 404
