"""Scenario (b): a user signs up with a referral code; the inviter's "invite 3 friends" reward
is issued exactly once (also when events are delivered again) and segmentation records the
source. The sign-ups are CRM events posted to segmentation's `POST /v1/events`; segmentation
republishes them as `user_event.accepted`, campaigns attributes and rewards them and publishes
`referral.signup_attributed`, which segmentation records on the invitee's profile.

Once through the gateway of the embedded mode, and once with the two services on each runtime
mode's database and bus (SQLite and the local transport; PostgreSQL and Kafka).
"""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from campaigns.main import DEFINITION as CAMPAIGNS
from campaigns.main import create_app as create_campaigns
from segmentation.main import DEFINITION as SEGMENTATION
from segmentation.main import create_app as create_segmentation
from yunying_shared.bus import Message
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import USER_EVENT_ACCEPTED
from yunying_shared.events.payloads.segmentation import UserEventAccepted
from yunying_shared.runtime.embedded import EmbeddedApp
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database
from yunying_shared.testing.groups import isolated_consumer_group

ADMIN = {"email": "ops@brand.example", "password": "correct horse battery staple"}
FRIENDS = ["friend-1", "friend-2", "friend-3"]
Call = Callable[..., Any]


# Generous: on Kafka a consumer group's first rebalance alone can take tens of seconds.
PATIENCE_SECONDS = 120.0
# The test's internal tokens outlive its slowest run (a Kafka rebalance plus the waits).
TOKEN_TTL = 900


