"""The HTTP surface: who may write events, what a profile shows, re-scoring, tags."""

import uuid
from datetime import UTC, datetime, timedelta

from segmentation.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


def _api_key(workspace_id, *scopes):
    return Principal(
        subject="key-1", kind="api_key", workspace_id=workspace_id, scopes=frozenset(scopes)
    )


async def test_events_profiles_rescore_and_tags_over_http(
    dialect, tmp_path, settings_for, local_transport
):
    workspace_id = uuid.uuid4()
    now = datetime.now(UTC)
    events = [
        {
            "event_id": f"e{i}",
            "user_id": f"u{i % 5}",
            "type": "purchase",
            "amount": 10 * i,
            "occurred_at": (now - timedelta(days=i)).isoformat(),
        }
        for i in range(1, 21)
    ] + [
        {
            "event_id": "bad",
            "user_id": "u1",
            "type": "purchase",
            "amount": "lots",
            "occurred_at": now.isoformat(),
        }
    ]
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            crm = internal_headers(app, _api_key(workspace_id, "events:write"))
            reader_key = internal_headers(app, _api_key(workspace_id, "segments:read"))
            analyst = internal_headers(app, user_principal(workspace_id, "analyst"))
            operator = internal_headers(app, user_principal(workspace_id, "operator"))

            denied = await client.post("/v1/events", json={"events": events}, headers=reader_key)
            assert denied.status_code == 403
            assert (
                await client.post("/v1/events", json={"events": events}, headers=analyst)
            ).status_code == 403
            too_many = await client.post(
                "/v1/events", headers=crm, json={"events": [events[0]] * 1001}
            )
            assert too_many.status_code == 422

            response = await client.post("/v1/events", json={"events": events}, headers=crm)
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["accepted"], body["rejected"]) == (20, 1)
            assert body["results"][-1]["errors"][0]["field"] == "amount"

            rescored = await client.post("/v1/segmentation/rescore", headers=operator)
            assert rescored.status_code == 200, rescored.text
            assert rescored.json()["profiles"] == 5
            assert (
                await client.post("/v1/segmentation/rescore", headers=analyst)
            ).status_code == 403

            patch = await client.patch(
                "/v1/users/u1",
                headers=operator,
                json={"gender": "female", "region": "上海", "identities": {"wechat_openid": "o-1"}},
            )
            assert patch.status_code == 200, patch.text
            put = await client.put(
                "/v1/users/u1/tags", headers=operator, json={"tag": "职场妈妈", "kind": "attribute"}
            )
            assert put.status_code == 200, put.text

            profile = (await client.get("/v1/users/u1", headers=analyst)).json()
            assert profile["region"] == "上海"
            assert profile["identities"] == {"wechat_openid": "o-1"}
            assert profile["order_count"] == 4
            assert profile["rfm"]["frequency"]["raw"] == 4
            assert len(profile["rfm"]["recency"]["edges"]) == 4
            assert profile["rfm"]["recency"]["score"] in range(1, 6)
            assert profile["tier"] is not None and profile["rfm_class"] is not None
            assert [t["tag"] for t in profile["tags"]] == ["职场妈妈"]
            assert [h["to_value"] for h in profile["history"] if h["kind"] == "stage"] == ["new"]

            other = internal_headers(app, user_principal(uuid.uuid4(), "admin"))
            assert (await client.get("/v1/users/u1", headers=other)).status_code == 404
