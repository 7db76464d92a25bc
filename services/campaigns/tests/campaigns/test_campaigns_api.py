"""Campaigns over HTTP on both dialects: bad input named by field, states and their events,
approved content only, the calendar, and the clock moving campaigns."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaigns.audience.service import record_segment
from campaigns.campaigns.service import advance_by_clock
from campaigns.content.service import record_transition
from campaigns.db import BUS
from campaigns.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.events import Envelope
from yunying_shared.events.payloads.content import ContentItemTransitioned
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


@pytest.fixture
async def api(dialect, tmp_path, settings_for, local_transport):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("campaigns", url), transport=local_transport)
        async with running(app) as client:
            headers = internal_headers(app, user_principal(workspace_id, "operator"))
            yield app, client, headers, workspace_id


def _later(**delta):
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _field(response):
    return response.json()["errors"][0]["field"]


async def _template(client, headers):
    response = await client.post(
        "/v1/coupons/templates",
        headers=headers,
        json={"name": "10元券", "kind": "amount_off", "amount_off": "10"},
    )
    return response.json()["id"]


async def test_bad_input_is_named(api):
    app, client, headers, workspace_id = api
    base = {"name": "c", "type": "holiday", "starts_at": _later(days=1), "ends_at": _later(days=3)}

    async def create(**fields):
        return await client.post("/v1/campaigns", headers=headers, json={**base, **fields})

    backwards = await create(ends_at=_later(hours=1))
    assert backwards.status_code == 422 and _field(backwards) == "ends_at"
    past = await create(starts_at=_later(days=-2))
    assert past.status_code == 422 and _field(past) == "starts_at"
    template_id = await _template(client, headers)
    over = await create(coupon_template_id=template_id, budget="500", reward_limit=51)
    assert over.status_code == 422 and _field(over) == "reward_limit"
    assert "beyond the budget" in over.json()["detail"]
    unknown = await create(target={"kind": "segment", "values": ["seg-x"]})
    assert unknown.status_code == 422 and _field(unknown) == "target.values"
    stage = await create(target={"kind": "lifecycle_stage", "values": ["sleeping"]})
    assert stage.status_code == 422 and _field(stage) == "target.values"
    kind = await create(type="lottery")
    assert kind.status_code == 422 and kind.json()["errors"][0]["field"] == "body.type"
    no_holiday = await create(
        starts_at=None, ends_at=None, holiday={"key": "brand_day", "year": 2030}
    )
    assert no_holiday.status_code == 422 and _field(no_holiday) == "holiday.key"

    async with app.state.database.session() as session, session.begin():
        await record_segment(
            session, workspace_id=workspace_id, segment_id="seg-1", name="VIP", at=datetime.now(UTC)
        )
    fits = await create(
        target={"kind": "segment", "values": ["seg-1"]},
        coupon_template_id=template_id,
        budget="500",
        reward_limit=50,
    )
    assert fits.status_code == 201, fits.text


async def test_states_events_and_running_target(api):
    app, client, headers, _ = api
    created = await client.post(
        "/v1/campaigns",
        headers=headers,
        json={
            "name": "双11预热",
            "type": "holiday",
            "starts_at": _later(days=1),
            "ends_at": _later(days=2),
        },
    )
    campaign_id = created.json()["id"]
    path = f"/v1/campaigns/{campaign_id}"
    wrong = await client.post(f"{path}/transitions", headers=headers, json={"to_state": "paused"})
    assert wrong.status_code == 409 and _field(wrong) == "to_state"
    for state in ("scheduled", "running", "paused", "running"):
        moved = await client.post(f"{path}/transitions", headers=headers, json={"to_state": state})
        assert moved.status_code == 200 and moved.json()["state"] == state
    retarget = await client.patch(
        path, headers=headers, json={"target": {"kind": "users", "values": ["u1"]}}
    )
    assert retarget.status_code == 409 and _field(retarget) == "target"
    renamed = await client.patch(path, headers=headers, json={"priority": 7})
    assert renamed.status_code == 200 and renamed.json()["priority"] == 7

    async with app.state.database.session() as session:
        values = (
            await session.scalars(select(BUS.outbox.c.value).order_by(BUS.outbox.c.seq))
        ).all()
    changes = [Envelope.from_bytes(v).data for v in values]
    assert [(c["from_state"], c["to_state"]) for c in changes] == [
        (None, "draft"),
        ("draft", "scheduled"),
        ("scheduled", "running"),
        ("running", "paused"),
        ("paused", "running"),
    ]


async def test_only_approved_content_attaches(api):
    app, client, headers, workspace_id = api
    created = await client.post(
        "/v1/campaigns", headers=headers, json={"name": "种草", "type": "content_push"}
    )
    path = f"/v1/campaigns/{created.json()['id']}/content"
    unknown = await client.post(path, headers=headers, json={"content_id": "c-1"})
    assert unknown.status_code == 422 and _field(unknown) == "content_id"

    def event(state, minutes):
        return ContentItemTransitioned(
            content_id="c-1",
            revision=1,
            from_state=None,
            to_state=state,
            kind="value",
            platform="xiaohongshu",
            title="敏感肌护理",
            occurred_at=datetime(2026, 6, 1, 12, minutes, tzinfo=UTC),
        )

    async with app.state.database.session() as session, session.begin():
        await record_transition(
            session, workspace_id=workspace_id, event=event("operator_checked", 0)
        )
    pending = await client.post(path, headers=headers, json={"content_id": "c-1"})
    assert pending.status_code == 409 and _field(pending) == "content_id"
    assert pending.json()["content_state"] == "operator_checked"

    async with app.state.database.session() as session, session.begin():
        await record_transition(session, workspace_id=workspace_id, event=event("approved", 5))
        # A late, older transition does not undo the approval.
        await record_transition(session, workspace_id=workspace_id, event=event("scanned", 1))
    attached = await client.post(path, headers=headers, json={"content_id": "c-1"})
    assert attached.status_code == 200 and attached.json()["content_ids"] == ["c-1"]


async def test_calendar_and_holiday_window(api):
    _, client, headers, _ = api
    own = await client.post(
        "/v1/campaigns/calendar/days",
        headers=headers,
        json={"key": "brand_day", "name": "品牌日", "day": "2030-05-20"},
    )
    assert own.status_code == 201
    days = (await client.get("/v1/campaigns/calendar?year=2030", headers=headers)).json()["items"]
    assert [(d["key"], d["day"]) for d in days] == [
        ("spring_festival", "2030-02-03"),
        ("valentines_day", "2030-02-14"),
        ("brand_day", "2030-05-20"),
        ("618", "2030-06-18"),
        ("double_11", "2030-11-11"),
    ]
    assert (
        await client.get("/v1/campaigns/calendar?year=2040", headers=headers)
    ).status_code == 422
    campaign = await client.post(
        "/v1/campaigns",
        headers=headers,
        json={
            "name": "品牌日",
            "type": "holiday",
            "holiday": {"key": "brand_day", "year": 2030, "days_before": 3, "days_after": 0},
        },
    )
    assert campaign.status_code == 201, campaign.text
    assert campaign.json()["starts_at"].startswith("2030-05-17")
    assert campaign.json()["ends_at"].startswith("2030-05-21")


async def test_clock_starts_and_finishes(api):
    app, client, headers, _ = api
    created = await client.post(
        "/v1/campaigns",
        headers=headers,
        json={
            "name": "618",
            "type": "holiday",
            "starts_at": _later(hours=1),
            "ends_at": _later(hours=2),
        },
    )
    campaign_id = created.json()["id"]
    await client.post(
        f"/v1/campaigns/{campaign_id}/transitions", headers=headers, json={"to_state": "scheduled"}
    )
    states = []
    for hours in (0.5, 1.5, 2.5):
        async with app.state.database.session() as session, session.begin():
            await advance_by_clock(session, now=datetime.now(UTC) + timedelta(hours=hours))
        states.append(
            (await client.get(f"/v1/campaigns/{campaign_id}", headers=headers)).json()["state"]
        )
    assert states == ["scheduled", "running", "finished"]


async def test_api_keys_act_through_their_scopes(api):
    app, client, _, workspace_id = api

    def key(*scopes):
        principal = Principal(
            subject="bi-tool", kind="api_key", workspace_id=workspace_id, scopes=frozenset(scopes)
        )
        return internal_headers(app, principal)

    first = await client.get("/v1/campaigns", headers=key("campaigns:read"))
    assert first.status_code == 200, first.text
    assert (await client.get("/v1/campaigns", headers=key("coupons:redeem"))).status_code == 403
    body = {"name": "k", "type": "content_push"}
    refused = await client.post("/v1/campaigns", headers=key("campaigns:read"), json=body)
    assert refused.status_code == 403
    created = await client.post("/v1/campaigns", headers=key("campaigns:write"), json=body)
    assert created.status_code == 201


async def test_campaign_and_template_lists_page_and_filter(api):
    _, client, headers, _ = api
    names = []
    for n in range(3):
        created = await client.post(
            "/v1/campaigns", headers=headers, json={"name": f"活动{n}", "type": "content_push"}
        )
        assert created.status_code == 201, created.text
        names.append(created.json()["name"])
    first = (await client.get("/v1/campaigns", params={"limit": 2}, headers=headers)).json()
    assert [c["name"] for c in first["items"]] == names[:2] and first["next_cursor"]
    rest = await client.get(
        "/v1/campaigns", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    )
    assert [c["name"] for c in rest.json()["items"]] == names[2:]
    assert rest.json()["next_cursor"] is None
    drafts = await client.get("/v1/campaigns", params={"state": "running"}, headers=headers)
    assert drafts.json() == {"items": [], "next_cursor": None}
    wrong = await client.get("/v1/campaigns", params={"state": "lost"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "query.state"
    stale = await client.get("/v1/campaigns", params={"cursor": "W10"}, headers=headers)
    assert stale.status_code == 422 and stale.json()["errors"][0]["field"] == "query.cursor"
    await _template(client, headers)
    templates = await client.get("/v1/coupons/templates", params={"limit": 1}, headers=headers)
    assert len(templates.json()["items"]) == 1
