"""API keys through the gateway, as a CRM and a BI tool use them: each key reaches exactly the
routes its scopes open, whatever service owns them."""

from datetime import UTC, datetime

import httpx

from yunying_shared.runtime.embedded import EmbeddedApp

ADMIN = {"email": "keys@brand.example", "password": "keys-admin-Passw0rd-5521!"}


async def test_keys_reach_exactly_what_their_scopes_open(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    app = EmbeddedApp(tmp_path)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    try:
        login = await client.post("/v1/auth/login", json=ADMIN)
        admin = {"authorization": f"Bearer {login.json()['access_token']}"}
        demo = next(
            w["id"]
            for w in (await client.get("/v1/workspaces", headers=admin)).json()["items"]
            if w["slug"] == "demo"
        )

        async def key(*scopes: str) -> dict[str, str]:
            created = await client.post(
                f"/v1/workspaces/{demo}/api-keys",
                headers=admin,
                json={"name": "+".join(scopes), "scopes": list(scopes)},
            )
            assert created.status_code == 201, created.text
            return {"x-api-key": created.json()["key"]}

        crm, reader = await key("events:write"), await key("segments:read")
        event = {
            "event_id": "k-1",
            "user_id": "u-key",
            "type": "login",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
        posted = await client.post("/v1/events", headers=crm, json={"events": [event]})
        assert posted.status_code == 200, posted.text
        assert posted.json()["accepted"] == 1
        assert (await client.get("/v1/users/u-key", headers=crm)).status_code == 403
        assert (await client.get("/v1/segments", headers=reader)).status_code == 200
        assert (
            await client.post("/v1/events", headers=reader, json={"events": []})
        ).status_code == 403
        # The gateway's own administration is for people only.
        assert (await client.get(f"/v1/workspaces/{demo}/members", headers=crm)).status_code in (
            401,
            403,
        )
    finally:
        await client.aclose()
        await app.shutdown()
