"""The audit log, on SQLite and PostgreSQL: every admin action and login attempt is an entry
and an `audit.recorded` event in the outbox (same transaction); workspace admins read their
workspace's entries with filters and pages; nothing changes an entry through the API."""

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.db import BUS
from gateway.main import DEFINITION
from yunying_shared.kit.app import api_routes

OPERATOR = {"email": "op@brand.example", "password": "operator-passw0rd-7"}


async def _audit(gateway, headers, workspace, **params):
    response = await gateway.client.get(
        f"/v1/workspaces/{workspace}/audit", headers=headers, params=params
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _outbox_events(gateway):
    async with gateway.app.state.database.session() as session:
        rows = await session.execute(select(BUS.outbox.c.topic, BUS.outbox.c.value))
        return [json.loads(value) for topic, value in rows if topic == "gateway.audit.v1"]


async def test_admin_actions_and_logins_are_recorded_and_published(gateway):
    failed = await gateway.client.post(
        "/v1/auth/login", json={"email": gateway.admin_email, "password": "wrong-guess-123"}
    )
    assert failed.status_code == 401
    unknown = await gateway.client.post(
        "/v1/auth/login", json={"email": "nobody@brand.example", "password": "wrong-guess-123"}
    )
    assert unknown.status_code == 401
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    added = await gateway.client.post(
        f"/v1/workspaces/{demo}/members", headers=admin, json={**OPERATOR, "role": "analyst"}
    )
    member = added.json()["user_id"]
    await gateway.client.patch(
        f"/v1/workspaces/{demo}/members/{member}", headers=admin, json={"role": "operator"}
    )
    key = await gateway.client.post(
        f"/v1/workspaces/{demo}/api-keys",
        headers=admin,
        json={"name": "CRM", "scopes": ["events:write"]},
    )
    await gateway.client.delete(f"/v1/workspaces/{demo}/api-keys/{key.json()['id']}", headers=admin)
    await gateway.client.delete(f"/v1/workspaces/{demo}/members/{member}", headers=admin)

    page = await _audit(gateway, admin, demo)
    entries = page["items"]
    actions = [(e["action"], e["outcome"]) for e in entries]
    # Newest first; the unknown email's attempt belongs to no member of this workspace.
    assert actions == [
        ("member.removed", "success"),
        ("api_key.revoked", "success"),
        ("api_key.created", "success"),
        ("member.role_changed", "success"),
        ("member.added", "success"),
        ("auth.login", "success"),
        ("auth.login", "failure"),
    ]
    created = entries[2]
    assert created["detail"]["scopes"] == "events:write"
    assert key.json()["key"] not in json.dumps(entries)  # the secret is never recorded
    assert entries[3]["detail"] == {"role": "operator"}
    assert entries[-1]["detail"] == {"reason": "invalid_credentials"}
    assert {e["actor_email"] for e in entries} == {gateway.admin_email}
    assert all(e["address"] for e in entries)

    # Every entry is also an event on gateway.audit.v1, the failures and the unknown email too.
    events = await _outbox_events(gateway)
    assert {e["data"]["entry_id"] for e in events} >= {e["id"] for e in entries}
    assert {e["type"] for e in events} == {"yunying.audit.recorded.v1"}
    strangers = [e for e in events if e["data"]["actor_email"] == "nobody@brand.example"]
    assert [(e["data"]["actor_id"], e["data"]["outcome"]) for e in strangers] == [(None, "failure")]


async def test_filters_pages_and_who_may_read(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    await gateway.client.post(
        f"/v1/workspaces/{demo}/members", headers=admin, json={**OPERATOR, "role": "operator"}
    )
    operator = await gateway.login(**OPERATOR)
    for n in range(3):
        await gateway.client.post(
            f"/v1/workspaces/{demo}/api-keys",
            headers=admin,
            json={"name": f"key-{n}", "scopes": ["events:write"]},
        )

    keys = await _audit(gateway, admin, demo, action="api_key.created", limit=2)
    assert [e["detail"]["name"] for e in keys["items"]] == ["key-2", "key-1"]
    rest = await _audit(gateway, admin, demo, action="api_key.created", cursor=keys["next_cursor"])
    assert [e["detail"]["name"] for e in rest["items"]] == ["key-0"]
    assert rest["next_cursor"] is None

    by_operator = await _audit(gateway, admin, demo, actor=OPERATOR["email"])
    assert [e["action"] for e in by_operator["items"]] == ["auth.login"]
    me = (await gateway.client.get("/v1/me", headers=admin)).json()["id"]
    by_id = await _audit(gateway, admin, demo, actor=me, action="member.added")
    assert len(by_id["items"]) == 1

    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await _audit(gateway, admin, demo, **{"from": future}))["items"] == []
    everything = await _audit(gateway, admin, demo, to=future)
    assert len(everything["items"]) >= 6

    bad_action = await gateway.client.get(
        f"/v1/workspaces/{demo}/audit", headers=admin, params={"action": "member.hacked"}
    )
    assert bad_action.status_code == 422
    naive = await gateway.client.get(
        f"/v1/workspaces/{demo}/audit", headers=admin, params={"from": "2026-11-30T08:00:00"}
    )
    assert naive.status_code == 422
    assert [e["field"] for e in naive.json()["errors"]] == ["query.from"]
    control = await gateway.client.get(
        f"/v1/workspaces/{demo}/audit", headers=admin, params={"actor": "ops\x00@brand.example"}
    )
    assert control.status_code == 422
    assert [e["field"] for e in control.json()["errors"]] == ["query.actor"]
    bad_cursor = await gateway.client.get(
        f"/v1/workspaces/{demo}/audit", headers=admin, params={"cursor": "bm90LWEtY3Vyc29y"}
    )
    assert bad_cursor.status_code == 422

    # Operators do not read the log; only superusers read the whole one.
    assert (
        await gateway.client.get(f"/v1/workspaces/{demo}/audit", headers=operator)
    ).status_code == 403
    assert (await gateway.client.get("/v1/audit", headers=operator)).status_code == 403
    whole = await gateway.client.get("/v1/audit", headers=admin)  # the bootstrap admin
    assert whole.status_code == 200


async def test_entries_cannot_be_changed_through_the_api(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    before = await _audit(gateway, admin, demo)
    entry = before["items"][0]["id"]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in (
            f"/v1/workspaces/{demo}/audit",
            f"/v1/workspaces/{demo}/audit/{entry}",
            "/v1/audit",
            f"/v1/audit/{entry}",
        ):
            response = await gateway.client.request(method, path, headers=admin, json={})
            assert response.status_code in (404, 405), (method, path, response.status_code)
    assert (await _audit(gateway, admin, demo))["items"] == before["items"]
    # And no route of the gateway would: the audit paths answer GET only.
    audit_routes = [r for r in api_routes(DEFINITION) if "audit" in r.path]
    assert audit_routes
    assert {method for r in audit_routes for method in r.methods} <= {"GET", "HEAD"}
