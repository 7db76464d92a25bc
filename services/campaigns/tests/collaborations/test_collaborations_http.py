"""Collaborations over HTTP: a clean creator is approved with its verdict kept, a suspicious
one is a 409 saying why (nothing approved), content must be the platform's reviewed ad, and
purchases carrying the creator's code are attributed to it once, with ROI per creator."""

import uuid
from datetime import UTC, datetime

import pytest

from campaigns.content.service import record_transition
from campaigns.main import create_app
from campaigns.user_events import apply_user_events
from yunying_shared.events.payloads.content import ContentItemTransitioned
from yunying_shared.events.payloads.segmentation import UserEventAccepted
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

NOW = datetime(2026, 11, 5, tzinfo=UTC)


@pytest.fixture
async def api(tmp_path, settings_for, local_transport):
    async with fresh_database("sqlite", tmp_path) as url:
        app = create_app(settings_for("campaigns", url), transport=local_transport)
        async with running(app) as client:
            workspace_id = uuid.uuid4()
            headers = internal_headers(app, user_principal(workspace_id, "operator"))
            yield app, client, headers, workspace_id


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


async def _creator_with_series(client, headers, series, external_id, **kinds):
    made = _ok(
        await client.post("/v1/creators", headers=headers, json=series.creator(external_id)), 201
    )
    base = f"/v1/creators/{made['id']}"
    _ok(
        await client.put(
            f"{base}/followers",
            headers=headers,
            json=series.followers("xiaohongshu", bought=kinds.get("bought", 0)),
        )
    )
    stored = _ok(
        await client.post(
            f"{base}/posts",
            headers=headers,
            json=series.posts("xiaohongshu", external_id, templated=kinds.get("templated", False)),
        )
    )
    assert stored["posts"] == 8
    return made


async def _content(app, workspace_id, content_id, *, kind="ad", platform="xiaohongshu"):
    async with app.state.database.session() as session, session.begin():
        await record_transition(
            session,
            workspace_id=workspace_id,
            event=ContentItemTransitioned(
                content_id=content_id,
                revision=1,
                from_state="operator_checked",
                to_state="approved",
                kind=kind,
                platform=platform,
                title="新品精华种草",
                occurred_at=NOW,
            ),
        )


