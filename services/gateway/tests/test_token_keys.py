"""Access-token keys: no constant signs, secrets are long, keys rotate with two accepted."""

import stat
import time
from uuid import UUID

import jwt
import pytest
from pydantic import ValidationError

from gateway.config import GatewaySettings
from gateway.identity.tokens import AUDIENCE, ISSUER, issue_access_token, key_id

PROBLEM = "application/problem+json"
# The constant the source used to sign with when no secret was configured (issue #9): a token
# signed with it must be worthless everywhere.
FORMER_SOURCE_SECRET = "yunying-development-jwt-secret-change-me-0123456789"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def user_id(gateway) -> UUID:
    headers = await gateway.login()
    return UUID((await gateway.client.get("/v1/me", headers=headers)).json()["id"])


async def test_token_signed_with_the_former_source_constant_is_refused(gateway):
    admin = await user_id(gateway)
    forged = issue_access_token(admin, secret=FORMER_SOURCE_SECRET, ttl_seconds=600)
    legacy_claims = {"iss": ISSUER, "sub": str(admin), "typ": "access", "exp": time.time() + 600}
    legacy = jwt.encode(legacy_claims, FORMER_SOURCE_SECRET, algorithm="HS256")
    for token in (forged, legacy):
        response = await gateway.client.get("/v1/workspaces", headers=bearer(token))
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == PROBLEM


async def test_tokens_carry_kid_audience_and_the_pinned_algorithm(gateway):
    headers = await gateway.login()
    token = headers["Authorization"].removeprefix("Bearer ")
    secret = gateway.app.state.settings.jwt_secret.get_secret_value()
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": key_id(secret)}
    claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["iss"] == ISSUER
    assert claims["exp"] > claims["iat"]


async def test_tokens_without_audience_or_with_another_algorithm_are_refused(gateway):
    admin = str(await user_id(gateway))
    secret = gateway.app.state.settings.jwt_secret.get_secret_value()
    now = int(time.time())
    base = {"iss": ISSUER, "sub": admin, "typ": "access", "iat": now, "exp": now + 600}
    kid = {"kid": key_id(secret)}
    no_audience = jwt.encode(base, secret, algorithm="HS256", headers=kid)
    wrong_audience = jwt.encode({**base, "aud": "other"}, secret, algorithm="HS256", headers=kid)
    other_algorithm = jwt.encode({**base, "aud": AUDIENCE}, secret, algorithm="HS512", headers=kid)
    unsigned = jwt.encode({**base, "aud": AUDIENCE}, None, algorithm="none", headers=kid)
    no_expiry = jwt.encode(
        {k: v for k, v in {**base, "aud": AUDIENCE}.items() if k != "exp"},
        secret,
        algorithm="HS256",
        headers=kid,
    )
    for token in (no_audience, wrong_audience, other_algorithm, unsigned, no_expiry):
        response = await gateway.client.get("/v1/me", headers=bearer(token))
        assert response.status_code == 401, token


async def test_rotation_accepts_the_previous_key_until_it_is_removed(
    gateway_settings, database_url, local_transport
):
    from gateway.main import create_app
    from yunying_shared.testing.apps import running

    old, new = "old-key-" + "o" * 40, "new-key-" + "n" * 40
    before = gateway_settings(database_url, jwt_secret=old)
    during = gateway_settings(database_url, jwt_secret=new, jwt_accepted_secrets=old)
    after = gateway_settings(database_url, jwt_secret=new)
    assert [s.get_secret_value() for s in during.jwt_accepted_secrets] == [old]

    async def me_status(settings: GatewaySettings, token: str) -> int:
        app = create_app(settings, transport=local_transport, upstreams={})
        async with running(app) as client:
            return (await client.get("/v1/me", headers=bearer(token))).status_code

    app = create_app(before, transport=local_transport, upstreams={})
    async with running(app) as client:
        admin = UUID(
            (await client.get("/v1/me", headers=await _login(client, before))).json()["id"]
        )
    old_token = issue_access_token(admin, secret=old, ttl_seconds=600)
    new_token = issue_access_token(admin, secret=new, ttl_seconds=600)
    assert await me_status(before, old_token) == 200
    assert await me_status(before, new_token) == 401
    assert await me_status(during, old_token) == 200
    assert await me_status(during, new_token) == 200
    assert await me_status(after, old_token) == 401
    assert await me_status(after, new_token) == 200


async def _login(client, settings: GatewaySettings) -> dict[str, str]:
    assert settings.admin_password is not None
    credentials = {
        "email": settings.admin_email,
        "password": settings.admin_password.get_secret_value(),
    }
    response = await client.post("/v1/auth/login", json=credentials)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def test_missing_jwt_secret_is_generated_into_the_state_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("YUNYING_GATEWAY_JWT_SECRET", raising=False)
    first = GatewaySettings.for_gateway(state_dir=tmp_path)
    second = GatewaySettings.for_gateway(state_dir=tmp_path)
    value = first.jwt_secret.get_secret_value()
    assert value == second.jwt_secret.get_secret_value()
    assert value != first.internal_token_secret.get_secret_value()
    stored = tmp_path / "secrets" / "jwt-secret"
    assert stored.read_text().strip() == value
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_short_jwt_secrets_are_refused_in_every_mode(tmp_path, environment):
    for field, variable in (
        ("jwt_secret", "YUNYING_GATEWAY_JWT_SECRET"),
        ("jwt_accepted_secrets", "YUNYING_GATEWAY_JWT_ACCEPTED_SECRETS"),
    ):
        with pytest.raises(ValidationError, match=f"{variable} must be at least 32 bytes"):
            GatewaySettings.for_gateway(environment=environment, state_dir=tmp_path, **{field: "k"})
