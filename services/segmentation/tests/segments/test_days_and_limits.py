"""Daily segment figures (kept by every membership write, read for charts) and the limits a
workspace's segments are held to (live segments, rule depth and conditions), through the API."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from segmentation.main import create_app
from segmentation.segments import service as segment_service
from segmentation.segments.days import add_counts, fold
from segmentation.segments.membership import refresh_memberships
from segmentation.segments.models import SegmentDayChange, SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment, get_segment, segment_days
from segmentation.segments.validation import MAX_CONDITIONS, MAX_DEPTH, MAX_LIVE_SEGMENTS
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

LOYAL = {"type": "field", "field": "stage", "operator": "eq", "value": "loyal"}


async def test_days_keep_size_and_flows_without_counting_members(session, seed, workspace_id, now):
    for user in ("u1", "u2", "u3"):
        await seed.profile(user, stage="loyal" if user != "u3" else "active")
    saved = await create_segment(
        session,
        workspace_id=workspace_id,
        now=now,
        actor="tester",
        data=SegmentIn(name="loyal", rule=parse_rule(LOYAL)),
    )
    day0 = now.date()
    # Two days later u1 leaves and u3 joins; then u2 leaves the same day.
    later = now + timedelta(days=2)
    profiles = {p.user_id: p for p in await _profiles(session, workspace_id)}
    profiles["u1"].stage, profiles["u3"].stage = "churned", "loyal"
    await session.flush()
    await refresh_memberships(session, workspace_id=workspace_id, user_ids=["u1", "u3"], now=later)
    profiles["u2"].stage = "churned"
    await session.flush()
    await refresh_memberships(session, workspace_id=workspace_id, user_ids=["u2"], now=later)

    expected = [
        (0, 0, 0),  # before the segment existed
        (2, 2, 0),  # saved: u1, u2
        (2, 0, 0),  # nothing happened: size carried
        (1, 1, 2),  # u3 in, u1 and u2 out
        (1, 0, 0),
    ]

    async def read():
        days = await segment_days(
            session,
            workspace_id=workspace_id,
            segment_id=saved.id,
            first=day0 - timedelta(days=1),
            last=day0 + timedelta(days=3),
        )
        return [(d.size, d.entered, d.exited) for d in days.days]

    assert await read() == expected  # nothing folded yet: read from the appended counts
    assert await fold(session) > 0
    assert await read() == expected  # folded into segment_days
    assert await fold(session) == 0
    # A count for an earlier day arriving after later days were folded moves their sizes.
    await add_counts(session, workspace_id, day0 + timedelta(days=1), {saved.id: (3, 0)})
    late = [(0, 0, 0), (2, 2, 0), (5, 3, 0), (4, 1, 2), (4, 0, 0)]
    assert await read() == late
    await fold(session)
    assert await read() == late
    await add_counts(session, workspace_id, day0 + timedelta(days=1), {saved.id: (0, 3)})
    await fold(session)
    members = await session.scalar(
        select(func.count()).where(SegmentMembership.segment_id == saved.id)
    )
    listed = await get_segment(session, workspace_id=workspace_id, segment_id=saved.id)
    assert listed.member_count == members == 1


async def _profiles(session, workspace_id):
    from segmentation.profiles.models import Profile

    return (
        await session.scalars(select(Profile).where(Profile.workspace_id == workspace_id))
    ).all()


@pytest.fixture
async def api(dialect, tmp_path, settings_for, local_transport):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            yield client, internal_headers(app, user_principal(workspace_id, "operator"))


async def test_live_segments_beyond_the_limit_are_refused_with_409(api, monkeypatch):
    client, headers = api
    monkeypatch.setattr(segment_service, "MAX_LIVE_SEGMENTS", 2)
    for i in range(2):
        made = await client.post(
            "/v1/segments", headers=headers, json={"name": f"live {i}", "rule": LOYAL}
        )
        assert made.status_code == 201, made.text
    refused = await client.post(
        "/v1/segments", headers=headers, json={"name": "one more", "rule": LOYAL}
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/live_segment_limit") and refused.json()["limit"] == 2
    frozen = await client.post(
        "/v1/segments", headers=headers, json={"name": "frozen", "rule": LOYAL, "live": False}
    )
    assert frozen.status_code == 201  # snapshots do not count
    revived = await client.patch(
        f"/v1/segments/{frozen.json()['id']}", headers=headers, json={"live": True}
    )
    assert revived.status_code == 409 and revived.json()["type"].endswith("/live_segment_limit")
    listed = await client.get("/v1/segments", headers=headers)
    body = listed.json()
    items = body["items"] if isinstance(body, dict) else body
    assert sorted((s["name"], s["live"]) for s in items) == [
        ("frozen", False),
        ("live 0", True),
        ("live 1", True),
    ]


def _nested(depth):
    rule = LOYAL
    for _ in range(depth - 1):
        rule = {"type": "not", "rule": rule}
    return rule


async def test_rules_beyond_depth_or_conditions_are_refused_with_422(api):
    client, headers = api
    assert (
        await client.post(
            "/v1/segments/preview", headers=headers, json={"rule": _nested(MAX_DEPTH)}
        )
    ).status_code == 200
    deep = await client.post(
        "/v1/segments", headers=headers, json={"name": "deep", "rule": _nested(MAX_DEPTH + 1)}
    )
    assert deep.status_code == 422 and deep.json()["type"].endswith("/invalid_segment_rule")
    wide = {"type": "or", "rules": [{"type": "and", "rules": [LOYAL] * 26}] * 2}
    many = await client.post("/v1/segments/preview", headers=headers, json={"rule": wide})
    assert many.status_code == 422
    assert any(f"at most {MAX_CONDITIONS}" in e["message"] for e in many.json()["errors"])


async def test_days_route_and_the_limits_in_the_api_document(api):
    client, headers = api
    made = await client.post("/v1/segments", headers=headers, json={"name": "s", "rule": LOYAL})
    segment_id = made.json()["id"]
    ok = await client.get(
        f"/v1/segments/{segment_id}/days?from=2026-01-01&to=2026-01-03", headers=headers
    )
    assert ok.status_code == 200 and [d["day"] for d in ok.json()["days"]] == [
        "2026-01-01",
        "2026-01-02",
        "2026-01-03",
    ]
    reversed_ = await client.get(
        f"/v1/segments/{segment_id}/days?from=2026-01-03&to=2026-01-01", headers=headers
    )
    assert reversed_.status_code == 422 and reversed_.json()["errors"][0]["field"] == "query.to"
    last_days = await client.get(
        f"/v1/segments/{segment_id}/days?from=9999-12-30&to=9999-12-31", headers=headers
    )
    assert last_days.status_code == 200 and len(last_days.json()["days"]) == 2
    too_long = await client.get(
        f"/v1/segments/{segment_id}/days?from=2025-01-01&to=2026-01-03", headers=headers
    )
    assert too_long.status_code == 422
    document = (await client.get("/openapi.json")).json()
    create = document["paths"]["/v1/segments"]["post"]
    assert "409" in create["responses"] and "422" in create["responses"]
    schema = document["components"]["schemas"]["SegmentIn"]["properties"]
    assert f"At most {MAX_LIVE_SEGMENTS} live segments" in schema["live"]["description"]
    assert f"{MAX_CONDITIONS} conditions" in schema["rule"]["description"]
    assert "/v1/segments/{segment_id}/days" in document["paths"]


async def test_deleting_a_segment_deletes_its_memberships_and_pending_counts(
    session, seed, workspace_id, now
):
    """No foreign key cascades them on PostgreSQL (migration 0007): the delete does it."""
    await seed.profile("u1", stage="loyal")
    kept, dropped = [
        await create_segment(
            session,
            workspace_id=workspace_id,
            now=now,
            actor="tester",
            data=SegmentIn(name=name, rule=parse_rule(LOYAL)),
        )
        for name in ("kept", "dropped")
    ]
    await segment_service.delete_segment(session, workspace_id=workspace_id, segment_id=dropped.id)
    members = (await session.execute(select(SegmentMembership.segment_id))).scalars().all()
    pending = (await session.execute(select(SegmentDayChange.segment_id))).scalars().all()
    assert members == [kept.id] and pending == [kept.id]
