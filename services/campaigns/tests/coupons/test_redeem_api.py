"""POST /v1/coupons/redeem as POS and CRM systems call it: the scope, the reasons, and 50
concurrent redemptions of one code on PostgreSQL of which exactly one succeeds."""

import asyncio
import uuid
from collections import Counter

import pytest

from campaigns.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


def api_key(workspace_id, *scopes):
    return Principal(
        subject="pos-1", kind="api_key", workspace_id=workspace_id, scopes=frozenset(scopes)
    )


async def _issued_code(client, headers):
    template = await client.post(
        "/v1/coupons/templates",
        headers=headers,
        json={
            "name": "满100减20",
            "kind": "threshold",
            "amount_off": "20",
            "threshold_amount": "100",
        },
    )
    assert template.status_code == 201, template.text
    issued = await client.post(
        "/v1/coupons/issue",
        headers=headers,
        json={"template_id": template.json()["id"], "user_id": "u1", "reason": "service recovery"},
    )
    assert issued.status_code == 200 and issued.json()["created"] is True
    return issued.json()["coupon"]["code"]


@pytest.mark.postgres
async def test_fifty_concurrent_redemptions_one_wins(tmp_path, settings_for, local_transport):
    workspace_id = uuid.uuid4()
    async with fresh_database("postgresql", tmp_path) as url:
        app = create_app(
            settings_for("campaigns", url, database_pool_size=20), transport=local_transport
        )
        async with running(app) as client:
            code = await _issued_code(
                client, internal_headers(app, user_principal(workspace_id, "operator"))
            )
            pos = internal_headers(app, api_key(workspace_id, "coupons:redeem"))
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/v1/coupons/redeem", headers=pos, json={"code": code, "order_id": f"o{i}"}
                    )
                    for i in range(50)
                )
            )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: 49}, statuses
    assert all(
        r.headers["content-type"] == "application/problem+json"
        for r in responses
        if r.status_code == 409
    )


async def test_redeem_needs_its_scope_and_says_why_not(
    dialect, tmp_path, settings_for, local_transport
):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("campaigns", url), transport=local_transport)
        async with running(app) as client:
            code = await _issued_code(
                client, internal_headers(app, user_principal(workspace_id, "operator"))
            )
            unscoped = internal_headers(app, api_key(workspace_id, "campaigns:read"))
            refused = await client.post("/v1/coupons/redeem", headers=unscoped, json={"code": code})
            assert refused.status_code == 403

            foreign = internal_headers(app, api_key(uuid.uuid4(), "coupons:redeem"))
            missing = await client.post("/v1/coupons/redeem", headers=foreign, json={"code": code})
            assert missing.status_code == 404
            assert missing.json()["errors"][0]["field"] == "code"

            pos = internal_headers(app, api_key(workspace_id, "coupons:redeem"))
            other_user = await client.post(
                "/v1/coupons/redeem", headers=pos, json={"code": code, "user_id": "u2"}
            )
            assert other_user.status_code == 409
            assert other_user.json()["errors"][0]["field"] == "user_id"
            ok = await client.post(
                "/v1/coupons/redeem", headers=pos, json={"code": code, "order_id": "o1"}
            )
            assert ok.status_code == 200 and ok.json()["redeemed_order_id"] == "o1"
            used = await client.post("/v1/coupons/redeem", headers=pos, json={"code": code})
            assert used.status_code == 409 and "already redeemed" in used.json()["detail"]
            bad = await client.post("/v1/coupons/redeem", headers=pos, json={"code": ""})
            assert bad.status_code == 422
