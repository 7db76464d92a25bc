"""The experiments, referrals and funnel routes over HTTP: roles and scopes, and bad input
answered with a 4xx naming the field (never a 5xx)."""

import uuid

import pytest

from campaigns.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


@pytest.fixture
async def api(tmp_path, settings_for, local_transport):
    async with fresh_database("sqlite", tmp_path) as url:
        app = create_app(settings_for("campaigns", url), transport=local_transport)
        async with running(app) as client:
            yield app, client


def _fields(response):
    body = response.json()
    return {e["field"] for e in body.get("errors", [])}


async def test_growth_routes_answer_bad_input_with_the_field(api):
    app, client = api
    workspace_id = uuid.uuid4()
    operator = internal_headers(app, user_principal(workspace_id, "operator"))
    analyst = internal_headers(app, user_principal(workspace_id, "analyst"))
    campaign = await client.post(
        "/v1/campaigns",
        headers=operator,
        json={"name": "图文 vs 视频", "type": "content_push", "platforms": ["douyin"]},
    )
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]

    two_controls = await client.post(
        "/v1/experiments",
        headers=operator,
        json={
            "name": "x",
            "element": "format",
            "variants": [{"key": "a", "control": True}, {"key": "b", "control": True}],
        },
    )
    assert two_controls.status_code == 422
    assert any("variants" in f for f in _fields(two_controls))

    foreign = await client.post(
        "/v1/experiments",
        headers=operator,
        json={
            "name": "x",
            "element": "title",
            "campaign_id": str(uuid.uuid4()),
            "variants": [{"key": "a", "control": True}, {"key": "b"}],
        },
    )
    assert foreign.status_code == 404 and _fields(foreign) == {"campaign_id"}

    created = await client.post(
        "/v1/experiments",
        headers=operator,
        json={
            "name": "标题",
            "element": "title",
            "campaign_id": campaign_id,
            "variants": [{"key": "a", "control": True}, {"key": "b"}],
            "holdout_percent": 10,
        },
    )
    assert created.status_code == 201, created.text
    experiment = created.json()["id"]
    not_started = await client.post(
        f"/v1/experiments/{experiment}/exposures", headers=operator, json={"items": []}
    )
    assert not_started.status_code == 409 and _fields(not_started) == {"status"}
    assert (
        await client.post(f"/v1/experiments/{experiment}/start", headers=operator)
    ).status_code == 200
    too_many = await client.post(
        f"/v1/experiments/{experiment}/exposures",
        headers=operator,
        json={"items": [{"user_id": f"u{i}"} for i in range(1001)]},
    )
    assert too_many.status_code == 422 and _fields(too_many) == {"body.items"}
    exposed = await client.post(
        f"/v1/experiments/{experiment}/exposures",
        headers=operator,
        json={"items": [{"user_id": "u1"}, {"user_id": "u2", "occurred_at": "soon"}]},
    )
    assert exposed.status_code == 200
    assert [r["status"] for r in exposed.json()["results"]] == ["recorded", "rejected"]
    undecided = await client.post(f"/v1/experiments/{experiment}/conclude", headers=operator)
    assert undecided.status_code == 409 and _fields(undecided) == {"recommendation"}
    read = await client.get(f"/v1/experiments/{experiment}/results", headers=analyst)
    assert read.status_code == 200 and read.json()["recommendation"] == "continue"
    assert (await client.get(f"/v1/experiments/{uuid.uuid4()}", headers=analyst)).status_code == 404
    assert (await client.get("/v1/experiments/not-a-uuid", headers=analyst)).status_code == 422

    bad_tier = await client.put(
        f"/v1/campaigns/{campaign_id}/referral-program",
        headers=operator,
        json={"inviter_rewards": [{"threshold": 0, "template_id": str(uuid.uuid4())}]},
    )
    assert bad_tier.status_code == 422
    assert any("threshold" in f for f in _fields(bad_tier))
    assert (
        await client.put(f"/v1/campaigns/{campaign_id}/referral-program", headers=analyst, json={})
    ).status_code == 403
    no_code_for_foreign = await client.post(
        f"/v1/campaigns/{uuid.uuid4()}/invite-codes", headers=operator, json={"user_id": "u1"}
    )
    assert no_code_for_foreign.status_code == 404
    assert _fields(no_code_for_foreign) == {"campaign_id"}
    nul = await client.post(
        f"/v1/campaigns/{campaign_id}/invite-codes", headers=operator, json={"user_id": "a\u0000"}
    )
    assert nul.status_code == 422 and _fields(nul) == {"body.user_id"}
    not_referred = await client.post(
        "/v1/referrals/attributions/nobody/revoke", headers=operator, json={"reason": "test"}
    )
    assert not_referred.status_code == 404 and _fields(not_referred) == {"invitee_user_id"}
    too_deep = await client.get("/v1/referrals/tree/u1?depth=99", headers=analyst)
    assert too_deep.status_code == 422

    touched = await client.post(
        f"/v1/campaigns/{campaign_id}/touches",
        headers=operator,
        json={"items": [{"user_id": "u3", "kind": "exposure"}, {"user_id": "u4", "kind": "view"}]},
    )
    assert [r["status"] for r in touched.json()["results"]] == ["recorded", "rejected"]
    funnel = await client.get(f"/v1/campaigns/{campaign_id}/funnel", headers=analyst)
    assert funnel.status_code == 200 and funnel.json()["total"]["exposed_users"] == 1
    # The touch also exposed u3 in the running experiment (u1 came through its own API).
    read = await client.get(f"/v1/experiments/{experiment}/results", headers=analyst)
    assert sum(arm["exposures"] for arm in read.json()["arms"]) == 2
    assert (
        await client.get(f"/v1/campaigns/{uuid.uuid4()}/funnel", headers=analyst)
    ).status_code == 404


async def test_reporting_routes_take_an_api_key_with_its_scope(api):
    app, client = api
    workspace_id = uuid.uuid4()
    operator = internal_headers(app, user_principal(workspace_id, "operator"))
    campaign = await client.post(
        "/v1/campaigns", headers=operator, json={"name": "邀请", "type": "referral"}
    )
    campaign_id = campaign.json()["id"]

    def key(*scopes):
        principal = Principal(
            subject="app-backend",
            kind="api_key",
            workspace_id=workspace_id,
            scopes=frozenset(scopes),
        )
        return internal_headers(app, principal)

    path = f"/v1/campaigns/{campaign_id}/invite-codes"
    refused = await client.post(path, headers=key("events:write"), json={"user_id": "u1"})
    assert refused.status_code == 403
    granted = await client.post(path, headers=key("referrals:write"), json={"user_id": "u1"})
    assert granted.status_code == 200 and len(granted.json()["code"]) == 10
    touches = await client.post(
        f"/v1/campaigns/{campaign_id}/touches",
        headers=key("referrals:write"),
        json={"items": [{"user_id": "u1", "kind": "click", "platform": "app"}]},
    )
    assert touches.status_code == 200 and touches.json()["recorded"] == 1
    reader = internal_headers(app, user_principal(workspace_id, "reviewer"))
    assert (await client.post(path, headers=reader, json={"user_id": "u2"})).status_code == 403
