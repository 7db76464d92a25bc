"""The window sweep evaluates only users with an edge crossing since the last sweep; after every
sweep the memberships must equal a full recompute at that instant, with one event per change."""

import random
from datetime import timedelta

from sqlalchemy import delete, select

from segmentation.profiles.models import Profile
from segmentation.segments.compiler import compile_rule
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment
from segmentation.segments.sweep import sweep_time_windows

ENTERED = "yunying.user.segment_entered.v1"
EXITED = "yunying.user.segment_exited.v1"

WINDOWED = {
    "viewers": {
        "type": "event",
        "event_type": "product_view",
        "within_days": 3,
        "operator": "gte",
        "value": 2,
    },
    "spenders": {
        "type": "event",
        "event_type": "purchase",
        "measure": "sum_amount",
        "within_days": 5,
        "operator": "gte",
        "value": 100,
    },
    "quiet": {
        "type": "event",
        "event_type": "product_view",
        "within_days": 2,
        "operator": "eq",
        "value": 0,
    },
    "recent": {"type": "field", "field": "last_active_at", "operator": "within_days", "value": 2},
    "tagged": {"type": "tag", "tag": "敏感肌"},
    "untagged_loyal": {
        "type": "and",
        "rules": [
            {"type": "field", "field": "stage", "operator": "eq", "value": "loyal"},
            {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
        ],
    },
}


async def _members(session, segment_id):
    rows = await session.scalars(
        select(SegmentMembership.user_id).where(SegmentMembership.segment_id == segment_id)
    )
    return set(rows.all())


async def _truth(session, workspace_id, rule, at):
    rows = await session.scalars(
        select(Profile.user_id).where(
            Profile.workspace_id == workspace_id, compile_rule(parse_rule(rule), now=at)
        )
    )
    return set(rows.all())


async def test_sweeps_by_window_edges_match_a_full_recompute(
    session, seed, workspace_id, now, outbox
):
    rng = random.Random(5)
    for i in range(120):
        user = f"u{i:03d}"
        await seed.profile(
            user,
            stage=rng.choice(["active", "loyal"]),
            last_active_at=now - timedelta(hours=rng.uniform(0, 60)),
        )
        for _ in range(rng.randint(0, 4)):
            await seed.event(user, "product_view", days_ago=rng.uniform(0, 4))
        if rng.random() < 0.5:
            await seed.event(
                user, "purchase", days_ago=rng.uniform(0, 6), amount=rng.choice([60, 120])
            )
        if rng.random() < 0.4:
            await seed.tag(user, "敏感肌", expires_in_days=rng.uniform(0.1, 4))
    saved = {}
    for name, rule in WINDOWED.items():
        saved[name] = await create_segment(
            session,
            workspace_id=workspace_id,
            now=now,
            actor="tester",
            data=SegmentIn(name=name, rule=parse_rule(rule)),
        )
    seen = len(await outbox())
    moved = 0
    at = now
    for _ in range(12):
        at += timedelta(hours=9)
        before = {name: await _members(session, s.id) for name, s in saved.items()}
        await sweep_time_windows(session, workspace_id=workspace_id, now=at)
        events = (await outbox())[seen:]
        seen += len(events)
        for name, rule in WINDOWED.items():
            after = await _members(session, saved[name].id)
            assert after == await _truth(session, workspace_id, rule, at), (at, name)
            mine = [(t, d["user_id"]) for t, d in events if d["segment_id"] == str(saved[name].id)]
            assert sorted(mine) == sorted(
                [(ENTERED, u) for u in after - before[name]]
                + [(EXITED, u) for u in before[name] - after]
            ), (at, name)
            moved += len(mine)
    assert moved > 50  # the windows really moved people in and out


async def test_a_sweep_does_not_evaluate_users_without_a_crossing(session, seed, workspace_id, now):
    """A user with no window edge in the span is not evaluated: a stale membership (u1's row
    removed out of band) stays stale, where re-running the segment whole would restore it."""
    await seed.profile("u1", stage="active")
    await seed.profile("u2", stage="active")
    await seed.event("u1", "product_view", days_ago=1)
    await seed.event("u1", "product_view", days_ago=1)
    await seed.event("u2", "product_view", days_ago=2.5)
    await seed.event("u2", "product_view", days_ago=0.5)
    viewers = await create_segment(
        session,
        workspace_id=workspace_id,
        now=now,
        actor="tester",
        data=SegmentIn(name="viewers", rule=parse_rule(WINDOWED["viewers"])),
    )
    assert await _members(session, viewers.id) == {"u1", "u2"}
    await session.execute(
        delete(SegmentMembership).where(
            SegmentMembership.segment_id == viewers.id, SegmentMembership.user_id == "u1"
        )
    )
    changes = await sweep_time_windows(
        session, workspace_id=workspace_id, now=now + timedelta(days=1)
    )
    # u2's 2.5-day-old view crossed the 3-day edge; u1's views did not.
    assert changes.exited == {viewers.id: ["u2"]} and changes.entered == {}
    assert await _members(session, viewers.id) == set()
    swept_at = await session.scalar(
        select(Segment.last_evaluated_at).where(Segment.id == viewers.id)
    )
    assert swept_at is not None
