"""Login throttling (per account, per address), bounded hashing and the password policy."""

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from gateway.bootstrap import generated_admin_password
from gateway.identity import throttle
from gateway.identity.password_policy import MIN_LENGTH, password_problem
from gateway.identity.passwords import HashingBusy, HashingGate, gate_for
from gateway.main import create_app
from yunying_shared.testing.apps import running

PROBLEM = "application/problem+json"


def credentials(gateway, password: str | None = None) -> dict[str, str]:
    return {"email": gateway.admin_email, "password": password or gateway.admin_password}


async def test_repeated_failures_lock_the_account_even_for_the_right_password(gateway):
    settings = gateway.app.state.settings
    statuses = []
    for _ in range(settings.login_account_max_failures + 3):
        response = await gateway.client.post(
            "/v1/auth/login", json=credentials(gateway, "wrong-password-guess")
        )
        statuses.append(response.status_code)
    allowed = settings.login_account_max_failures
    assert statuses[:allowed] == [401] * allowed
    assert set(statuses[allowed:]) == {429}
    right = await gateway.client.post("/v1/auth/login", json=credentials(gateway))
    assert right.status_code == 429
    assert right.headers["content-type"] == PROBLEM
    assert right.json()["status"] == 429
    retry_after = int(right.headers["retry-after"])
    assert 0 < retry_after <= settings.login_lockout_base_seconds


async def test_a_superuser_lifts_the_lock(gateway):
    admin = await gateway.login()
    victim = {"email": "victim@brand.example", "password": "victim-passw0rd-77", "role": "analyst"}
    demo = await gateway.demo_id(admin)
    added = await gateway.client.post(f"/v1/workspaces/{demo}/members", json=victim, headers=admin)
    assert added.status_code == 201, added.text
    settings = gateway.app.state.settings
    for _ in range(settings.login_account_max_failures + 1):
        await gateway.client.post(
            "/v1/auth/login", json={"email": victim["email"], "password": "not-the-one-0"}
        )
    login = {"email": victim["email"], "password": victim["password"]}
    assert (await gateway.client.post("/v1/auth/login", json=login)).status_code == 429
    cleared = await gateway.client.post(
        "/v1/login-throttles/clear", json={"email": victim["email"]}, headers=admin
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json() == {"cleared": 1}
    unlocked = await gateway.client.post("/v1/auth/login", json=login)
    assert unlocked.status_code == 200, unlocked.text
    victim_headers = {"Authorization": f"Bearer {unlocked.json()['access_token']}"}
    refused = await gateway.client.post(
        "/v1/login-throttles/clear", json={"email": gateway.admin_email}, headers=victim_headers
    )
    assert refused.status_code == 403
    empty = await gateway.client.post("/v1/login-throttles/clear", json={}, headers=admin)
    assert empty.status_code == 422


async def test_failures_across_accounts_lock_the_client_address(
    gateway_settings, database_url, local_transport
):
    settings = gateway_settings(database_url, login_address_max_failures=3)
    app = create_app(settings, transport=local_transport, upstreams={})
    async with running(app) as client:
        for number in range(3):
            response = await client.post(
                "/v1/auth/login",
                json={"email": f"guess{number}@brand.example", "password": "guess-passw0rd"},
            )
            assert response.status_code == 401
        # A fresh account, but the same address: locked before any password is checked.
        other = await client.post(
            "/v1/auth/login",
            json={
                "email": settings.admin_email,
                "password": settings.admin_password.get_secret_value(),
            },
        )
        assert other.status_code == 429
        assert int(other.headers["retry-after"]) >= 1


async def test_lock_grows_with_each_failure_after_it_and_ends_by_time(database, gateway_settings):
    settings = gateway_settings(login_account_max_failures=2, login_lockout_base_seconds=30)
    keys = [throttle.ThrottleKey(throttle.account_key("a@b.example"), 2)]
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    await throttle.record_failure(database, keys, settings, now=start)
    await throttle.ensure_not_locked(database, keys, now=start)
    await throttle.record_failure(database, keys, settings, now=start)
    waits = []
    moment = start
    for _ in range(3):
        with pytest.raises(throttle.LoginThrottled) as locked:
            await throttle.ensure_not_locked(database, keys, now=moment)
        waits.append(locked.value.retry_after)
        moment += timedelta(seconds=locked.value.retry_after)
        await throttle.ensure_not_locked(database, keys, now=moment)  # expired by time
        await throttle.record_failure(database, keys, settings, now=moment)
    assert waits == [30, 60, 120]


async def test_failures_older_than_the_window_are_forgotten(database, gateway_settings):
    settings = gateway_settings(login_account_max_failures=2, login_failure_window_seconds=600)
    keys = [throttle.ThrottleKey(throttle.account_key("c@d.example"), 2)]
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    await throttle.record_failure(database, keys, settings, now=start)
    later = start + timedelta(seconds=601)
    await throttle.record_failure(database, keys, settings, now=later)
    await throttle.ensure_not_locked(database, keys, now=later)


async def test_hashing_gate_refuses_beyond_its_queue_at_once():
    gate = HashingGate(concurrency=1, queue=1)
    release = threading.Event()
    running_hashes = [asyncio.create_task(gate.run(release.wait, 10)) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(HashingBusy) as busy:
        await gate.run(lambda: "never runs")
    assert busy.value.status_code == 429
    release.set()
    assert await asyncio.gather(*running_hashes) == [True, True]
    assert await gate.run(lambda: "runs again") == "runs again"


async def test_login_flood_beyond_the_hashing_queue_gets_a_fast_429(
    gateway_settings, database_url, local_transport
):
    settings = gateway_settings(database_url, password_hash_concurrency=1, password_hash_queue=0)
    app = create_app(settings, transport=local_transport, upstreams={})
    async with running(app) as client:
        release = threading.Event()
        occupying = asyncio.create_task(gate_for(settings).run(release.wait, 10))
        await asyncio.sleep(0)
        password = settings.admin_password.get_secret_value()
        flooded = await client.post(
            "/v1/auth/login", json={"email": settings.admin_email, "password": password}
        )
        release.set()
        await occupying
        assert flooded.status_code == 429
        assert flooded.headers["retry-after"] == "1"
        assert flooded.json()["type"].endswith("/password_hashing_busy")
        after = await client.post(
            "/v1/auth/login", json={"email": settings.admin_email, "password": password}
        )
        assert after.status_code == 200, after.text


@pytest.mark.parametrize(
    "password", ["12345678", "password1234", "qwertyuiop123", "aaaaaaaaaaaaaaaa", "short-1"]
)
async def test_weak_passwords_are_refused_naming_the_field_and_the_policy(gateway, password):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    response = await gateway.client.post(
        f"/v1/workspaces/{demo}/members",
        json={"email": "weak@brand.example", "password": password, "role": "analyst"},
        headers=admin,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["body.password"]
    assert f"at least {MIN_LENGTH} characters" in errors[0]["message"]


def test_generated_admin_passwords_meet_the_policy():
    generated = {generated_admin_password() for _ in range(20)}
    assert len(generated) == 20
    for password in generated:
        assert len(password) >= MIN_LENGTH
        assert password_problem(password) is None
