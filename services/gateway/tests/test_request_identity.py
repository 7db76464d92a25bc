"""X-Request-ID: the caller's when acceptable, generated otherwise, returned on the response and
passed to the service that handles the request."""

from __future__ import annotations

import re

import pytest

GENERATED = re.compile(r"[0-9a-f]{32}")


def _upstream_headers(response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.json()["headers"]}


async def test_an_acceptable_request_id_is_kept_returned_and_passed_on(gateway_with):
    async with gateway_with() as gateway:
        admin = await gateway.login()
        response = await gateway.client.get(
            "/v1/segmentation/echo",
            headers={**admin, "X-Request-ID": "crm-2026.11:Ab_9-z"},
        )
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "crm-2026.11:Ab_9-z"
        assert response.headers["x-correlation-id"] == "crm-2026.11:Ab_9-z"
        upstream = _upstream_headers(response)
        assert upstream["x-request-id"] == "crm-2026.11:Ab_9-z"
        assert upstream["x-correlation-id"] == "crm-2026.11:Ab_9-z"


@pytest.mark.parametrize(
    "sent",
    [
        "a" * 129,  # too long
        "has space",
        'quote"d',
        "-leading-dash",
        "换行",
    ],
)
async def test_an_unacceptable_request_id_is_replaced_everywhere(gateway_with, sent):
    async with gateway_with() as gateway:
        admin = await gateway.login()
        response = await gateway.client.get(
            "/v1/segmentation/echo",
            headers={**admin, "X-Request-ID": sent.encode()},
        )
        assert response.status_code == 200
        generated = response.headers["x-request-id"]
        assert GENERATED.fullmatch(generated), generated
        upstream = _upstream_headers(response)
        assert upstream["x-request-id"] == generated
        assert upstream["x-correlation-id"] == generated


async def test_without_a_request_id_one_is_generated_and_a_correlation_id_is_kept(gateway_with):
    async with gateway_with() as gateway:
        admin = await gateway.login()
        response = await gateway.client.get(
            "/v1/segmentation/echo", headers={**admin, "X-Correlation-ID": "journey-77"}
        )
        generated = response.headers["x-request-id"]
        assert GENERATED.fullmatch(generated)
        assert response.headers["x-correlation-id"] == "journey-77"
        upstream = _upstream_headers(response)
        assert (upstream["x-request-id"], upstream["x-correlation-id"]) == (generated, "journey-77")
        # Each request gets its own id.
        other = await gateway.client.get("/v1/segmentation/echo", headers=admin)
        assert other.headers["x-request-id"] != generated


def test_the_api_document_declares_the_edge_on_every_operation():
    from gateway.apidoc import declare_edge
    from gateway.main import DEFINITION
    from yunying_shared.kit.app import service_document

    own = service_document(DEFINITION)
    document = {
        **own,
        "paths": {**own["paths"], "/v1/segments": {"get": {"responses": {"200": {}}}}},
    }
    declared = declare_edge(document, own_paths=set(own["paths"]))
    login = declared["paths"]["/v1/auth/login"]["post"]
    segments = declared["paths"]["/v1/segments"]["get"]
    for operation in (login, segments):
        (request_id,) = [p for p in operation["parameters"] if p["name"] == "X-Request-ID"]
        assert request_id["schema"]["maxLength"] == 128
        assert "429" in operation["responses"]
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        assert "X-RateLimit-Remaining" in operation["responses"]["200"]["headers"]
    # Only the services' routes can time out upstream.
    assert "504" in segments["responses"] and "504" not in login["responses"]
