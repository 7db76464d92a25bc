"""The operations dashboard in the embedded mode, through the gateway with a real login, over
a small data set whose figures are known: CRM events in segmentation, campaign touches,
outcomes and referrals in campaigns, crisis cases in sentiment-alert, content items in
content-review. Every section is checked figure by figure, then the cache."""

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from campaigns.funnels.models import FunnelOutcome, FunnelTouch
from campaigns.referrals.models import InviteCode, ReferralAttribution
from yunying_shared.runtime.embedded import EmbeddedApp

ADMIN = {"email": "ops@brand.example", "password": "correct horse battery staple"}
RANGE = {"from": "2026-11-02", "to": "2026-11-04"}
IN = datetime(2026, 11, 3, 10, tzinfo=UTC)
BEFORE = datetime(2026, 11, 1, 10, tzinfo=UTC)


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    return tmp_path


def _ok(response: httpx.Response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def _workspace(client: httpx.AsyncClient) -> dict[str, str]:
    token = _ok(await client.post("/v1/auth/login", json=ADMIN))["access_token"]
    auth = {"authorization": f"Bearer {token}"}
    created = _ok(
        await client.post("/v1/workspaces", headers=auth, json={"name": "看板", "slug": "board"}),
        201,
    )
    for _ in range(400):
        body = _ok(await client.get(f"/v1/workspaces/{created['id']}/propagation", headers=auth))
        if body["complete"]:
            break
        await asyncio.sleep(0.05)
    assert body["complete"], body
    return {**auth, "x-workspace-id": created["id"]}


async def _seed_campaigns(app: EmbeddedApp, workspace: uuid.UUID) -> None:
    """Reach 4, 5 exposures, 2 clickers (3 clicks), 2 converted of whom 1 first order, 1
    sharer; 2 accepted referral sign-ups in range (one fraud, one before); 2 inviters."""
    campaign = uuid.uuid4()

    def touch(user, kind, n, at=IN):
        return FunnelTouch(
            workspace_id=workspace,
            campaign_id=campaign,
            user_id=user,
            kind=kind,
            variant="",
            platform="wechat",
            touch_id=f"t{n}",
            occurred_at=at,
        )

    def outcome(user, kind, n, first=False):
        return FunnelOutcome(
            workspace_id=workspace,
            campaign_id=campaign,
            user_id=user,
            kind=kind,
            variant="",
            platform="wechat",
            event_id=f"o{n}",
            first_order=first,
            amount=None,
            occurred_at=IN,
        )

    def signup(invitee, status, at=IN):
        return ReferralAttribution(
            workspace_id=workspace,
            campaign_id=campaign,
            invitee_user_id=invitee,
            inviter_user_id="k1",
            invite_code="INV1",
            event_id=f"s-{invitee}",
            level=1,
            status=status,
            signed_up_at=at,
            attributed_at=at,
        )

    def code(user, value):
        return InviteCode(
            workspace_id=workspace,
            campaign_id=campaign,
            user_id=user,
            code=value,
            shares=2,
            created_at=BEFORE,
        )

    rows = [
        *(touch(f"u{i}", "exposure", i) for i in range(1, 5)),
        touch("u1", "exposure", 5),
        touch("u9", "exposure", 6, at=BEFORE),
        touch("u1", "click", 7),
        touch("u1", "click", 8),
        touch("u2", "click", 9),
        outcome("u1", "purchase", 1, first=True),
        outcome("u2", "purchase", 2),
        outcome("u3", "share", 3),
        signup("r1", "accepted"),
        signup("r2", "accepted"),
        signup("r3", "fraud"),
        signup("r4", "accepted", at=BEFORE),
        code("k1", "INV1"),
        code("k2", "INV2"),
    ]
    async with app.services["campaigns"].state.database.session() as session:
        session.add_all(rows)
        await session.commit()


async def _seed_segmentation(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Three customers active in the range: c1 buys twice, c2 once, c3 only views."""

    def event(n, user, kind, **extra):
        return {
            "event_id": f"e{n}",
            "user_id": user,
            "type": kind,
            "occurred_at": IN.isoformat(),
            **extra,
        }

    events = [
        event(1, "c1", "purchase", amount="99", currency="CNY", order_id="o1"),
        event(2, "c1", "purchase", amount="59", currency="CNY", order_id="o2"),
        event(3, "c2", "purchase", amount="199", currency="CNY", order_id="o3"),
        event(4, "c3", "page_view"),
    ]
    result = _ok(await client.post("/v1/events", headers=headers, json={"events": events}))
    assert result["accepted"] == 4, result


async def _seed_crises(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for title, level in (("直播翻车", "red"), ("差评扩散", "orange"), ("已平息", "orange")):
        case = _ok(
            await client.post("/v1/crises", headers=headers, json={"title": title, "level": level}),
            201,
        )
    _ok(
        await client.post(
            f"/v1/crises/{case['id']}/transition", headers=headers, json={"to_state": "closed"}
        )
    )


async def _seed_content(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Two items scanned (waiting for stage 1), one draft."""
    for n in range(3):
        item = _ok(
            await client.post(
                "/v1/content/items",
                headers=headers,
                json={
                    "platform": "xiaohongshu",
                    "kind": "干货",
                    "title": f"秋冬护肤第{n}期",
                    "body": "保湿三步法，敏感肌也能用。",
                },
            ),
            201,
        )
        if n < 2:
            _ok(await client.post(f"/v1/content/items/{item['id']}/submit", headers=headers))


async def test_dashboard_figures_of_a_known_data_set(state_dir):
    app = EmbeddedApp(state_dir)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    try:
        headers = await _workspace(client)
        workspace = uuid.UUID(headers["x-workspace-id"])
        await _seed_campaigns(app, workspace)
        await _seed_segmentation(client, headers)
        await _seed_crises(client, headers)
        await _seed_content(client, headers)

        board = _ok(await client.get("/v1/dashboard", headers=headers, params=RANGE))
        assert board["complete"] is True and board["cached"] is False
        assert (board["start"], board["end"]) == (RANGE["from"], RANGE["to"])
        assert {
            name: board[name]["status"]
            for name in (
                "awareness",
                "conversion",
                "retention",
                "fission",
                "lifecycle",
                "crises",
                "review_queue",
            )
        } == dict.fromkeys(
            (
                "awareness",
                "conversion",
                "retention",
                "fission",
                "lifecycle",
                "crises",
                "review_queue",
            ),
            "ok",
        )
        assert board["awareness"]["data"] == {
            "exposures": 5,
            "reach": 4,
            "clicks": 3,
            "clicked_users": 2,
            "ctr": 0.5,
        }
        assert board["conversion"]["data"] == {
            "converted_users": 2,
            "conversion_rate": 0.5,
            "first_order_users": 1,
            "first_order_conversion_rate": 0.25,
        }
        assert board["fission"]["data"] == {
            "sharing_users": 1,
            "share_rate": 0.25,
            "referral_signups": 2,
            "inviters": 2,
            "k_factor": 1.0,
        }
        retention = board["retention"]["data"]
        assert (retention["purchasers"], retention["repurchasers"]) == (2, 1)
        assert retention["repurchase_rate"] == 0.5
        assert retention["active_users"] == 3
        assert retention["churned"] == 0
        lifecycle = board["lifecycle"]["data"]
        assert lifecycle["date"] == RANGE["to"]
        assert sum(lifecycle["counts"].values()) == 3  # c1, c2, c3
        own = _ok(
            await client.get(
                "/v1/population/stages",
                headers=headers,
                params={"from": RANGE["to"], "to": RANGE["to"]},
            )
        )
        assert lifecycle["counts"] == own["days"][-1]["counts"]
        crises = board["crises"]["data"]
        assert crises["open"] == 2
        assert crises["by_level"] == {"orange": 1, "red": 1}
        queue = board["review_queue"]["data"]
        assert queue["waiting"] == 2 and queue["by_state"]["scanned"] == 2

        # A complete answer is served again from the cache, until its TTL passes.
        again = _ok(await client.get("/v1/dashboard", headers=headers, params=RANGE))
        assert again["cached"] is True
        assert again["computed_at"] == board["computed_at"]
        assert again["awareness"] == board["awareness"]

        reversed_range = await client.get(
            "/v1/dashboard", headers=headers, params={"from": "2026-11-04", "to": "2026-11-02"}
        )
        assert reversed_range.status_code == 422
        assert [e["field"] for e in reversed_range.json()["errors"]] == ["query.to"]
    finally:
        await client.aclose()
        await app.shutdown()
