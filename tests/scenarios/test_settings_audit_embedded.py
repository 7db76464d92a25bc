"""Workspace settings the services keep are audited by the gateway, as an admin reading the log
expects: each accepted change is one `setting.changed` entry naming who, which service and
operation, and the request's id; refused changes and reads leave nothing."""

import httpx

from yunying_shared.runtime.embedded import EmbeddedApp

ADMIN = {"email": "audit@brand.example", "password": "audit-admin-Passw0rd-7731!"}


async def test_accepted_setting_changes_are_audited_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    app = EmbeddedApp(tmp_path)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    try:
        login = await client.post("/v1/auth/login", json=ADMIN)
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}
        workspaces = (await client.get("/v1/workspaces", headers=auth)).json()["items"]
        demo = next(w["id"] for w in workspaces if w["slug"] == "demo")
        scoped = {**auth, "x-workspace-id": demo}

        current = await client.get("/v1/segmentation/settings", headers=scoped)
        assert current.status_code == 200, current.text
        body = {k: current.json()[k] for k in ("rfm_window_days", "lifecycle_rules")}
        body["rfm_window_days"] = 180
        changed = await client.put(
            "/v1/segmentation/settings",
            headers={**scoped, "x-request-id": "settings-change-1"},
            json=body,
        )
        assert changed.status_code == 200, changed.text
        refused = await client.put(
            "/v1/segmentation/settings", headers=scoped, json={"rfm_window_days": -1}
        )
        assert refused.status_code == 422
        rule = await client.post(
            "/v1/tags/rules",
            headers=scoped,
            json={"name": "buyers", "event_type": "purchase", "tag": "buyer"},
        )
        assert rule.status_code == 201, rule.text
        removed = await client.delete(f"/v1/tags/rules/{rule.json()['id']}", headers=scoped)
        assert removed.status_code == 204
        # Not a setting: changing one user's tag is day-to-day work, not audited.
        tagged = await client.put(
            "/v1/users/u-1/tags", headers=scoped, json={"tag": "vip", "kind": "attribute"}
        )
        assert tagged.status_code in (200, 201), tagged.text

        log = await client.get(
            f"/v1/workspaces/{demo}/audit", headers=auth, params={"action": "setting.changed"}
        )
        assert log.status_code == 200, log.text
        entries = list(reversed(log.json()["items"]))  # oldest first
        assert [(e["target_type"], e["target_id"]) for e in entries] == [
            ("segmentation", "PUT /v1/segmentation/settings"),
            ("segmentation", "POST /v1/tags/rules"),
            ("segmentation", "DELETE /v1/tags/rules/{rule_id}"),
        ]
        assert {e["actor_email"] for e in entries} == {ADMIN["email"]}
        assert {e["workspace_id"] for e in entries} == {demo}
        assert entries[0]["correlation_id"] == "settings-change-1"
        assert entries[0]["detail"] == {"path": "/v1/segmentation/settings", "status": 200}
        assert entries[2]["detail"]["path"] == f"/v1/tags/rules/{rule.json()['id']}"

        document = (await client.get("/openapi.json")).json()
        put_settings = document["paths"]["/v1/segmentation/settings"]["put"]
        assert put_settings["x-yunying-audited"] is True
        assert "setting.changed" in put_settings["description"]
        assert "x-yunying-audited" not in document["paths"]["/v1/segmentation/settings"]["get"]
    finally:
        await client.aclose()
        await app.shutdown()
