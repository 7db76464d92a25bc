"""`GET /v1/users`: id prefix (literal `%` and `_`), stage, tier and tag filters, one cursor
envelope, on both dialects."""

import uuid

import pytest

from segmentation.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running, user_principal


@pytest.fixture
async def api(database, settings_for, local_transport, crm_event):
    app = create_app(settings_for("segmentation", database.url), transport=local_transport)
    workspace_id = uuid.uuid4()
    async with running(app) as client:
        crm = internal_headers(
            app,
            Principal(
                subject="crm",
                kind="api_key",
                workspace_id=workspace_id,
                scopes=frozenset({"events:write"}),
            ),
        )
        ids = [f"u-{n:02d}" for n in range(12)] + ["u_%x", "u-%y", "v-1", "用户-甲"]
        events = [crm_event(user_id, "login") for user_id in ids]
        events += [crm_event(u, "purchase", amount=99) for u in ("u-01", "u-03")]
        response = await client.post("/v1/events", json={"events": events}, headers=crm)
        assert response.json()["accepted"] == len(events), response.text
        headers = internal_headers(app, user_principal(workspace_id, "analyst"))
        operator = internal_headers(app, user_principal(workspace_id, "operator"))
        yield client, headers, operator, ids


async def _all(client, headers, **params) -> list[str]:
    found: list[str] = []
    cursor = None
    for _ in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/users", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        found += [item["user_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("pages never ended")


async def test_pages_walk_every_user_in_id_order(api):
    client, headers, _, ids = api
    first = (await client.get("/v1/users", params={"limit": 5}, headers=headers)).json()
    assert len(first["items"]) == 5 and first["next_cursor"]
    assert await _all(client, headers, limit=5) == sorted(ids)


async def test_id_prefix_is_literal(api):
    client, headers, _, _ = api
    assert await _all(client, headers, q="u-0", limit=3) == [f"u-{n:02d}" for n in range(10)]
    assert await _all(client, headers, q="u_") == ["u_%x"]  # `_` is no wildcard
    assert await _all(client, headers, q="u-%") == ["u-%y"]
    assert await _all(client, headers, q="用户") == ["用户-甲"]


async def test_stage_tier_and_tag_filters_combine(api):
    client, headers, operator, _ = api
    everyone = (await client.get("/v1/users", params={"limit": 200}, headers=headers)).json()
    stages = {p["user_id"]: p["stage"] for p in everyone["items"]}
    tiers = {p["user_id"]: p["tier"] for p in everyone["items"]}
    # Buyers and login-only users are in different stages, so the filter has something to drop.
    buyer_stage = stages["u-01"]
    assert stages["u-00"] != buyer_stage
    assert await _all(client, headers, stage=buyer_stage) == ["u-01", "u-03"]
    for user_id in ("u-03", "u-05"):
        tagged = await client.put(
            f"/v1/users/{user_id}/tags", headers=operator, json={"tag": "职场妈妈"}
        )
        assert tagged.status_code == 200, tagged.text
    assert await _all(client, headers, tag="职场妈妈") == ["u-03", "u-05"]
    assert await _all(client, headers, tag="职场妈妈", stage=buyer_stage) == ["u-03"]
    assert await _all(client, headers, stage=stages["u-00"], q="u-0", limit=2) == [
        f"u-{n:02d}" for n in range(10) if n not in (1, 3)
    ]
    for tier in {t for t in tiers.values() if t is not None}:
        expected = sorted(u for u, t in tiers.items() if t == tier)
        assert await _all(client, headers, tier=tier) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stage": "sleeping"}, "query.stage"),
        ({"tier": "vip"}, "query.tier"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "201"}, "query.limit"),
        ({"cursor": "bm9wZQ"}, "query.cursor"),
        ({"q": "a\x00b"}, "query.q"),
        ({"q": "x" * 129}, "query.q"),
    ],
)
async def test_bad_filters_answer_422_naming_the_parameter(api, params, field):
    client, headers, _, _ = api
    response = await client.get("/v1/users", params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_the_document_declares_the_filters(api):
    client, _, _, _ = api
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/users"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"q", "stage", "tier", "tag", "limit", "cursor"} <= set(parameters)
    assert parameters["limit"]["schema"]["maximum"] == 200


async def test_tag_and_tag_rule_lists_page_and_filter(api):
    client, headers, operator, _ = api
    for tag, kind in (("b-tag", "need"), ("a-tag", "attribute"), ("c-tag", "attribute")):
        put = await client.put(
            "/v1/users/u-07/tags", headers=operator, json={"tag": tag, "kind": kind}
        )
        assert put.status_code == 200, put.text
    first = (await client.get("/v1/users/u-07/tags", params={"limit": 2}, headers=headers)).json()
    assert [t["tag"] for t in first["items"]] == ["a-tag", "b-tag"]
    rest = await client.get(
        "/v1/users/u-07/tags", params={"cursor": first["next_cursor"]}, headers=headers
    )
    assert [t["tag"] for t in rest.json()["items"]] == ["c-tag"]
    assert rest.json()["next_cursor"] is None
    kinds = await client.get("/v1/users/u-07/tags", params={"kind": "attribute"}, headers=headers)
    assert [t["tag"] for t in kinds.json()["items"]] == ["a-tag", "c-tag"]
    bad_kind = await client.get("/v1/users/u-07/tags", params={"kind": "mood"}, headers=headers)
    assert bad_kind.status_code == 422

    for event_type in ("purchase", "login", "purchase"):
        created = await client.post(
            "/v1/tags/rules",
            headers=operator,
            json={"name": f"on {event_type}", "event_type": event_type, "tag": f"{event_type}-er"},
        )
        assert created.status_code == 201, created.text
    rules = await _all_rules(client, headers, limit=1)
    assert [r["event_type"] for r in rules] == ["purchase", "login", "purchase"]
    purchases = await _all_rules(client, headers, event_type="purchase")
    assert [r["tag"] for r in purchases] == ["purchase-er", "purchase-er"]


async def _all_rules(client, headers, **params) -> list[dict]:
    found: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/v1/tags/rules", params=query, headers=headers)).json()
        found += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found
