"""A re-score big enough to take the bulk paths (binary COPY snapshot on PostgreSQL, COPY of
history and outbox rows from 1,000 transitions on), checked against the row-by-row reference."""

from datetime import timedelta

import numpy as np
from sqlalchemy import func, insert, select, text

from segmentation.db import BUS
from segmentation.lifecycle.models import StageChange
from segmentation.lifecycle.rules import LifecycleRules
from segmentation.profiles.models import Profile
from segmentation.rfm.compute import compute
from segmentation.rfm.service import rescore
from segmentation.rfm.snapshot import load_rows, load_snapshot
from yunying_shared.events import parse_event
from yunying_shared.events.payloads.segmentation import UserLifecycleStageChanged, UserTierChanged
from yunying_shared.testing.outbox import outbox_events

USERS = 1_500
ARRAYS = (
    "ids",
    "stage",
    "tier",
    "rfm_class",
    "segment",
    "r",
    "f",
    "m",
    "first_purchase",
    "last_purchase",
    "last_active",
    "frequency",
    "monetary",
)


async def _seed(session, workspace_id, now, scattered_buyers):
    """Buyers left as 'potential' (as if never scored), a few who never bought, churn reasons."""
    rows = scattered_buyers(
        workspace_id,
        now,
        users=USERS,
        seed=3,
        never_bought_every=10,
        mean_days_since=100,
        churn_reason=lambda i: "price" if i % 7 == 0 else None,
    )
    await session.execute(insert(Profile), rows)


def _assert_same(left, right):
    order_left, order_right = np.argsort(left.ids), np.argsort(right.ids)
    for name in ARRAYS:
        a, b = getattr(left, name)[order_left], getattr(right, name)[order_right]
        if a.dtype.kind == "f":
            assert np.allclose(a, b, equal_nan=True, rtol=0, atol=1e-3), name
        else:
            assert a.tolist() == b.tolist(), name


async def _outbox(session):
    events = await outbox_events(session, BUS)
    return [(e.key, parse_event(e.value), e.headers) for e in events]


async def test_bulk_rescore_stores_and_publishes_every_transition_once(
    session, workspace_id, now, scattered_buyers
):
    await _seed(session, workspace_id, now, scattered_buyers)
    before = await load_rows(session, workspace_id=workspace_id)
    _assert_same(await load_snapshot(session, workspace_id=workspace_id), before)
    expected = compute(before, now=now.timestamp(), custom_edges={}, rules=LifecycleRules())

    result = await rescore(session, workspace_id=workspace_id, now=now)

    assert result.stage_changes == int((before.frequency > 0).sum()) > 1_000
    after = await load_rows(session, workspace_id=workspace_id)
    _assert_same(await load_snapshot(session, workspace_id=workspace_id), after)
    order = np.argsort(after.ids)
    for name in ("r", "f", "m", "rfm_class", "segment", "tier", "stage"):
        assert getattr(after, name)[order].tolist() == getattr(expected, name).tolist(), name
    history = (await session.execute(select(StageChange.user_id, StageChange.to_value))).all()
    assert len(history) == result.stage_changes
    by_user = {user_id: stage for user_id, stage in history}
    profiles = dict((await session.execute(select(Profile.user_id, Profile.stage))).all())
    assert all(profiles[user_id] == stage for user_id, stage in by_user.items())
    events = await _outbox(session)
    assert len(events) == result.stage_changes
    for key, (envelope, payload), headers in events:
        assert isinstance(payload, UserLifecycleStageChanged)
        assert key == payload.user_id == envelope.subject
        assert headers == {"ce_type": envelope.type}
        assert envelope.workspace == workspace_id
        assert payload.from_stage == "potential" and payload.to_stage == by_user[key]
        assert payload.churn_reason == ("price" if int(key.split("-")[1]) % 7 == 0 else None)

    # 40% of the buyers buy again a day later: tiers move, and only for them are events new
    buyers = [int(pid) for pid, f in zip(after.ids, after.frequency, strict=True) if f > 0]
    again = buyers[: int(len(buyers) * 0.4)]
    later = now + timedelta(days=1)
    profiles_table = Profile.__table__
    await session.execute(
        profiles_table.update()
        .where(profiles_table.c.id.in_(again))
        .values(
            order_count=profiles_table.c.order_count + 5,
            last_purchase_at=later,
            monetary_total=profiles_table.c.monetary_total + 5000,
        )
    )
    second = await rescore(session, workspace_id=workspace_id, now=later)

    events = await _outbox(session)
    tier_events = [p for _, (_, p), _ in events if isinstance(p, UserTierChanged)]
    assert second.tier_changes == len(tier_events) > 0
    assert all(p.from_tier != p.to_tier for p in tier_events)
    total = await session.scalar(select(func.count()).select_from(StageChange))
    assert total == result.stage_changes + second.stage_changes + second.tier_changes
    assert (await rescore(session, workspace_id=workspace_id, now=later)).changed == 0


async def test_profiles_leave_room_for_updates_in_place_on_postgresql(session, dialect):
    if dialect != "postgresql":
        return  # SQLite has no fill factor
    options = await session.scalar(
        text("SELECT reloptions FROM pg_class WHERE relname = 'profiles'")
    )
    assert "fillfactor=70" in options
