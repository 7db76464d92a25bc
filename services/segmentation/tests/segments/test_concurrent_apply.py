"""A window sweep and ingest batches re-evaluating the same users at once, on PostgreSQL: each
applies its changes taking row locks in one (segment, user) order, so they queue instead of
deadlocking, and every change is made, and announced, exactly once."""

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from segmentation.db import BUS
from segmentation.profiles.models import Profile
from segmentation.segments.compiler import compile_rule
from segmentation.segments.membership import refresh_memberships
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment
from segmentation.segments.sweep import sweep_time_windows
from yunying_shared.testing.outbox import outbox_events

from .conftest import Seeder

ENTERED = "yunying.user.segment_entered.v1"
EXITED = "yunying.user.segment_exited.v1"
USERS = [f"u{i:03d}" for i in range(240)]
RULES = {
    "viewers": {
        "type": "event",
        "event_type": "product_view",
        "within_days": 3,
        "operator": "gte",
        "value": 2,
    },
    "recent": {"type": "field", "field": "last_active_at", "operator": "within_days", "value": 2},
    "quiet": {
        "type": "event",
        "event_type": "product_view",
        "within_days": 2,
        "operator": "eq",
        "value": 0,
    },
}


async def _seed(database, workspace_id, now):
    rng = random.Random(11)
    async with database.session() as session, session.begin():
        seed = Seeder(session, workspace_id, now)
        for user in USERS:
            await seed.profile(user, last_active_at=now - timedelta(hours=rng.uniform(0, 70)))
            for _ in range(rng.randint(0, 4)):
                await seed.event(user, "product_view", days_ago=rng.uniform(0, 4))
        segments = {}
        for name, rule in RULES.items():
            segments[name] = await create_segment(
                session,
                workspace_id=workspace_id,
                now=now,
                actor="tester",
                data=SegmentIn(name=name, rule=parse_rule(rule)),
            )
        # One segment the sweep evaluates whole, the others by window edges.
        await session.execute(
            update(Segment).where(Segment.id == segments["quiet"].id).values(last_evaluated_at=None)
        )
        # Stale memberships both ways, so every transaction below has entries and exits to make.
        for segment in segments.values():
            members = set(
                await session.scalars(
                    select(SegmentMembership.user_id).where(
                        SegmentMembership.segment_id == segment.id
                    )
                )
            )
            dropped = [u for u in members if rng.random() < 0.5]
            added = [u for u in USERS if u not in members and rng.random() < 0.5]
            await session.execute(
                delete(SegmentMembership).where(
                    SegmentMembership.segment_id == segment.id,
                    SegmentMembership.user_id.in_(dropped),
                )
            )
            if added:
                await session.execute(
                    insert(SegmentMembership),
                    [
                        {
                            "segment_id": segment.id,
                            "user_id": u,
                            "workspace_id": workspace_id,
                            "entered_at": now,
                        }
                        for u in added
                    ],
                )
        seq = await session.scalar(select(BUS.outbox.c.seq).order_by(BUS.outbox.c.seq.desc()))
    return segments, seq or 0


async def _members(session, segment_id):
    rows = await session.scalars(
        select(SegmentMembership.user_id).where(SegmentMembership.segment_id == segment_id)
    )
    return set(rows)


async def test_a_sweep_and_overlapping_batches_neither_deadlock_nor_double_announce(
    database, dialect, workspace_id, now
):
    if dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: transactions never hold row locks at once")
    segments, seen = await _seed(database, workspace_id, now)
    at = now + timedelta(days=1)
    async with database.session() as session:
        before = {name: await _members(session, s.id) for name, s in segments.items()}

    async def sweep():
        async with database.session() as session, session.begin():
            await sweep_time_windows(session, workspace_id=workspace_id, now=at)

    async def batch(users):
        async with database.session() as session, session.begin():
            await refresh_memberships(
                session, workspace_id=workspace_id, user_ids=users, now=at, reason="events"
            )

    # Four batches of half the users each, every user in two of them (all users re-evaluated,
    # so the stale rows must all be gone), all at the sweep's instant.
    batches = [(USERS + USERS)[i * 60 : i * 60 + 120] for i in range(4)]
    await asyncio.gather(sweep(), *(batch(users) for users in batches))

    async with database.session() as session:
        events = [e.envelope() for e in await outbox_events(session, BUS, after_seq=seen)]
        moved = 0
        for name, segment in segments.items():
            truth = set(
                await session.scalars(
                    select(Profile.user_id).where(
                        Profile.workspace_id == workspace_id,
                        compile_rule(parse_rule(RULES[name]), now=at),
                    )
                )
            )
            after = await _members(session, segment.id)
            assert after == truth, name
            announced = sorted(
                (e["type"], e["data"]["user_id"])
                for e in events
                if e["data"]["segment_id"] == str(segment.id)
            )
            assert announced == sorted(
                [(ENTERED, u) for u in after - before[name]]
                + [(EXITED, u) for u in before[name] - after]
            ), name
            moved += len(announced)
    assert moved > 100  # the transactions really contended for the same rows
