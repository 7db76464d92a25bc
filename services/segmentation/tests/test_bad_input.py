"""Input that once answered 500 (issue #9) answers 4xx problem+json naming the field."""

import uuid

import pytest

from segmentation.main import create_app
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

PROBLEM = "application/problem+json"
BEYOND_INT64 = 2**63
JSON = {"content-type": "application/json"}


@pytest.fixture
async def api(dialect, tmp_path, settings_for, local_transport):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            yield client, internal_headers(app, user_principal(workspace_id, "admin"))


def fields_of(response) -> list[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    return [error["field"] for error in body.get("errors", [])]


async def test_tag_import_nested_ten_thousand_deep(api):
    client, admin = api
    body = b"[" * 10_000 + b"]" * 10_000
    response = await client.post("/v1/tags/import", content=body, headers=admin | JSON)
    assert response.status_code == 422
    assert fields_of(response) == ["body"]
    assert "deep" in response.json()["detail"]


async def test_tag_import_csv_with_invalid_utf8(api):
    client, admin = api
    body = b"user_id,tag\nu1,\xff\xfe\xfa\n"
    response = await client.post(
        "/v1/tags/import", content=body, headers=admin | {"content-type": "text/csv"}
    )
    assert response.status_code == 422
    assert fields_of(response) == ["body"]


async def test_tag_import_csv_with_an_oversized_cell(api):
    client, admin = api
    body = b"user_id,tag\n" + b"u" * 200_000 + b",t\n"
    response = await client.post(
        "/v1/tags/import", content=body, headers=admin | {"content-type": "text/csv"}
    )
    assert response.status_code == 422
    assert fields_of(response) == ["body"]


async def test_tag_import_refuses_nan_and_reports_bad_rows_alone(api):
    client, admin = api
    nan = b'[{"user_id": "u1", "tag": "vip", "confidence": NaN}]'
    refused = await client.post("/v1/tags/import", content=nan, headers=admin | JSON)
    assert refused.status_code == 422
    assert fields_of(refused) == ["body"]
    rows = (
        b'[{"user_id": "u1", "tag": "vip"}, {"user_id": "nul\\u0000", "tag": "vip"},'
        b' {"user_id": "u2", "tag": "vip", "expires_at": "9999-12-31T23:59:59-14:00"},'
        b' {"user_id": "u3", "tag": "vip", "\\ud800": 1}]'
    )
    response = await client.post("/v1/tags/import", content=rows, headers=admin | JSON)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["imported"] == 1
    assert [(r["index"], r["errors"][0]["field"]) for r in result["rejected"]] == [
        (1, "user_id"),
        (2, "expires_at"),
        (3, "<row>"),  # a key that is not a string: the row as a whole
    ]


async def test_tag_expires_at_beyond_year_9999_in_utc(api):
    client, admin = api
    response = await client.put(
        "/v1/users/u1/tags",
        json={"tag": "vip", "expires_at": "9999-12-31T23:59:59-14:00"},
        headers=admin,
    )
    assert response.status_code == 422
    assert fields_of(response) == ["body.expires_at"]


async def test_path_id_beyond_64_bits(api):
    client, admin = api
    response = await client.delete("/v1/tags/rules/99999999999999999999999", headers=admin)
    assert response.status_code == 422
    assert fields_of(response) == ["path.rule_id"]
    assert (await client.delete("/v1/tags/rules/12345", headers=admin)).status_code == 404


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "field", "field": "order_count", "operator": "gte", "value": BEYOND_INT64},
        {"type": "field", "field": "monetary_total", "operator": "gt", "value": -BEYOND_INT64 - 1},
        {
            "type": "event",
            "event_type": "purchase",
            "within_days": 7,
            "operator": "gte",
            "value": BEYOND_INT64,
        },
    ],
)
async def test_segment_rule_value_beyond_64_bits(api, rule):
    client, admin = api
    for path in ("/v1/segments", "/v1/segments/preview"):
        response = await client.post(path, json={"name": "huge", "rule": rule}, headers=admin)
        assert response.status_code == 422, response.text
        assert fields_of(response) == ["rule.value"]


async def test_tag_rule_match_properties_must_be_storable(api):
    client, admin = api
    rule = b'{"name": "n", "event_type": "purchase", "tag": "t", "match_properties": {"x": NaN}}'
    response = await client.post("/v1/tags/rules", content=rule, headers=admin | JSON)
    assert response.status_code == 422
    assert fields_of(response) == ["body.match_properties.x"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_settings_custom_edges_refuse_non_finite_numbers(api, constant):
    client, admin = api
    body = f'{{"custom_edges": {{"monetary": [1, 2, 3, {constant}]}}}}'.encode()
    response = await client.put("/v1/segmentation/settings", content=body, headers=admin | JSON)
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["body.custom_edges.monetary.3"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"extra": {"score": NaN}}', "body.extra.score"),
        (b'{"extra": {"score": Infinity}}', "body.extra.score"),
        (b'{"extra": {"note": "a\\u0000b"}}', "body.extra"),
        (b'{"region": "\\ud800"}', "body.region"),
        (b'{"identities": {"weibo_id": "w\\u0000"}}', "body.identities.weibo_id"),
    ],
)
async def test_profile_patch_refuses_what_the_database_cannot_store(api, body, field):
    client, admin = api
    response = await client.patch("/v1/users/u1", content=body, headers=admin | JSON)
    assert response.status_code == 422, response.text
    assert fields_of(response) == [field]


@pytest.mark.parametrize("path", ["/v1/users/nul%00user", "/v1/users/a%01", "/v1/users/a%7F"])
async def test_user_ids_the_database_cannot_hold_are_refused_in_paths(api, path):
    # Control characters are refused before routing (every service), naming the path.
    client, admin = api
    for method, suffix in (("GET", ""), ("GET", "/tags"), ("GET", "/rfm"), ("PATCH", "")):
        response = await client.request(method, path + suffix, headers=admin, json={})
        assert response.status_code == 400, (method, suffix, response.text)
        assert fields_of(response) == ["path"]


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        (b'{"name": "a\\u0000", "rule": {"type": "tag", "tag": "vip"}}', "body.name"),
        (b'{"name": "n", "rule": {"type": "tag", "tag": "v\\u0000"}}', "body.rule.tag.tag"),
        (
            b'{"name": "n", "rule": {"type": "event", "event_type": "\\ud800", '
            b'"within_days": 7, "operator": "gte", "value": 1}}',
            "body.rule.event.event_type",
        ),
    ],
)
async def test_segment_texts_the_database_cannot_store(api, segment, field):
    client, admin = api
    response = await client.post("/v1/segments", content=segment, headers=admin | JSON)
    assert response.status_code == 422, response.text
    assert fields_of(response) == [field]
