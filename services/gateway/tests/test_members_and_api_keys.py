async def _add(gateway, headers, workspace, email, role, password=None):
    body = {"email": email, "role": role, **({"password": password} if password else {})}
    return await gateway.client.post(
        f"/v1/workspaces/{workspace}/members", headers=headers, json=body
    )


async def test_roles_decide_who_manages_a_workspace(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    added = await _add(
        gateway, admin, demo, "Operator@Brand.example", "operator", "operator-passw0rd-7"
    )
    assert added.status_code == 201, added.text
    assert added.json()["email"] == "operator@brand.example"
    operator = await gateway.login("operator@brand.example", "operator-passw0rd-7")

    listed = await gateway.client.get(f"/v1/workspaces/{demo}/members", headers=operator)
    assert sorted(m["role"] for m in listed.json()["items"]) == ["admin", "operator"]
    key = await gateway.client.post(
        f"/v1/workspaces/{demo}/api-keys",
        headers=operator,
        json={"name": "CRM", "scopes": ["events:write"]},
    )
    assert key.status_code == 403
    assert key.headers["content-type"] == "application/problem+json"
    assert (
        await _add(gateway, operator, demo, "x@brand.example", "admin", "x-member-passw0rd-7")
    ).status_code == 403
    assert (
        await gateway.client.get(f"/v1/workspaces/{demo}/api-keys", headers=operator)
    ).status_code == 403

    duplicate = await _add(gateway, admin, demo, "operator@brand.example", "analyst")
    assert duplicate.status_code == 409


async def test_member_roles_change_and_the_last_admin_stays(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    me = (await gateway.client.get("/v1/me", headers=admin)).json()["id"]
    user = (
        await _add(gateway, admin, demo, "r@brand.example", "reviewer", "reviewer-passw0rd-7")
    ).json()

    patched = await gateway.client.patch(
        f"/v1/workspaces/{demo}/members/{user['user_id']}", headers=admin, json={"role": "operator"}
    )
    assert patched.json()["role"] == "operator"
    demote_last = await gateway.client.patch(
        f"/v1/workspaces/{demo}/members/{me}", headers=admin, json={"role": "analyst"}
    )
    assert demote_last.status_code == 409
    remove_last = await gateway.client.delete(f"/v1/workspaces/{demo}/members/{me}", headers=admin)
    assert remove_last.status_code == 409

    removed = await gateway.client.delete(
        f"/v1/workspaces/{demo}/members/{user['user_id']}", headers=admin
    )
    assert removed.status_code == 204
    gone = await gateway.client.get(f"/v1/workspaces/{demo}/members", headers=admin)
    assert [m["email"] for m in gone.json()["items"]] == [gateway.admin_email]
    # The account survives its membership: it can log in, and sees no workspace.
    former = await gateway.login("r@brand.example", "reviewer-passw0rd-7")
    assert (await gateway.client.get("/v1/workspaces", headers=former)).json()["items"] == []


async def test_new_member_without_password_names_the_field(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    response = await _add(gateway, admin, demo, "new@brand.example", "analyst")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.password"


async def test_api_key_is_shown_once_works_and_can_be_revoked(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    created = await gateway.client.post(
        f"/v1/workspaces/{demo}/api-keys",
        headers=admin,
        json={"name": "CRM sync", "scopes": ["events:write"]},
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith(f"yk_{created.json()['prefix']}_")
    listed = await gateway.client.get(f"/v1/workspaces/{demo}/api-keys", headers=admin)
    assert "key" not in listed.json()["items"][0]
    assert key.split("_", 2)[2] not in listed.text

    sent = await gateway.client.post("/v1/events", headers={"X-API-Key": key}, json={"n": 1})
    assert sent.status_code == 200, sent.text
    principal = sent.json()["principal"]
    assert principal["kind"] == "api_key"
    assert principal["workspace_id"] == demo
    assert principal["scopes"] == ["events:write"]
    assert (await gateway.client.get("/v1/me", headers={"X-API-Key": key})).status_code == 403

    revoked = await gateway.client.delete(
        f"/v1/workspaces/{demo}/api-keys/{created.json()['id']}", headers=admin
    )
    assert revoked.status_code == 204
    after = await gateway.client.post("/v1/events", headers={"X-API-Key": key}, json={"n": 1})
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"


async def test_api_key_scopes_are_enforced_and_validated(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    reader = (
        await gateway.client.post(
            f"/v1/workspaces/{demo}/api-keys",
            headers=admin,
            json={"name": "BI", "scopes": ["segments:read"]},
        )
    ).json()
    denied = await gateway.client.post("/v1/events", headers={"X-API-Key": reader["key"]}, json={})
    assert denied.status_code == 403

    unknown = await gateway.client.post(
        f"/v1/workspaces/{demo}/api-keys",
        headers=admin,
        json={"name": "x", "scopes": ["root:everything"]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.scopes.0"
    for bogus in ("yk_nope_nope", "garbage", reader["key"] + "x"):
        response = await gateway.client.get("/v1/segmentation/echo", headers={"X-API-Key": bogus})
        assert response.status_code == 401, bogus


async def test_member_and_key_lists_page_and_filter(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    for n, role in enumerate(["analyst", "operator", "analyst"]):
        added = await _add(
            gateway, admin, demo, f"m{n}@brand.example", role, f"member-passw0rd-{n}"
        )
        assert added.status_code == 201, added.text
    first = await gateway.client.get(
        f"/v1/workspaces/{demo}/members", params={"limit": 2}, headers=admin
    )
    assert [m["email"] for m in first.json()["items"]] == [gateway.admin_email, "m0@brand.example"]
    rest = await gateway.client.get(
        f"/v1/workspaces/{demo}/members",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=admin,
    )
    assert [m["email"] for m in rest.json()["items"]] == ["m1@brand.example", "m2@brand.example"]
    assert rest.json()["next_cursor"] is None
    analysts = await gateway.client.get(
        f"/v1/workspaces/{demo}/members", params={"role": "analyst"}, headers=admin
    )
    assert [m["email"] for m in analysts.json()["items"]] == [
        "m0@brand.example",
        "m2@brand.example",
    ]
    by_email = await gateway.client.get(
        f"/v1/workspaces/{demo}/members", params={"email": "M1@"}, headers=admin
    )
    assert [m["email"] for m in by_email.json()["items"]] == ["m1@brand.example"]
    assert (
        await gateway.client.get(
            f"/v1/workspaces/{demo}/members", params={"role": "owner"}, headers=admin
        )
    ).status_code == 422

    ids = []
    for name in ("one", "two"):
        created = await gateway.client.post(
            f"/v1/workspaces/{demo}/api-keys",
            headers=admin,
            json={"name": name, "scopes": ["events:write"]},
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    revoked = await gateway.client.delete(f"/v1/workspaces/{demo}/api-keys/{ids[0]}", headers=admin)
    assert revoked.status_code == 204
    active = await gateway.client.get(
        f"/v1/workspaces/{demo}/api-keys", params={"revoked": "false"}, headers=admin
    )
    assert [k["name"] for k in active.json()["items"]] == ["two"]
    every = await gateway.client.get(
        f"/v1/workspaces/{demo}/api-keys", params={"limit": 1}, headers=admin
    )
    assert [k["name"] for k in every.json()["items"]] == ["one"] and every.json()["next_cursor"]