async def test_approval_attribution_and_results(api, series):
    app, client, headers, workspace_id = api
    campaign = _ok(
        await client.post(
            "/v1/campaigns",
            headers=headers,
            json={"name": "新品种草", "type": "content_push", "platforms": ["xiaohongshu"]},
        ),
        201,
    )
    clean = await _creator_with_series(client, headers, series, "clean")
    fake = await _creator_with_series(
        client, headers, series, "fake", bought=12_000, templated=True
    )
    base = f"/v1/campaigns/{campaign['id']}/collaborations"
    proposals = {}
    for made in (clean, fake):
        proposals[made["external_id"]] = _ok(
            await client.post(
                base,
                headers=headers,
                json={"creator_id": made["id"], "platform": "xiaohongshu", "brief": "种草新品"},
            ),
            201,
        )
    good = proposals["clean"]
    assert good["fee"] == "8000.00" and good["state"] == "proposed"
    assert good["tracking_link"].endswith(f"?yy_c={good['code']}")

    refused = await client.post(
        f"/v1/collaborations/{proposals['fake']['id']}/approve", headers=headers
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["verdict"] == "suspicious" and problem["score"] < 75
    assert {f["code"] for f in problem["findings"]} >= {"follower_jump", "templated_comments"}
    assert "inauthentic" in problem["detail"]
    still = _ok(await client.get(f"/v1/collaborations/{proposals['fake']['id']}", headers=headers))
    assert still["state"] == "proposed"

    approved = _ok(await client.post(f"/v1/collaborations/{good['id']}/approve", headers=headers))
    assert approved["state"] == "approved" and approved["approval"]["verdict"] == "clean"
    report = _ok(await client.get(f"/v1/creators/{clean['id']}/authenticity", headers=headers))
    assert report["verdict"] == "clean" and report["score"] == 100.0

    await _content(app, workspace_id, "value-1", kind="value")
    await _content(app, workspace_id, "ad-douyin", platform="douyin")
    await _content(app, workspace_id, "ad-1")
    for content_id in ("value-1", "ad-douyin", "missing"):
        wrong = await client.post(
            f"/v1/collaborations/{good['id']}/content",
            headers=headers,
            json={"content_id": content_id},
        )
        assert wrong.status_code == 422, (content_id, wrong.text)
    early = await client.post(f"/v1/collaborations/{good['id']}/publish", headers=headers)
    assert early.status_code == 409
    _ok(
        await client.post(
            f"/v1/collaborations/{good['id']}/content",
            headers=headers,
            json={"content_id": "ad-1"},
        )
    )
    _ok(await client.post(f"/v1/collaborations/{good['id']}/publish", headers=headers))
    _ok(
        await client.put(
            f"/v1/collaborations/{good['id']}/metrics",
            headers=headers,
            json={"exposure": 120_000, "engagement": 5_400},
        )
    )

    events = [
        UserEventAccepted(
            event_id="order-1",
            user_id="buyer-1",
            kind="purchase",
            occurred_at=NOW,
            amount="6000",
            coupon_code=good["code"].lower(),
        ),
        UserEventAccepted(
            event_id="order-2",
            user_id="buyer-2",
            kind="purchase",
            occurred_at=NOW,
            amount="4000",
            properties={"yy_c": good["code"]},
        ),
        UserEventAccepted(
            event_id="order-3", user_id="buyer-3", kind="purchase", occurred_at=NOW, amount="99"
        ),
    ]
    async with app.state.database.session() as session, session.begin():
        await apply_user_events(session, workspace_id, events)
    async with app.state.database.session() as session, session.begin():
        await apply_user_events(session, workspace_id, events[:1])  # delivered again
    results = _ok(
        await client.get(f"/v1/campaigns/{campaign['id']}/collaborations/results", headers=headers)
    )
    by_creator = {r["creator_id"]: r for r in results["creators"]}
    mine = by_creator[clean["id"]]
    assert (mine["conversions"], mine["revenue"], mine["cost"]) == (2, "10000.00", "8000.00")
    assert mine["roi"] == pytest.approx(0.25) and mine["exposure"] == 120_000
    assert by_creator[fake["id"]]["conversions"] == 0
    assert results["roi"] == pytest.approx((10_000 - 16_000) / 16_000)


async def test_a_creator_without_data_cannot_be_approved(api, series):
    _, client, headers, _ = api
    campaign = _ok(
        await client.post(
            "/v1/campaigns",
            headers=headers,
            json={"name": "x", "type": "content_push", "platforms": ["xiaohongshu"]},
        ),
        201,
    )
    made = _ok(await client.post("/v1/creators", headers=headers, json=series.creator("bare")), 201)
    proposal = _ok(
        await client.post(
            f"/v1/campaigns/{campaign['id']}/collaborations",
            headers=headers,
            json={"creator_id": made["id"], "platform": "xiaohongshu", "brief": "b"},
        ),
        201,
    )
    refused = await client.post(f"/v1/collaborations/{proposal['id']}/approve", headers=headers)
    assert refused.status_code == 409 and refused.json()["verdict"] == "insufficient_data"
    no_account = await client.post(
        f"/v1/campaigns/{campaign['id']}/collaborations",
        headers=headers,
        json={"creator_id": made["id"], "platform": "douyin", "brief": "b"},
    )
    assert no_account.status_code == 422
    assert no_account.json()["errors"][0]["field"] == "body.platform"


async def test_the_brands_own_post_is_checked_the_same_way(api, series):
    _, client, headers, _ = api
    body = series.posts("weibo", "brand", templated=True)
    for post in body["posts"]:
        post["followers"] = 200_000
    _ok(await client.post("/v1/authenticity/brand-posts", headers=headers, json=body))
    report = _ok(
        await client.post("/v1/authenticity/posts/weibo/brand-post-1/check", headers=headers)
    )
    assert report["subject"] == "post" and report["verdict"] == "suspicious"
    assert "templated_comments" in {f["code"] for f in report["findings"]}
    fine = _ok(
        await client.post("/v1/authenticity/posts/weibo/brand-post-2/check", headers=headers)
    )
    assert fine["verdict"] == "clean"
    missing = await client.post("/v1/authenticity/posts/weibo/nope/check", headers=headers)
    assert missing.status_code == 404
