from dataclasses import replace

import pytest

from gateway.main import create_app
from gateway.proxy.routes import owner_of
from gateway.upstreams import upstream_definitions
from yunying_shared.auth import INTERNAL_TOKEN_HEADER, read_internal_token
from yunying_shared.kit import route_table
from yunying_shared.testing.apps import running


def test_route_table_is_built_from_the_installed_definitions_and_matches_whole_segments():
    table = route_table(upstream_definitions())
    assert owner_of(table, "/v1/segmentation/workspace") == "segmentation"
    assert owner_of(table, "/v1/events") == "segmentation"
    assert owner_of(table, "/v1/events/batch") == "segmentation"
    assert owner_of(table, "/v1/eventsfoo") is None
    assert owner_of(table, "/v1/content-review/items/1") == "content-review"
    assert owner_of(table, "/v1/segmentation") == "segmentation"
    assert owner_of(table, "/v1/unknown") is None


def test_a_prefix_claimed_by_two_services_is_refused():
    definitions = upstream_definitions()
    thief = replace(definitions["campaigns"], prefixes=("/v1/events",))
    with pytest.raises(ValueError, match="claimed by both"):
        route_table({**definitions, "campaigns": thief})


async def test_forwards_as_the_caller_with_an_internal_token(gateway):
    headers = await gateway.login()
    me = (await gateway.client.get("/v1/me", headers=headers)).json()
    demo = await gateway.demo_id(headers)
    response = await gateway.client.post(
        "/v1/segmentation/echo?page=2&q=%E5%BF%AB",
        content=b"hello",
        headers={
            **headers,
            "X-Request-ID": "req-123",
            "X-Correlation-ID": "corr-9",
            INTERNAL_TOKEN_HEADER: "forged",
            "X-Custom": "kept",
            "Connection": "X-Secret-Hop",
            "X-Secret-Hop": "dropped",
        },
    )
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert echoed["principal"] == {
        "subject": me["id"],
        "kind": "user",
        "workspace_id": demo,
        "roles": ["admin"],
        "scopes": [],
        "is_superuser": True,
    }
    upstream_headers = {}
    for name, value in echoed["headers"]:
        upstream_headers.setdefault(name, []).append(value)
    assert "authorization" not in upstream_headers
    assert "x-secret-hop" not in upstream_headers
    tokens = upstream_headers[INTERNAL_TOKEN_HEADER.lower()]
    assert len(tokens) == 1 and tokens[0] != "forged"
    secret = gateway.app.state.settings.internal_token_secret.get_secret_value()
    assert str(read_internal_token(tokens[0], secret=secret).workspace_id) == demo
    assert upstream_headers["x-request-id"] == ["req-123"]
    assert upstream_headers["x-correlation-id"] == ["corr-9"]
    assert upstream_headers["x-custom"] == ["kept"]
    assert echoed["query"] == "page=2&q=%E5%BF%AB"
    assert echoed["body"] == "hello"
    assert response.headers["x-request-id"] == "req-123"


async def test_streams_large_responses_back(gateway):
    headers = await gateway.login()
    async with gateway.client.stream("GET", "/v1/segmentation/export", headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        lines = [line async for line in r.aiter_lines()]
    assert len(lines) == 50_000
    assert lines[-1] == "49999,user-49999,active"


async def test_unreachable_upstream_is_503(gateway):
    headers = await gateway.login()
    response = await gateway.client.get("/v1/campaigns/anything", headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["service"] == "campaigns"
    unconfigured = await gateway.client.get("/v1/sentiment-alert/anything", headers=headers)
    assert unconfigured.status_code == 503


async def test_unreachable_network_upstream_is_503(gateway_settings, local_transport, tmp_path):
    settings = gateway_settings(upstreams={"segmentation": "http://127.0.0.1:9"})
    app = create_app(settings, transport=local_transport)
    async with running(app) as client:
        login = await client.post(
            "/v1/auth/login",
            json={
                "email": settings.admin_email,
                "password": settings.admin_password.get_secret_value(),
            },
        )
        token = login.json()["access_token"]
        response = await client.get(
            "/v1/segmentation/workspace", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_paths_are_404_and_anonymous_calls_401(gateway):
    headers = await gateway.login()
    unknown = await gateway.client.get("/v1/nothing-here", headers=headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    anonymous = await gateway.client.get("/v1/segmentation/echo")
    assert anonymous.status_code == 401
