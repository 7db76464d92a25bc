"""Content review in the embedded mode, through the gateway, with real logins: an item goes
draft → scan → stage 1 → stage 2 → approved and only then can a campaign attach it; the
stage-1 reviewer's second approval and a writer's approval are refused; an ad is held while a
crisis is open (crisis events on the bus) and released when it resolves."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from yunying_shared.bus import Message
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import CRISIS_OPENED, CRISIS_RESOLVED
from yunying_shared.events.payloads.sentiment import CrisisCase
from yunying_shared.runtime.embedded import EmbeddedApp

ADMIN = {"email": "ops@brand.example", "password": "correct horse battery staple"}
PASSWORD = "first-login-passw0rd"


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    return tmp_path


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['access_token']}"}


async def _people(client: httpx.AsyncClient) -> tuple[str, dict[str, dict[str, str]]]:
    admin = await _login(client, ADMIN["email"], ADMIN["password"])
    created = await client.post(
        "/v1/workspaces", headers=admin, json={"name": "内容审核", "slug": "review-a"}
    )
    assert created.status_code == 201, created.text
    workspace_id = created.json()["id"]
    people = {"admin": {**admin, "x-workspace-id": workspace_id}}
    for name, role in (("writer", "operator"), ("approver", "reviewer")):
        email = f"{name}@brand.example"
        added = await client.post(
            f"/v1/workspaces/{workspace_id}/members",
            headers=admin,
            json={"email": email, "password": PASSWORD, "role": role},
        )
        assert added.status_code == 201, added.text
        people[name] = {**(await _login(client, email, PASSWORD)), "x-workspace-id": workspace_id}
    return workspace_id, people


async def _item(client, headers, **fields):
    body = {
        "platform": "xiaohongshu",
        "kind": "干货",
        "title": "秋冬保湿三步",
        # An ad names itself (content-review blocks one that does not).
        "body": "洁面后先上精华，再用面霜锁水。" + (" #广告" if fields.get("kind") == "ad" else ""),
        "planned_publish_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        **fields,
    }
    response = await client.post("/v1/content/items", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _step(client, item_id, step, headers):
    return await client.post(f"/v1/content/items/{item_id}/{step}", headers=headers)


async def _approved(client, people, **fields):
    item_id = await _item(client, people["writer"], **fields)
    for step, who in (("submit", "writer"), ("operator-check", "admin"), ("approve", "approver")):
        response = await _step(client, item_id, step, people[who])
        assert response.status_code == 200, response.text
    return item_id


async def _state(client, headers, item_id):
    return (await client.get(f"/v1/content/items/{item_id}", headers=headers)).json()["state"]


async def _until(predicate, tries=400):
    for _ in range(tries):
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_review_approval_campaign_attachment_and_crisis_hold(state_dir):
    app = EmbeddedApp(state_dir)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    try:
        workspace_id, people = await _people(client)
        writer, admin, approver = people["writer"], people["admin"], people["approver"]

        item_id = await _item(client, writer)
        assert (await _step(client, item_id, "submit", writer)).json()["state"] == "scanned"
        assert (await _step(client, item_id, "approve", approver)).status_code == 409
        assert (await _step(client, item_id, "operator-check", admin)).status_code == 200
        trail = (await client.get(f"/v1/content/items/{item_id}/audit", headers=writer)).json()
        second = await _step(client, item_id, "approve", admin)  # stage 1's person again
        assert second.status_code == 403
        assert (await _step(client, item_id, "approve", writer)).status_code == 403  # a writer
        assert await _state(client, writer, item_id) == "operator_checked"
        unchanged = (await client.get(f"/v1/content/items/{item_id}/audit", headers=writer)).json()
        assert unchanged == trail

        start = datetime.now(UTC) + timedelta(days=1)
        campaign = await client.post(
            "/v1/campaigns",
            headers=admin,
            json={
                "name": "秋冬护肤",
                "type": "content_push",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(days=7)).isoformat(),
            },
        )
        assert campaign.status_code == 201, campaign.text
        attach = f"/v1/campaigns/{campaign.json()['id']}/content"

        async def refused_while_unapproved():
            response = await client.post(attach, headers=admin, json={"content_id": item_id})
            return response.status_code == 409

        assert await _until(refused_while_unapproved)
        approved = await _step(client, item_id, "approve", approver)
        assert approved.status_code == 200 and approved.json()["state"] == "approved"

        async def attached():
            response = await client.post(attach, headers=admin, json={"content_id": item_id})
            return response.status_code == 200 and item_id in response.json()["content_ids"]

        assert await _until(attached)

        ad_id = await _approved(client, people, kind="ad")
        scheduled = await _step(client, ad_id, "schedule", admin)
        assert scheduled.json()["state"] == "scheduled"
        case_id = f"case-{uuid.uuid4().hex[:8]}"
        for spec, state in ((CRISIS_OPENED, "held"), (CRISIS_RESOLVED, "scheduled")):
            now = datetime.now(UTC)
            case = CrisisCase(
                case_id=case_id,
                level="red",
                state="warning" if spec is CRISIS_OPENED else "closed",
                title="门店投诉",
                opened_at=now,
                occurred_at=now,
            )
            event = make_event(spec, case, source="/tests", workspace=uuid.UUID(workspace_id))
            await app.transport.publish([Message(spec.topic, case_id.encode(), event.to_bytes())])

            async def reached(state=state):
                return await _state(client, writer, ad_id) == state

            assert await _until(reached), f"the ad never became {state}"
    finally:
        await client.aclose()
        await app.shutdown()
