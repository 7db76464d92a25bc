"""Sessions a frontend expects, on SQLite and PostgreSQL: a login is a session listed with its
device; revoking one ends its refresh token and its access tokens at the next request; an
admin signs a member out everywhere; a password change signs out every other session."""

from sqlalchemy import select

from gateway.sessions.models import LoginSession

OPERATOR = {"email": "op@brand.example", "password": "operator-passw0rd-7"}


async def _login(gateway, email, password, agent):
    response = await gateway.client.post(
        "/v1/auth/login",
        json={"email": email, "password": password},
        headers={"user-agent": agent},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['access_token']}"}, body["refresh_token"]


async def _add_operator(gateway, admin, workspace):
    added = await gateway.client.post(
        f"/v1/workspaces/{workspace}/members",
        headers=admin,
        json={**OPERATOR, "role": "operator"},
    )
    assert added.status_code == 201, added.text
    return added.json()["user_id"]


async def test_my_sessions_are_listed_and_one_is_revoked_at_once(gateway):
    laptop, laptop_refresh = await _login(
        gateway, gateway.admin_email, gateway.admin_password, "Laptop/1.0"
    )
    phone, phone_refresh = await _login(
        gateway, gateway.admin_email, gateway.admin_password, "Phone/2.0"
    )
    listed = await gateway.client.get("/v1/me/sessions", headers=laptop)
    assert listed.status_code == 200, listed.text
    sessions = listed.json()["items"]
    assert {s["user_agent"] for s in sessions} == {"Laptop/1.0", "Phone/2.0"}
    current = [s for s in sessions if s["current"]]
    assert [s["user_agent"] for s in current] == ["Laptop/1.0"]
    phone_id = next(s["id"] for s in sessions if s["user_agent"] == "Phone/2.0")

    revoked = await gateway.client.delete(f"/v1/me/sessions/{phone_id}", headers=laptop)
    assert revoked.status_code == 204
    # The phone's access token stops working now, not when it expires...
    refused = await gateway.client.get("/v1/me", headers=phone)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    # ...and its refresh token cannot continue it.
    refreshed = await gateway.client.post("/v1/auth/refresh", json={"refresh_token": phone_refresh})
    assert refreshed.status_code == 401
    # The laptop is untouched, and refreshing keeps it the same session.
    assert (await gateway.client.get("/v1/me", headers=laptop)).status_code == 200
    again = await gateway.client.post("/v1/auth/refresh", json={"refresh_token": laptop_refresh})
    assert again.status_code == 200, again.text
    renewed = {"Authorization": f"Bearer {again.json()['access_token']}"}
    remaining = (await gateway.client.get("/v1/me/sessions", headers=renewed)).json()["items"]
    assert [(s["user_agent"], s["current"]) for s in remaining] == [("Laptop/1.0", True)]

    # Someone else's session, or a made-up one, is not found.
    unknown = await gateway.client.delete(
        "/v1/me/sessions/00000000-0000-4000-8000-000000000000", headers=renewed
    )
    assert unknown.status_code == 404


async def test_logout_ends_the_session_too(gateway):
    headers, refresh = await _login(
        gateway, gateway.admin_email, gateway.admin_password, "Tablet/3"
    )
    out = await gateway.client.post("/v1/auth/logout", json={"refresh_token": refresh})
    assert out.status_code == 204
    assert (await gateway.client.get("/v1/me", headers=headers)).status_code == 401
    async with gateway.app.state.database.session() as session:
        reasons = set(await session.scalars(select(LoginSession.revoked_reason)))
    assert "logout" in reasons


async def test_an_admin_signs_a_member_out_everywhere(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    member_id = await _add_operator(gateway, admin, demo)
    first, _ = await _login(gateway, OPERATOR["email"], OPERATOR["password"], "A")
    second, second_refresh = await _login(gateway, OPERATOR["email"], OPERATOR["password"], "B")

    # A member cannot sign out the admin.
    me = (await gateway.client.get("/v1/me", headers=admin)).json()["id"]
    forbidden = await gateway.client.delete(
        f"/v1/workspaces/{demo}/members/{me}/sessions", headers=first
    )
    assert forbidden.status_code == 403

    done = await gateway.client.delete(
        f"/v1/workspaces/{demo}/members/{member_id}/sessions", headers=admin
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"revoked": 2}
    for headers in (first, second):
        assert (await gateway.client.get("/v1/me", headers=headers)).status_code == 401
    assert (
        await gateway.client.post("/v1/auth/refresh", json={"refresh_token": second_refresh})
    ).status_code == 401
    # The admin still works, and the member can log in again.
    assert (await gateway.client.get("/v1/me", headers=admin)).status_code == 200
    await _login(gateway, OPERATOR["email"], OPERATOR["password"], "C")

    stranger = await gateway.client.delete(
        f"/v1/workspaces/{demo}/members/00000000-0000-4000-8000-000000000000/sessions",
        headers=admin,
    )
    assert stranger.status_code == 404


async def test_a_password_change_signs_out_the_other_sessions(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    await _add_operator(gateway, admin, demo)
    here, here_refresh = await _login(gateway, OPERATOR["email"], OPERATOR["password"], "Here")
    there, there_refresh = await _login(gateway, OPERATOR["email"], OPERATOR["password"], "There")

    wrong = await gateway.client.post(
        "/v1/me/password",
        headers=here,
        json={"current_password": "not-my-password", "new_password": "violet-kettle-harbour-9"},
    )
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["body.current_password"]
    weak = await gateway.client.post(
        "/v1/me/password",
        headers=here,
        json={"current_password": OPERATOR["password"], "new_password": "password1234"},
    )
    assert weak.status_code == 422
    assert (await gateway.client.get("/v1/me", headers=there)).status_code == 200  # unchanged

    changed = await gateway.client.post(
        "/v1/me/password",
        headers=here,
        json={"current_password": OPERATOR["password"], "new_password": "violet-kettle-harbour-9"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"revoked": 1}
    assert (await gateway.client.get("/v1/me", headers=there)).status_code == 401
    assert (
        await gateway.client.post("/v1/auth/refresh", json={"refresh_token": there_refresh})
    ).status_code == 401
    # This session goes on, with its refresh token.
    assert (await gateway.client.get("/v1/me", headers=here)).status_code == 200
    assert (
        await gateway.client.post("/v1/auth/refresh", json={"refresh_token": here_refresh})
    ).status_code == 200
    old = await gateway.client.post("/v1/auth/login", json=OPERATOR)
    assert old.status_code == 401
    await _login(gateway, OPERATOR["email"], "violet-kettle-harbour-9", "New")
