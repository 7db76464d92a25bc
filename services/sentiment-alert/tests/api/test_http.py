"""The routes as the gateway calls them (SQLite here; the service functions under them run on
both databases in tests/service): scopes and roles, 4xx naming the field, the crisis workflow
from a manual report to the post-mortem."""

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sentiment_alert.db import BUS
from sentiment_alert.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


@pytest.fixture
async def api(tmp_path, settings_for, local_transport):
    async with fresh_database("sqlite", tmp_path) as url:
        app = create_app(
            settings_for("sentiment-alert", url, jobs_enabled=False), transport=local_transport
        )
        async with running(app) as client:
            yield app, client


def _api_key(workspace_id, *scopes):
    return Principal(
        subject="crawler", kind="api_key", workspace_id=workspace_id, scopes=frozenset(scopes)
    )


async def test_mentions_need_the_write_scope_and_report_each_item(api):
    app, client = api
    workspace_id = uuid.uuid4()
    now = datetime.now(UTC).isoformat()
    item = {
        "platform": "weibo",
        "platform_id": "1",
        "author": "a",
        "text": "好用",
        "posted_at": now,
    }
    reader = internal_headers(app, _api_key(workspace_id, "sentiment:read"))
    refused = await client.post("/v1/mentions", headers=reader, json={"mentions": [item]})
    assert refused.status_code == 403 and "mentions:write" in refused.json()["detail"]

    writer = internal_headers(app, _api_key(workspace_id, "mentions:write"))
    body = {"mentions": [item, item, {**item, "platform_id": "2", "platform": "tiktok"}]}
    response = await client.post("/v1/mentions", headers=writer, json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (1, 1, 1)
    assert result["results"][2]["errors"][0]["field"] == "platform"

    too_many = await client.post("/v1/mentions", headers=writer, json={"mentions": [item] * 1001})
    assert too_many.status_code == 422
    listed = await client.get("/v1/mentions", headers=reader)
    assert [m["platform_id"] for m in listed.json()["items"]] == ["1"]


async def test_sentiment_scores_one_text_or_a_batch(api):
    app, client = api
    headers = internal_headers(app, _api_key(uuid.uuid4(), "sentiment:read"))
    one = await client.post("/v1/sentiment", headers=headers, json={"text": "配送太慢，再也不买了"})
    assert one.status_code == 200 and one.json()["label"] == "neg" and one.json()["score"] < 0
    batch = await client.post(
        "/v1/sentiment", headers=headers, json={"texts": ["太好用了，爱了", "This is awful"]}
    )
    assert [r["label"] for r in batch.json()["results"]] == ["pos", "neg"]
    for bad in ({}, {"text": "a", "texts": ["b"]}, {"text": " "}, {"texts": []}):
        response = await client.post("/v1/sentiment", headers=headers, json=bad)
        assert response.status_code == 422, bad
    nobody = internal_headers(app, _api_key(uuid.uuid4()))
    assert (
        await client.post("/v1/sentiment", headers=nobody, json={"text": "x"})
    ).status_code == 403


async def test_rules_crud_and_conflicts(api):
    app, client = api
    workspace_id = uuid.uuid4()
    operator = internal_headers(app, user_principal(workspace_id, "operator"))
    analyst = internal_headers(app, user_principal(workspace_id, "analyst"))
    rule = {"kind": "brand", "keyword": "花西子", "terms": ["Florasis", "花西子散粉"]}
    created = await client.post("/v1/monitoring/rules", headers=operator, json=rule)
    assert created.status_code == 201, created.text
    assert (
        await client.post("/v1/monitoring/rules", headers=operator, json=rule)
    ).status_code == 409
    assert (
        await client.post("/v1/monitoring/rules", headers=analyst, json=rule)
    ).status_code == 403
    bad = await client.post("/v1/monitoring/rules", headers=operator, json={**rule, "kind": "x"})
    assert bad.status_code == 422 and "kind" in bad.text
    rule_id = created.json()["id"]
    updated = await client.put(
        f"/v1/monitoring/rules/{rule_id}", headers=operator, json={**rule, "terms": []}
    )
    assert updated.json()["terms"] == []
    other = internal_headers(app, user_principal(uuid.uuid4(), "operator"))
    assert (await client.get(f"/v1/monitoring/rules/{rule_id}", headers=other)).status_code == 404
    assert (
        await client.delete(f"/v1/monitoring/rules/{rule_id}", headers=operator)
    ).status_code == 204
    assert (await client.get("/v1/monitoring/rules", headers=analyst)).json()["items"] == []


async def test_a_manual_crisis_from_report_to_post_mortem(api):
    app, client = api
    workspace_id = uuid.uuid4()
    operator = internal_headers(app, user_principal(workspace_id, "operator", subject="ops-1"))
    reported = await client.post(
        "/v1/crises",
        headers=operator,
        json={"title": "散粉过敏投诉", "level": "red", "keyword": "花西子"},
    )
    assert reported.status_code == 201, reported.text
    case = reported.json()
    case_id = case["id"]
    assert (case["state"], case["source"], case["statement_overdue"]) == (
        "warning",
        "manual",
        False,
    )

    roles = await client.put(
        f"/v1/crises/{case_id}/roles",
        headers=operator,
        json={"owner": "ops-1", "spokesperson": "pr-2", "approver": "legal-3"},
    )
    assert roles.json()["spokesperson"] == "pr-2"
    skip = await client.post(
        f"/v1/crises/{case_id}/transition", headers=operator, json={"to_state": "repairing"}
    )
    assert skip.status_code == 409
    moved = await client.post(
        f"/v1/crises/{case_id}/transition", headers=operator, json={"to_state": "responding"}
    )
    assert moved.json()["state"] == "responding"

    vague = "我们高度重视，正在调查。"
    check = await client.post(
        f"/v1/crises/{case_id}/statement/check", headers=operator, json={"text": vague}
    )
    assert check.json()["missing"] == ["acknowledgement", "apology", "remedy"]
    refused = await client.post(
        f"/v1/crises/{case_id}/statement", headers=operator, json={"text": vague}
    )
    assert refused.status_code == 409
    statement = (
        "经核实，该批次散粉确实存在质量问题，我们郑重道歉。即日起下架召回，7日内全额退款，"
        "客服热线400-123-4567。"
    )
    published = await client.post(
        f"/v1/crises/{case_id}/statement", headers=operator, json={"text": statement}
    )
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "repairing"
    assert published.json()["repair"]["suggested_close"] is False  # no content published yet

    await client.post(
        f"/v1/crises/{case_id}/actions", headers=operator, json={"note": "=HYPERLINK(1) 联系KOL"}
    )
    closed = await client.post(
        f"/v1/crises/{case_id}/transition", headers=operator, json={"to_state": "closed"}
    )
    assert closed.json()["closed_at"] is not None

    report = (await client.get(f"/v1/crises/{case_id}/postmortem", headers=operator)).json()
    kinds = [entry["kind"] for entry in report["timeline"]]
    assert kinds == ["opened", "roles", "state", "statement", "action", "state"]
    assert report["statement_on_time"] is True
    exported = await client.get(f"/v1/crises/{case_id}/postmortem?format=csv", headers=operator)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["section", "at", "kind"]
    assert any(row[3].startswith("'=HYPERLINK") for row in rows)

    async with app.state.database.session() as session:
        types = [h["ce_type"] for (h,) in await session.execute(select(BUS.outbox.c.headers))]
    crisis_types = [t for t in types if ".crisis." in t]
    assert crisis_types == [
        "yunying.crisis.opened.v1",
        "yunying.crisis.statement_published.v1",
        "yunying.crisis.resolved.v1",
    ]
    missing = await client.get(f"/v1/crises/{uuid.uuid4()}", headers=operator)
    assert missing.status_code == 404
    bad_id = await client.get("/v1/crises/not-a-uuid", headers=operator)
    assert bad_id.status_code == 422


async def test_feedback_is_classified_and_complaints_published(api):
    app, client = api
    headers = internal_headers(app, _api_key(uuid.uuid4(), "mentions:write"))
    response = await client.post(
        "/v1/feedback",
        headers=headers,
        json={
            "items": [
                {"user_id": "u1", "text": "配送太慢，再也不买了"},
                {"user_id": "u2", "text": "物流很快，非常满意"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert (first["aspect"], first["churn_related"], first["published"]) == ("delivery", True, True)
    assert (second["aspect"], second["label"], second["published"]) == ("delivery", "pos", False)
    bad = await client.post("/v1/feedback", headers=headers, json={"items": [{"user_id": "u"}]})
    assert bad.status_code == 422 and "text" in bad.text
