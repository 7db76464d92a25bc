"""GET /v1/dashboard at the gateway alone (figures over real services: tests/scenarios):
who may read it, the range it accepts, a section per upstream whatever state each is in, and
what the API document says of every figure."""

import pytest

from gateway.main import DEFINITION
from yunying_shared.kit.app import service_document

RANGE = {"from": "2026-11-01", "to": "2026-11-30"}
SECTIONS = (
    "awareness",
    "conversion",
    "retention",
    "fission",
    "lifecycle",
    "crises",
    "review_queue",
)


async def _member(gateway, admin, demo, role):
    email = f"{role}@brand.example"
    password = f"{role}-desk-passw0rd-7"
    added = await gateway.client.post(
        f"/v1/workspaces/{demo}/members",
        headers=admin,
        json={"email": email, "password": password, "role": role},
    )
    assert added.status_code == 201, added.text
    return await gateway.login(email, password)


async def test_every_section_reports_its_upstream_state(gateway):
    admin = await gateway.login()
    response = await gateway.client.get("/v1/dashboard", headers=admin, params=RANGE)
    assert response.status_code == 200, response.text
    board = response.json()
    assert board["complete"] is False and board["cached"] is False
    statuses = {name: (board[name]["status"], board[name]["source"]) for name in SECTIONS}
    assert statuses == {
        # campaigns' process is gone (connection refused)
        "awareness": ("unavailable", "campaigns"),
        "conversion": ("unavailable", "campaigns"),
        "fission": ("unavailable", "campaigns"),
        # this segmentation has no population routes: it answers 404
        "retention": ("unavailable", "segmentation"),
        "lifecycle": ("unavailable", "segmentation"),
        # not configured in this gateway at all
        "crises": ("unavailable", "sentiment-alert"),
        "review_queue": ("unavailable", "content-review"),
    }
    assert all(board[name]["data"] is None for name in SECTIONS)
    assert board["awareness"]["detail"] == "unreachable"
    assert board["retention"]["detail"].startswith("population/repurchase: answered HTTP 404")
    assert board["crises"]["detail"] == "not configured in this gateway"
    # A partial answer is computed again at each request, never cached.
    again = (await gateway.client.get("/v1/dashboard", headers=admin, params=RANGE)).json()
    assert again["cached"] is False


async def test_who_may_read_it_and_the_range(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    reviewer = await _member(gateway, admin, demo, "reviewer")
    analyst = await _member(gateway, admin, demo, "analyst")
    assert (
        await gateway.client.get("/v1/dashboard", headers=analyst, params=RANGE)
    ).status_code == 200
    refused = await gateway.client.get("/v1/dashboard", headers=reviewer, params=RANGE)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await gateway.client.get("/v1/dashboard", params=RANGE)).status_code == 401

    created = await gateway.client.post(
        f"/v1/workspaces/{demo}/api-keys",
        headers=admin,
        json={"name": "BI", "scopes": ["segments:read"]},
    )
    key = {"X-API-Key": created.json()["key"]}
    assert (await gateway.client.get("/v1/dashboard", headers=key, params=RANGE)).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, "query.to"),
        ({"from": "2025-01-01", "to": "2026-11-30"}, "query.to"),
        ({"from": "2026-11-01"}, "query.to"),
        ({"from": "yesterday", "to": "2026-11-30"}, "query.from"),
    ],
)
async def test_a_bad_range_names_the_field(gateway, params, field):
    admin = await gateway.login()
    response = await gateway.client.get("/v1/dashboard", headers=admin, params=params)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


def test_the_api_document_defines_every_figure():
    document = service_document(DEFINITION)  # the gateway's part of the merged document
    operation = document["paths"]["/v1/dashboard"]["get"]
    assert "cached per workspace" in operation["description"].replace("\n", " ")
    schema = document["components"]["schemas"]["Dashboard"]["properties"]
    for figure in (
        "ctr",
        "reach",
        "first_order_conversion_rate",
        "repurchase_rate",
        "churn_rate",
        "active_users",
        "share_rate",
        "referral_signups",
        "k_factor",
    ):
        assert any(f"`{figure}`" in schema[name].get("description", "") for name in SECTIONS), (
            figure
        )
