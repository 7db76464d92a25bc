import time
from uuid import UUID

from gateway.identity.tokens import issue_access_token

PROBLEM = "application/problem+json"


async def test_login_returns_a_working_token_pair(gateway):
    response = await gateway.client.post(
        "/v1/auth/login", json={"email": "ADMIN@yunying.local", "password": gateway.admin_password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    me = await gateway.client.get(
        "/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert me.json()["email"] == gateway.admin_email
    assert me.json()["is_superuser"] is True
    assert [m["workspace_slug"] for m in me.json()["memberships"]] == ["demo"]
    assert me.json()["memberships"][0]["role"] == "admin"


async def test_wrong_password_and_unknown_email_look_the_same(gateway):
    wrong = await gateway.client.post(
        "/v1/auth/login", json={"email": gateway.admin_email, "password": "not-it"}
    )
    unknown = await gateway.client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "not-it"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == unknown.headers["content-type"] == PROBLEM
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Incorrect email or password."


async def _login_pair(gateway):
    response = await gateway.client.post(
        "/v1/auth/login", json={"email": gateway.admin_email, "password": gateway.admin_password}
    )
    return response.json()


async def test_refresh_rotates_and_detects_reuse(gateway):
    first = await _login_pair(gateway)
    second = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    me = await gateway.client.get(
        "/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 200

    replay = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401
    assert replay.headers["content-type"] == PROBLEM
    assert replay.json()["type"].endswith("refresh_token_reused")
    # The reuse signed the whole family out, the legitimate newest token included.
    newest = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert newest.status_code == 401

    other_login = await _login_pair(gateway)
    unaffected = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": other_login["refresh_token"]}
    )
    assert unaffected.status_code == 200


async def test_unknown_and_expired_refresh_tokens_are_refused(gateway):
    unknown = await gateway.client.post("/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert unknown.status_code == 401
    gateway.app.state.settings.refresh_token_ttl_seconds = -1
    try:
        pair = await _login_pair(gateway)
    finally:
        gateway.app.state.settings.refresh_token_ttl_seconds = 3600
    expired = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert expired.status_code == 401
    assert expired.json()["type"].endswith("invalid_refresh_token")


async def test_logout_revokes_the_refresh_token(gateway):
    pair = await _login_pair(gateway)
    out = await gateway.client.post(
        "/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}
    )
    assert out.status_code == 204
    again = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert again.status_code == 401


async def test_expired_or_forged_access_tokens_are_refused(gateway):
    headers = await gateway.login()
    user_id = UUID((await gateway.client.get("/v1/me", headers=headers)).json()["id"])
    secret = gateway.app.state.settings.jwt_secret.get_secret_value()
    expired = issue_access_token(
        user_id, secret=secret, ttl_seconds=60, now=int(time.time()) - 3600
    )
    forged = issue_access_token(
        user_id, secret="another-secret-of-sufficient-length-0123", ttl_seconds=60
    )
    for token in (expired, forged, "not-a-jwt"):
        response = await gateway.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.headers["content-type"] == PROBLEM
    expired_body = (
        await gateway.client.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    ).json()
    assert "expired" in expired_body["detail"]


async def test_requests_without_credentials_are_refused(gateway):
    for headers in ({}, {"Authorization": "Basic YWRtaW46YWRtaW4="}, {"Authorization": "Bearer "}):
        response = await gateway.client.get("/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM


async def _stored_hash(gateway, email):
    from sqlalchemy import select

    from gateway.identity.models import User

    async with gateway.app.state.database.session() as session:
        return await session.scalar(select(User.password_hash).where(User.email == email))


async def test_login_upgrades_a_hash_made_with_old_parameters(gateway):
    old = await _stored_hash(gateway, gateway.admin_email)
    assert "m=1024,t=1,p=1" in old
    settings = gateway.app.state.settings
    settings.password_time_cost = 2
    await gateway.login()
    new = await _stored_hash(gateway, gateway.admin_email)
    assert "m=1024,t=2,p=1" in new
    await gateway.login()  # the upgraded hash still matches
    assert await _stored_hash(gateway, gateway.admin_email) == new