async def _eventually(probe: Callable[[], Any], what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + PATIENCE_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened within {PATIENCE_SECONDS:.0f} s: {what}")


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _set_up_referral_campaign(campaigns: httpx.AsyncClient, headers: dict) -> str:
    """A referral campaign whose program rewards the inviter at 3 friends and each invitee;
    returns the inviter's invite code."""
    campaign = _ok(
        await campaigns.post(
            "/v1/campaigns",
            headers=headers,
            json={"name": "邀请3位好友得50元", "type": "referral", "platforms": ["wechat"]},
        ),
        201,
    )
    inviter_coupon = _ok(
        await campaigns.post(
            "/v1/coupons/templates",
            headers=headers,
            json={"name": "邀3得50", "kind": "amount_off", "amount_off": "50"},
        ),
        201,
    )
    welcome = _ok(
        await campaigns.post(
            "/v1/coupons/templates",
            headers=headers,
            json={"name": "新人10元", "kind": "amount_off", "amount_off": "10"},
        ),
        201,
    )
    _ok(
        await campaigns.put(
            f"/v1/campaigns/{campaign['id']}/referral-program",
            headers=headers,
            json={
                "inviter_rewards": [{"threshold": 3, "template_id": inviter_coupon["id"]}],
                "invitee_template_id": welcome["id"],
            },
        )
    )
    code = _ok(
        await campaigns.post(
            f"/v1/campaigns/{campaign['id']}/invite-codes",
            headers=headers,
            json={"user_id": "inviter", "device_id": "inviter-phone"},
        )
    )
    return str(code["code"])


def _signups(code: str, now: datetime) -> list[dict]:
    return [
        {
            "event_id": f"signup-{friend}",
            "user_id": friend,
            "type": "referral_signup",
            "occurred_at": (now + timedelta(minutes=i)).isoformat(),
            "invite_code": code,
            "properties": {"device_id": f"device-{friend}"},
        }
        for i, friend in enumerate(FRIENDS)
    ]


async def _check_outcome(
    campaigns: httpx.AsyncClient,
    segmentation: httpx.AsyncClient,
    campaigns_headers: dict,
    segmentation_headers: dict,
) -> None:
    async def inviter_rewarded() -> Any:
        coupons = _ok(await campaigns.get("/v1/coupons?user_id=inviter", headers=campaigns_headers))
        return coupons["items"] or None

    coupons = await _eventually(inviter_rewarded, "the inviter's reward")
    for friend in FRIENDS:

        async def profile_sourced(friend: str = friend) -> Any:
            response = await segmentation.get(f"/v1/users/{friend}", headers=segmentation_headers)
            body = response.json() if response.status_code == 200 else {}
            return body if body.get("source") == "referral" else None

        profile = await _eventually(profile_sourced, f"{friend}'s source")
        assert profile["referred_by"] == "inviter"

    # Give redelivered events time to land before counting (they would add, never remove).
    await asyncio.sleep(1.0)
    coupons = _ok(await campaigns.get("/v1/coupons?user_id=inviter", headers=campaigns_headers))
    assert [c["reason"] for c in coupons["items"]] == ["referral:invited_3"]
    for friend in FRIENDS:
        mine = _ok(await campaigns.get(f"/v1/coupons?user_id={friend}", headers=campaigns_headers))
        assert [c["reason"] for c in mine["items"]] == ["referral:welcome"]


async def test_referral_reward_once_and_source_recorded_through_the_gateway(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    app = EmbeddedApp(tmp_path)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    try:
        login = _ok(await client.post("/v1/auth/login", json=ADMIN))
        auth = {"authorization": f"Bearer {login['access_token']}"}
        workspace = _ok(
            await client.post("/v1/workspaces", headers=auth, json={"name": "品牌", "slug": "b"}),
            201,
        )
        headers = {**auth, "x-workspace-id": workspace["id"]}

        async def known_to_campaigns() -> Any:
            response = await client.get("/v1/campaigns/workspace", headers=headers)
            return True if response.status_code == 200 else None

        await _eventually(known_to_campaigns, "the workspace reaching campaigns")
        code = await _set_up_referral_campaign(client, headers)
        events = _signups(code, datetime.now(UTC))
        first = _ok(await client.post("/v1/events", headers=headers, json={"events": events}))
        assert first["accepted"] == 3, first
        again = _ok(await client.post("/v1/events", headers=headers, json={"events": events}))
        assert again["accepted"] == 0, again
        await _check_outcome(client, client, headers, headers)
    finally:
        await client.aclose()
        await app.shutdown()


async def test_referral_reward_once_and_source_recorded_in_each_mode(mode, tmp_path, settings_for):
    database_url, transport = mode
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as segmentation_url:
        campaigns_app = create_campaigns(
            settings_for(
                "campaigns",
                database_url,
                internal_token_ttl_seconds=TOKEN_TTL,
                **await isolated_consumer_group(database_url, CAMPAIGNS),
            ),
            transport=transport,
        )
        segmentation_app = create_segmentation(
            settings_for(
                "segmentation",
                segmentation_url,
                internal_token_ttl_seconds=TOKEN_TTL,
                **await isolated_consumer_group(database_url, SEGMENTATION),
            ),
            transport=transport,
        )
        async with running(campaigns_app) as campaigns, running(segmentation_app) as segmentation:
            operator = user_principal(workspace_id, "operator")
            campaigns_headers = internal_headers(campaigns_app, operator)
            segmentation_headers = internal_headers(segmentation_app, operator)
            code = await _set_up_referral_campaign(campaigns, campaigns_headers)
            now = datetime.now(UTC)
            events = _signups(code, now)
            posted = _ok(
                await segmentation.post(
                    "/v1/events", headers=segmentation_headers, json={"events": events}
                )
            )
            assert posted["accepted"] == 3, posted
            # The bus delivering one republished sign-up twice (same envelope: the inbox), and
            # once more under a new envelope (as a replay would): neither rewards again.
            replay = UserEventAccepted(
                event_id="signup-friend-3",
                user_id="friend-3",
                kind="referral_signup",
                occurred_at=now,
                invite_code=code,
            )
            envelope = make_event(
                USER_EVENT_ACCEPTED, replay, source="/tests", workspace=workspace_id
            )
            message = Message(USER_EVENT_ACCEPTED.topic, b"friend-3", envelope.to_bytes())
            await transport.publish([message, message])
            fresh = make_event(USER_EVENT_ACCEPTED, replay, source="/tests", workspace=workspace_id)
            await transport.publish(
                [Message(USER_EVENT_ACCEPTED.topic, b"friend-3", fresh.to_bytes())]
            )
            await _check_outcome(campaigns, segmentation, campaigns_headers, segmentation_headers)
            stats = _ok(
                await campaigns.get(
                    f"/v1/campaigns/{await _campaign_id(campaigns, campaigns_headers)}"
                    "/referrals/stats",
                    headers=campaigns_headers,
                )
            )
            assert stats["signups"] == 3 and stats["participants"] == 1
            assert stats["k_factor"] == 3.0


async def _campaign_id(campaigns: httpx.AsyncClient, headers: dict) -> str:
    (campaign,) = _ok(await campaigns.get("/v1/campaigns", headers=headers))["items"]
    return str(campaign["id"])
