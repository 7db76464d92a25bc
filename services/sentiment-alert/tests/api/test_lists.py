"""Sentiment lists answer the cursor envelope on both databases: mentions newest first with
label, platform and keyword filters (a keyword page may be short but its cursor leads on),
crisis cases by state and level, monitoring rules by kind."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sentiment_alert.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running, user_principal

BASE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
async def api(database, settings_for, local_transport):
    app = create_app(
        settings_for("sentiment-alert", database.url, jobs_enabled=False), transport=local_transport
    )
    workspace_id = uuid.uuid4()
    async with running(app) as client:
        operator = internal_headers(app, user_principal(workspace_id, "operator"))
        crawler = internal_headers(
            app,
            Principal(
                subject="crawler",
                kind="api_key",
                workspace_id=workspace_id,
                scopes=frozenset({"mentions:write"}),
            ),
        )
        yield client, operator, crawler


async def _walk(client, path, headers, **params):
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return [item for page in pages for item in page], pages


async def test_mentions_page_newest_first_and_filter(api):
    client, operator, crawler = api
    rule = await client.post(
        "/v1/monitoring/rules", headers=operator, json={"kind": "brand", "keyword": "花西子"}
    )
    assert rule.status_code == 201, rule.text
    mentions = [
        {
            "platform": "weibo" if n % 2 else "douyin",
            "platform_id": f"m{n}",
            "author": f"a{n}",
            "text": "花西子的散粉太好用了" if n % 3 == 0 else "今天天气不错",
            # Two mentions share each timestamp: the id breaks the tie.
            "posted_at": (BASE + timedelta(minutes=n // 2)).isoformat(),
        }
        for n in range(9)
    ]
    posted = await client.post("/v1/mentions", headers=crawler, json={"mentions": mentions})
    assert posted.json()["accepted"] == 9, posted.text
    every, pages = await _walk(client, "/v1/mentions", operator, limit=4)
    assert [len(p) for p in pages] == [4, 4, 1]
    assert len({m["id"] for m in every}) == 9
    assert [m["posted_at"] for m in every] == sorted((m["posted_at"] for m in every), reverse=True)
    weibo, _ = await _walk(client, "/v1/mentions", operator, platform="weibo")
    assert sorted(m["platform_id"] for m in weibo) == ["m1", "m3", "m5", "m7"]
    branded, _ = await _walk(client, "/v1/mentions", operator, keyword="花西子", limit=2)
    assert sorted(m["platform_id"] for m in branded) == ["m0", "m3", "m6"]
    wrong = await client.get("/v1/mentions", params={"label": "angry"}, headers=operator)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "query.label"


async def test_crises_and_rules_page_and_filter(api):
    client, operator, _ = api
    for n, level in enumerate(["orange", "red", "orange"]):
        case = await client.post(
            "/v1/crises", headers=operator, json={"title": f"事件{n}", "level": level}
        )
        assert case.status_code == 201, case.text
    cases, pages = await _walk(client, "/v1/crises", operator, limit=2)
    assert [c["title"] for c in cases] == ["事件2", "事件1", "事件0"] and len(pages) == 2
    red, _ = await _walk(client, "/v1/crises", operator, level="red")
    assert [c["title"] for c in red] == ["事件1"]
    closed, _ = await _walk(client, "/v1/crises", operator, state="closed")
    assert closed == []
    for kind, keyword in (("brand", "完美日记"), ("risk", "过敏"), ("risk", "退款")):
        created = await client.post(
            "/v1/monitoring/rules", headers=operator, json={"kind": kind, "keyword": keyword}
        )
        assert created.status_code == 201, created.text
    rules, _ = await _walk(client, "/v1/monitoring/rules", operator, limit=1)
    assert [r["keyword"] for r in rules] == ["完美日记", "过敏", "退款"]
    risks, _ = await _walk(client, "/v1/monitoring/rules", operator, kind="risk")
    assert [r["keyword"] for r in risks] == ["过敏", "退款"]
