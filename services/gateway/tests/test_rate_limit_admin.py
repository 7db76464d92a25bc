"""Rate-limit sizes set through the API: a workspace's for its keys and users, a single key's,
cleared back to the deployment's; bounded, admins only, audited, and applied by every replica
within its refresh period (on PostgreSQL and SQLite)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from gateway.main import create_app
from yunying_shared.testing.apps import running

# Slow refill: within a test, no bucket gains a token back, so counts are exact.
SLOW = 0.001


async def _key(gateway: Any, admin: dict[str, str], workspace: str, name: str) -> dict[str, Any]:
    created = await gateway.client.post(
        f"/v1/workspaces/{workspace}/api-keys",
        headers=admin,
        json={"name": name, "scopes": ["events:write"]},
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _send(client: httpx.AsyncClient, key: dict[str, Any]) -> tuple[int, int, int]:
    response = await client.post("/v1/events", headers={"X-API-Key": key["key"]}, json={})
    return (
        response.status_code,
        int(response.headers["x-ratelimit-limit"]),
        int(response.headers["x-ratelimit-remaining"]),
    )


async def test_a_workspace_and_a_key_limit_apply_at_once_and_clearing_restores_the_default(
    gateway,
):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    limits_url = f"/v1/workspaces/{demo}/rate-limits"
    first, second = [await _key(gateway, admin, demo, f"CRM {i}") for i in range(2)]

    before = await gateway.client.get(limits_url, headers=admin)
    assert before.status_code == 200, before.text
    assert before.json()["api_key"] == {"per_second": 50.0, "burst": 200, "source": "deployment"}
    assert before.json()["updated_at"] is None
    assert before.json()["propagation_seconds"] == 5.0

    set_ = await gateway.client.put(
        limits_url, headers=admin, json={"api_key": {"per_second": SLOW, "burst": 3}}
    )
    assert set_.status_code == 200, set_.text
    assert set_.json()["api_key"] == {"per_second": SLOW, "burst": 3, "source": "workspace"}
    assert set_.json()["user"] == {"per_second": 50.0, "burst": 500, "source": "deployment"}
    assert set_.json()["address"]["source"] == "deployment"
    assert set_.json()["updated_at"] is not None
    # X-RateLimit-Limit follows, and the fourth request is refused.
    assert [await _send(gateway.client, first) for _ in range(4)] == [
        (200, 3, 2),
        (200, 3, 1),
        (200, 3, 0),
        (429, 3, 0),
    ]

    # The key's own size wins over the workspace's.
    key_url = f"/v1/workspaces/{demo}/api-keys/{second['id']}/rate-limit"
    assert (await gateway.client.get(key_url, headers=admin)).json()["source"] == "workspace"
    own = await gateway.client.put(key_url, headers=admin, json={"per_second": SLOW, "burst": 1})
    assert own.status_code == 200, own.text
    assert {k: own.json()[k] for k in ("api_key_id", "burst", "source")} == {
        "api_key_id": second["id"],
        "burst": 1,
        "source": "api_key",
    }
    assert [await _send(gateway.client, second) for _ in range(2)] == [(200, 1, 0), (429, 1, 0)]

    # Cleared: the workspace's keys take the deployment's size again; the key keeps its own.
    cleared = await gateway.client.delete(limits_url, headers=admin)
    assert cleared.status_code == 204
    assert (await gateway.client.get(limits_url, headers=admin)).json()["api_key"] == {
        "per_second": 50.0,
        "burst": 200,
        "source": "deployment",
    }
    assert (await _send(gateway.client, first))[1] == 200
    assert (await _send(gateway.client, second))[1] == 1
    assert (await gateway.client.delete(key_url, headers=admin)).status_code == 204
    assert (await gateway.client.get(key_url, headers=admin)).json()["source"] == "deployment"
    assert (await _send(gateway.client, second))[1] == 200

    # Every change is in the workspace's audit log.
    audit = await gateway.client.get(f"/v1/workspaces/{demo}/audit", headers=admin)
    entries = [
        (e["action"], e["target_type"], e["target_id"], e["detail"])
        for e in audit.json()["items"]
        if e["action"].startswith("rate_limit.")
    ]
    assert entries == [
        ("rate_limit.cleared", "api_key", second["id"], {}),
        ("rate_limit.cleared", "workspace", demo, {}),
        ("rate_limit.set", "api_key", second["id"], {"api_key": "0.001/s, burst 1"}),
        ("rate_limit.set", "workspace", demo, {"api_key": "0.001/s, burst 3", "user": None}),
    ]
    only_sets = await gateway.client.get(
        f"/v1/workspaces/{demo}/audit", headers=admin, params={"action": "rate_limit.set"}
    )
    assert len(only_sets.json()["items"]) == 2


async def test_a_workspace_user_limit_sizes_its_users_buckets(gateway_with):
    async with gateway_with() as gateway:
        admin = await gateway.login()
        demo = await gateway.demo_id(admin)
        answer = await gateway.client.put(
            f"/v1/workspaces/{demo}/rate-limits",
            headers=admin,
            json={"user": {"per_second": SLOW, "burst": 2}},
        )
        assert answer.status_code == 200, answer.text
        seen = []
        for _ in range(3):
            response = await gateway.client.get("/v1/me", headers=admin)
            seen.append((response.status_code, response.headers["x-ratelimit-limit"]))
        assert seen == [(200, "2"), (200, "2"), (429, "2")]


async def test_bad_sizes_unknown_keys_and_non_admins_are_refused(gateway_with):
    async with gateway_with(rate_limit_max_burst=50) as gateway:
        admin = await gateway.login()
        demo = await gateway.demo_id(admin)
        limits_url = f"/v1/workspaces/{demo}/rate-limits"

        async def refused(method: str, url: str, body: Any, status: int) -> list[str]:
            answer = await gateway.client.request(method, url, headers=admin, json=body)
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            return [error["field"] for error in answer.json().get("errors", [])]

        assert await refused(
            "PUT", limits_url, {"api_key": {"per_second": 1, "burst": 0}}, 422
        ) == ["body.api_key.burst"]
        assert await refused("PUT", limits_url, {"user": {"per_second": 0, "burst": 5}}, 422) == [
            "body.user.per_second"
        ]
        assert await refused(
            "PUT", limits_url, {"address": {"per_second": 1, "burst": 5}}, 422
        ) == ["body.address"]
        # Within the schema's bounds but above this deployment's ceiling.
        assert await refused(
            "PUT", limits_url, {"api_key": {"per_second": 10, "burst": 51}}, 422
        ) == ["body.api_key.burst"]

        key = await _key(gateway, admin, demo, "CRM")
        key_url = f"/v1/workspaces/{demo}/api-keys/{key['id']}/rate-limit"
        assert await refused("PUT", key_url, {"per_second": 20_000, "burst": 5}, 422) == [
            "body.per_second"
        ]
        unknown = f"/v1/workspaces/{demo}/api-keys/{demo}/rate-limit"
        await refused("PUT", unknown, {"per_second": 1, "burst": 5}, 404)
        await refused("GET", unknown, None, 404)

        # A key of another workspace is not found through this one.
        other = await gateway.client.post(
            "/v1/workspaces", headers=admin, json={"name": "Brand B", "slug": "brand-b"}
        )
        foreign = await _key(gateway, admin, other.json()["id"], "B's CRM")
        foreign_url = f"/v1/workspaces/{demo}/api-keys/{foreign['id']}/rate-limit"
        await refused("PUT", foreign_url, {"per_second": 1, "burst": 5}, 404)
        await refused("DELETE", foreign_url, None, 404)

        # An operator of the workspace may not read nor change its limits.
        operator = {"email": "ops@brand.example", "password": "a long operator passphrase"}
        added = await gateway.client.post(
            f"/v1/workspaces/{demo}/members", headers=admin, json={**operator, "role": "operator"}
        )
        assert added.status_code == 201, added.text
        as_operator = await gateway.login(**operator)
        for method, body in (("GET", None), ("PUT", {}), ("DELETE", None)):
            answer = await gateway.client.request(
                method, limits_url, headers=as_operator, json=body
            )
            assert answer.status_code == 403, (method, answer.text)
        answer = await gateway.client.put(
            key_url, headers=as_operator, json={"per_second": 1, "burst": 5}
        )
        assert answer.status_code == 403
        # Nothing was stored by any of these.
        assert (await gateway.client.get(limits_url, headers=admin)).json()["updated_at"] is None


async def test_another_replica_applies_a_change_within_its_refresh_period(
    gateway, database_url, gateway_settings, local_transport
):
    settings = gateway_settings(database_url, rate_limit_refresh_seconds=0.05)
    other_replica = create_app(settings, transport=local_transport)
    async with running(other_replica) as other:

        async def limit_there(key: dict[str, Any]) -> str:
            # Any API answer carries the limit (here a 403: keys do not list workspaces).
            answer = await other.get("/v1/workspaces", headers={"X-API-Key": key["key"]})
            return answer.headers["x-ratelimit-limit"]

        admin = await gateway.login()
        demo = await gateway.demo_id(admin)
        key = await _key(gateway, admin, demo, "CRM")
        assert await limit_there(key) == "200"
        answer = await gateway.client.put(
            f"/v1/workspaces/{demo}/rate-limits",
            headers=admin,
            json={"api_key": {"per_second": SLOW, "burst": 7}},
        )
        assert answer.status_code == 200, answer.text
        # No request reaches the other replica meanwhile: its periodic read applies the change.
        for _ in range(400):
            if other_replica.state.rate_limiter.table.by_workspace:
                break
            await asyncio.sleep(0.025)
        assert await limit_there(key) == "7"
