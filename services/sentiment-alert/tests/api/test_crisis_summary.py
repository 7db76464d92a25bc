"""The crisis summary the operations dashboard reads: open cases by level and state, closed
ones left out, other workspaces invisible, API keys by scope."""

import uuid

import pytest

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


async def _report(client, headers, title, level):
    response = await client.post(
        "/v1/crises", headers=headers, json={"title": title, "level": level}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_open_cases_are_counted_by_level_and_state(api):
    app, client = api
    workspace = uuid.uuid4()
    operator = internal_headers(app, user_principal(workspace, "operator"))
    elsewhere = internal_headers(app, user_principal(uuid.uuid4(), "operator"))
    await _report(client, operator, "差评扩散", "orange")
    responding = await _report(client, operator, "产品质量投诉", "red")
    closed = await _report(client, operator, "已处理", "orange")
    await _report(client, elsewhere, "别家的危机", "red")
    moved = await client.post(
        f"/v1/crises/{responding}/transition", headers=operator, json={"to_state": "responding"}
    )
    assert moved.status_code == 200, moved.text
    ended = await client.post(
        f"/v1/crises/{closed}/transition", headers=operator, json={"to_state": "closed"}
    )
    assert ended.status_code == 200, ended.text

    summary = await client.get("/v1/crises/summary", headers=operator)
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["open"] == 2
    assert body["by_level"] == {"orange": 1, "red": 1}
    assert body["by_state"] == {"responding": 1, "warning": 1}
    assert body["statements_overdue"] == 0  # just opened: the statement is not due yet
    assert body["oldest_opened_at"] is not None


async def test_summary_reads_need_the_read_scope(api):
    app, client = api
    workspace = uuid.uuid4()
    crawler = Principal(
        subject="k", kind="api_key", workspace_id=workspace, scopes=frozenset({"mentions:write"})
    )
    reader = Principal(
        subject="k", kind="api_key", workspace_id=workspace, scopes=frozenset({"sentiment:read"})
    )
    refused = await client.get("/v1/crises/summary", headers=internal_headers(app, crawler))
    assert refused.status_code == 403
    empty = await client.get("/v1/crises/summary", headers=internal_headers(app, reader))
    assert empty.status_code == 200
    assert empty.json() == {
        "open": 0,
        "by_level": {},
        "by_state": {},
        "statements_overdue": 0,
        "oldest_opened_at": None,
    }
