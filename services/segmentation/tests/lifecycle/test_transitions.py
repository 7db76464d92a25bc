from datetime import timedelta

from sqlalchemy import select

from segmentation.db import BUS
from segmentation.events.service import ingest
from segmentation.lifecycle.models import StageChange
from segmentation.lifecycle.service import history
from segmentation.profiles.models import Profile
from segmentation.profiles.service import get_profile
from segmentation.rfm.service import rescore
from yunying_shared.testing.outbox import outbox_events


async def _outbox(session, event_type):
    events = [e.envelope() for e in await outbox_events(session, BUS)]
    return [e for e in events if e["type"] == event_type]


async def test_churned_user_purchasing_again_becomes_active_with_one_event(
    session, workspace_id, now, crm_event
):
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now - timedelta(days=200),
        items=[crm_event("u1", "purchase", amount=50, days_ago=200)],
    )
    await rescore(session, workspace_id=workspace_id, now=now)
    profile = await get_profile(session, workspace_id=workspace_id, user_id="u1")
    assert profile.stage == "churned"
    before = len(await _outbox(session, "yunying.user.lifecycle_stage_changed.v1"))

    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[crm_event("u1", "purchase", amount=80, days_ago=0)],
    )

    await session.refresh(profile)
    assert profile.stage == "active"
    events = await _outbox(session, "yunying.user.lifecycle_stage_changed.v1")
    assert len(events) - before == 1
    assert events[-1]["data"]["from_stage"] == "churned"
    assert events[-1]["data"]["to_stage"] == "active"
    assert events[-1]["subject"] == "u1"
    assert "after churn" in events[-1]["data"]["reason"]
    stages = [
        (c.from_value, c.to_value)
        for c in await history(session, workspace_id=workspace_id, user_id="u1")
        if c.kind == "stage"
    ]
    assert stages == [("potential", "new"), ("new", "churned"), ("churned", "active")]


async def test_sweep_churns_silent_users_and_touches_nobody_else(
    session, workspace_id, now, crm_event
):
    start = now - timedelta(days=100)
    await ingest(
        session,
        workspace_id=workspace_id,
        now=start,
        items=[
            crm_event("silent", "purchase", amount=30, days_ago=100),
            crm_event("busy", "purchase", amount=30, days_ago=100),
            crm_event("browser", "purchase", amount=30, days_ago=100),
            crm_event("visitor", "page_view", days_ago=100),
        ],
    )
    await rescore(session, workspace_id=workspace_id, now=start)
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[
            crm_event("busy", "purchase", amount=30, days_ago=1),
            crm_event("browser", "page_view", days_ago=2),
        ],
    )
    await rescore(session, workspace_id=workspace_id, now=now - timedelta(hours=1))
    stamps = {p.user_id: p.updated_at for p in await session.scalars(select(Profile))}
    changes_before = len(list(await session.scalars(select(StageChange))))

    result = await rescore(session, workspace_id=workspace_id, now=now + timedelta(days=40))

    profiles = {
        p.user_id: p
        for p in await session.scalars(select(Profile).execution_options(populate_existing=True))
    }
    assert profiles["silent"].stage == "churned"
    assert profiles["browser"].stage == "churned"  # viewed 42 days ago: silent for 30+ days
    assert profiles["busy"].stage in ("active", "loyal")
    assert profiles["visitor"].stage == "potential"
    changes = list(await session.scalars(select(StageChange).order_by(StageChange.id)))
    new = [(c.user_id, c.to_value) for c in changes[changes_before:] if c.kind == "stage"]
    assert sorted(new) == [("browser", "churned")]  # "silent" was churned by the earlier run
    touched = {u for u, p in profiles.items() if p.updated_at != stamps[u]}
    assert touched <= {"browser", "silent", "busy"}
    assert "visitor" not in touched
    assert result.stage_changes == 1
