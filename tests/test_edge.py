"""Security headers, no-store, CORS for listed origins only, and the metrics scrape token."""

from __future__ import annotations

import uuid

import httpx
import pytest
from pydantic import ValidationError

from campaigns.main import create_app
from yunying_shared.settings import ServiceSettings

CONSOLE = "https://console.brand.example"


def _client(settings: ServiceSettings, client_host: str = "127.0.0.1") -> httpx.AsyncClient:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://campaigns")


async def test_every_response_carries_the_security_headers_and_no_store(settings_for):
    async with _client(settings_for("campaigns")) as client:
        for response in (
            await client.get("/healthz"),
            await client.get("/v1/campaigns/workspace"),  # 401 from the middleware
            await client.get("/nowhere"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["cache-control"] == "no-store"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        docs = await client.get("/docs")
        assert "script-src 'self'" in docs.headers["content-security-policy"]


async def test_without_configured_origins_there_is_no_cors(settings_for):
    async with _client(settings_for("campaigns")) as client:
        response = await client.get("/healthz", headers={"origin": CONSOLE})
        assert "access-control-allow-origin" not in response.headers


async def test_preflight_is_answered_before_authentication_for_listed_origins(settings_for):
    settings = settings_for("campaigns", cors_origins=[CONSOLE])
    async with _client(settings) as client:
        preflight = {
            "origin": CONSOLE,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        }
        allowed = await client.options("/v1/campaigns/workspace", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == CONSOLE
        assert allowed.headers["access-control-allow-credentials"] == "true"

        other = {**preflight, "origin": "https://evil.example"}
        refused = await client.options("/v1/campaigns/workspace", headers=other)
        assert "access-control-allow-origin" not in refused.headers

        simple = await client.get("/v1/campaigns/workspace", headers={"origin": CONSOLE})
        assert simple.status_code == 401  # CORS never stands in for authentication
        assert simple.headers["access-control-allow-origin"] == CONSOLE


@pytest.mark.parametrize("origin", ["*", "https://console.example/", "console.example", ""])
def test_only_explicit_origins_are_accepted(origin):
    with pytest.raises(ValidationError, match="cors_origins"):
        ServiceSettings(cors_origins=[origin])


async def test_metrics_need_the_scrape_token_when_one_is_set(settings_for):
    settings = settings_for("campaigns", metrics_token="scrape-" + "x" * 32)
    async with _client(settings, client_host="10.1.2.3") as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"authorization": "Bearer scrape-" + "x" * 32})
        assert right.status_code == 200 and "yunying_http_requests_total" in right.text


async def test_without_a_token_metrics_answer_loopback_clients_only(settings_for):
    async with _client(settings_for("campaigns"), client_host="10.1.2.3") as remote:
        refused = await remote.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
    async with _client(settings_for("campaigns")) as local:
        assert (await local.get("/metrics")).status_code == 200


async def test_a_missing_workspace_is_a_400_that_names_the_header(settings_for):
    from yunying_shared.testing.apps import internal_headers, running, user_principal

    app = create_app(settings_for("campaigns"))
    async with running(app) as client:
        headers = internal_headers(app, user_principal(None, "operator"))
        response = await client.get("/v1/campaigns/workspace", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/workspace_required")
    assert "X-Workspace-Id" in response.json()["detail"]


async def test_non_finite_numbers_are_refused_by_every_service(settings_for):
    from yunying_shared.testing.apps import internal_headers, running, user_principal

    app = create_app(settings_for("campaigns"))
    async with running(app) as client:
        headers = internal_headers(app, user_principal(uuid.uuid4(), "operator"))
        response = await client.post(
            "/v1/campaigns",
            content=b'{"name": "x", "budget": NaN}',
            headers={**headers, "content-type": "application/json"},
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "body" in response.text


@pytest.mark.parametrize(
    "path", ["/v1/campaigns/a%0Ab", "/v1/campaigns/a%0Db", "/v1/x%00", "/v1/%7F"]
)
async def test_control_characters_in_paths_are_a_400_before_routing(settings_for, path):
    async with _client(settings_for("campaigns")) as client:
        response = await client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "path"
