import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from segmentation.main import create_app
from segmentation.segments import export
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.bus import wait_until
from yunying_shared.testing.databases import fresh_database

VIEWERS = {
    "type": "event",
    "event_type": "product_view",
    "within_days": 7,
    "operator": "gte",
    "value": 3,
}


@pytest.fixture
async def api(dialect, tmp_path, settings_for, local_transport):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:

            def headers(role):
                return internal_headers(app, user_principal(workspace_id, role))

            yield client, headers


def _event(user_id, type="product_view", minutes_ago=1):
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "event_id": uuid.uuid4().hex,
        "user_id": user_id,
        "type": type,
        "occurred_at": at.isoformat(),
    }


async def _ingest(client, headers, *events):
    response = await client.post(
        "/v1/events", json={"events": list(events)}, headers=headers("operator")
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(events)


async def test_ingestion_moves_users_into_a_live_segment_once(api, local_transport):
    client, headers = api
    created = await client.post(
        "/v1/segments", headers=headers("operator"), json={"name": "hot viewers", "rule": VIEWERS}
    )
    assert created.status_code == 201, created.text
    segment_id = created.json()["id"]
    assert created.json()["member_count"] == 0 and created.json()["time_dependent"]

    await _ingest(client, headers, _event("u1"), _event("u1"), _event("u2"))
    await _ingest(client, headers, _event("u1"))  # third view: u1 enters
    await _ingest(client, headers, _event("u1"))  # fourth: already a member, nothing new

    async def entered():
        return [
            m
            for m in await local_transport.read_all("segmentation.user.v1")
            if b"segment_entered" in m.value
        ]

    assert await wait_until(lambda: _has(entered), timeout=10)
    messages = await entered()
    assert len(messages) == 1 and messages[0].key == b"u1"
    segment = (await client.get(f"/v1/segments/{segment_id}", headers=headers("analyst"))).json()
    assert segment["member_count"] == 1


async def _has(read):
    return bool(await read())


async def test_invalid_rule_is_rejected_with_its_path(api):
    client, headers = api
    rule = {
        "type": "and",
        "rules": [
            {"type": "field", "field": "stage", "operator": "eq", "value": "active"},
            {
                "type": "not",
                "rule": {"type": "field", "field": "shoe_size", "operator": "eq", "value": 1},
            },
        ],
    }
    for path in ("/v1/segments", "/v1/segments/preview"):
        response = await client.post(
            path, headers=headers("operator"), json={"name": "bad", "rule": rule}
        )
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["errors"][0]["field"] == "rule.rules.1.rule.field"
        assert body["detail"].startswith("rule.rules.1.rule.field: unknown field 'shoe_size'")
    listed = await client.get("/v1/segments", headers=headers("analyst"))
    assert listed.json() == {"items": [], "next_cursor": None}


async def test_segment_list_pages_in_name_order_with_filters(api):
    client, headers = api
    names = ["b 回购/2", "a 新客", "c 100%", "a 新客 2", "d 沉睡"]
    for n, name in enumerate(names):
        created = await client.post(
            "/v1/segments",
            headers=headers("operator"),
            json={"name": name, "rule": VIEWERS, "live": n % 2 == 0},
        )
        assert created.status_code == 201, created.text
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/segments", params=params, headers=headers("analyst"))).json()
        assert len(page["items"]) <= 2
        seen += [s["name"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(names)
    found = await client.get("/v1/segments", params={"q": "新客"}, headers=headers("analyst"))
    assert [s["name"] for s in found.json()["items"]] == ["a 新客", "a 新客 2"]
    literal = await client.get("/v1/segments", params={"q": "0%"}, headers=headers("analyst"))
    assert [s["name"] for s in literal.json()["items"]] == ["c 100%"]
    live = await client.get("/v1/segments", params={"live": "true"}, headers=headers("analyst"))
    assert {s["name"] for s in live.json()["items"]} == {"b 回购/2", "c 100%", "d 沉睡"}
    bad = await client.get("/v1/segments", params={"cursor": "e30"}, headers=headers("analyst"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.cursor"


async def test_analysts_read_operators_write(api):
    client, headers = api
    denied = await client.post(
        "/v1/segments", headers=headers("analyst"), json={"name": "x", "rule": VIEWERS}
    )
    assert denied.status_code == 403
    assert (
        await client.post(
            "/v1/segments/preview", headers=headers("analyst"), json={"rule": VIEWERS}
        )
    ).json()["size"] == 0
    created = await client.post(
        "/v1/segments", headers=headers("operator"), json={"name": "x", "rule": VIEWERS}
    )
    segment_id = created.json()["id"]
    duplicate = await client.post(
        "/v1/segments", headers=headers("operator"), json={"name": "x", "rule": VIEWERS}
    )
    assert duplicate.status_code == 409
    assert (
        await client.delete(f"/v1/segments/{segment_id}", headers=headers("analyst"))
    ).status_code == 403
    renamed = await client.patch(
        f"/v1/segments/{segment_id}", headers=headers("operator"), json={"name": "y"}
    )
    assert renamed.json()["name"] == "y" and renamed.json()["version"] == 2
    assert (
        await client.delete(f"/v1/segments/{segment_id}", headers=headers("admin"))
    ).status_code == 204
    assert (
        await client.get(f"/v1/segments/{segment_id}", headers=headers("analyst"))
    ).status_code == 404


async def test_why_explains_the_failing_condition(api):
    client, headers = api
    await _ingest(
        client,
        headers,
        _event("u1"),
        _event("u1"),
        _event("u1", "purchase") | {"amount": 120, "currency": "CNY", "order_id": "o1"},
    )
    rule = {
        "type": "and",
        "rules": [
            {"type": "field", "field": "order_count", "operator": "gte", "value": 1},
            VIEWERS,
        ],
    }
    created = await client.post(
        "/v1/segments",
        headers=headers("operator"),
        json={"name": "buyers who browse", "rule": rule},
    )
    segment_id = created.json()["id"]
    why = await client.get(f"/v1/segments/{segment_id}/why/u1", headers=headers("analyst"))
    assert why.status_code == 200, why.text
    body = why.json()
    assert body["matches"] is False and body["member"] is False
    assert [(c["path"], c["actual"], c["holds"]) for c in body["conditions"]] == [
        ("rule.rules.0", 1, True),
        ("rule.rules.1", 2, False),
    ]
    missing = await client.get(f"/v1/segments/{segment_id}/why/nobody", headers=headers("analyst"))
    assert missing.status_code == 404


async def test_export_streams_every_member_as_excel_friendly_csv(api, monkeypatch):
    client, headers = api
    monkeypatch.setattr(export, "PAGE_SIZE", 4)  # several keyset pages
    users = [f"用户-{i:02d}" for i in range(10)] + ["=HYPERLINK(1)"]
    await _ingest(client, headers, *(_event(u, "registered") for u in users), _event("outsider"))
    created = await client.post(
        "/v1/segments",
        headers=headers("operator"),
        json={
            "name": "注册用户",
            "rule": {
                "type": "event",
                "event_type": "registered",
                "within_days": 1,
                "operator": "gte",
                "value": 1,
            },
        },
    )
    segment_id = created.json()["id"]
    response = await client.get(f"/v1/segments/{segment_id}/export.csv", headers=headers("analyst"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["user_id", "stage", "tier", "entered_at"]
    exported = [row[0] for row in rows[1:]]
    assert sorted(exported) == sorted(["'=HYPERLINK(1)", *users[:10]])
    assert len(exported) == len(set(exported)) == 11
    assert all(row[1] == "potential" for row in rows[1:])
