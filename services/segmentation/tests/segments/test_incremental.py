"""The incremental refreshes (after a re-score, per batch of users, the window sweep) must leave
exactly the memberships a full recompute gives, and publish an event only for a real change."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from segmentation.profiles.models import Profile
from segmentation.rfm.service import rescore
from segmentation.segments import membership
from segmentation.segments.compiler import compile_rule
from segmentation.segments.models import SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment

ENTERED = "yunying.user.segment_entered.v1"
EXITED = "yunying.user.segment_exited.v1"
USERS = 400

SCORED_RULES = {
    "tier": {"type": "field", "field": "tier", "operator": "eq", "value": "high_value"},
    "stage": {"type": "field", "field": "stage", "operator": "in", "value": ["active", "loyal"]},
    "r_score": {"type": "field", "field": "r_score", "operator": "gte", "value": 4},
    "champions": {
        "type": "field",
        "field": "rfm_segment",
        "operator": "eq",
        "value": "Champions",
    },
    "tier_and_tag": {
        "type": "and",
        "rules": [
            {"type": "field", "field": "tier", "operator": "ne", "value": "low_value"},
            {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
        ],
    },
}
# Reads no scored field: a re-score cannot change it.
UNSCORED_RULE = {"type": "field", "field": "order_count", "operator": "gte", "value": 3}


async def _seed(session, workspace_id, now, scattered_buyers):
    rows = scattered_buyers(
        workspace_id, now, users=USERS, seed=11, never_bought_every=7, user_id="user-{:03d}"
    )
    await session.execute(insert(Profile), rows)


async def _members(session, segment_id) -> set[str]:
    rows = await session.scalars(
        select(SegmentMembership.user_id).where(SegmentMembership.segment_id == segment_id)
    )
    return set(rows.all())


async def _recomputed(session, workspace_id, rule, now) -> set[str]:
    rows = await session.scalars(
        select(Profile.user_id).where(
            Profile.workspace_id == workspace_id, compile_rule(parse_rule(rule), now=now)
        )
    )
    return set(rows.all())


async def _events(outbox, seen: int) -> tuple[list, int]:
    events = await outbox()
    return events[seen:], len(events)


@pytest.mark.parametrize("path", ["batches", "whole_workspace"])
async def test_rescore_refresh_matches_a_full_recompute(
    session, seed, workspace_id, now, outbox, path, monkeypatch, scattered_buyers
):
    if path == "whole_workspace":
        monkeypatch.setattr(membership, "WHOLE_WORKSPACE_FROM", 1)
    else:
        monkeypatch.setattr(membership, "PG_USERS_PER_STATEMENT", 37)  # several batches
        monkeypatch.setattr(membership, "USERS_PER_STATEMENT", 37)
    await _seed(session, workspace_id, now, scattered_buyers)
    for i in range(0, USERS, 5):
        await seed.tag(f"user-{i:03d}", "敏感肌")
    saved = {}
    for name, rule in {**SCORED_RULES, "unscored": UNSCORED_RULE}.items():
        saved[name] = await create_segment(
            session,
            workspace_id=workspace_id,
            now=now,
            actor="tester",
            data=SegmentIn(name=name, rule=parse_rule(rule)),
        )
    # A stale row the re-score must not touch: it proves the unscored segment is skipped.
    await session.execute(
        delete(SegmentMembership).where(
            SegmentMembership.segment_id == saved["unscored"].id,
            SegmentMembership.user_id
            == select(SegmentMembership.user_id)
            .where(SegmentMembership.segment_id == saved["unscored"].id)
            .order_by(SegmentMembership.user_id)
            .limit(1)
            .scalar_subquery(),
        )
    )
    unscored_before = await _members(session, saved["unscored"].id)
    _, seen = await _events(outbox, 0)

    for step, at in enumerate((now, now + timedelta(hours=1), now + timedelta(days=40))):
        if step == 1:
            # A tenth of the users buy again: edges move, some change scores, most do not.
            await session.execute(
                update(Profile)
                .where(Profile.workspace_id == workspace_id, Profile.id % 10 == 0)
                .values(
                    order_count=Profile.order_count + 1,
                    monetary_total=Profile.monetary_total + 500,
                    last_purchase_at=at - timedelta(minutes=30),
                )
            )
        before = {name: await _members(session, s.id) for name, s in saved.items()}
        result = await rescore(session, workspace_id=workspace_id, now=at)
        assert result.changed > 0 or step > 0
        events, seen = await _events(outbox, seen)
        for name, rule in SCORED_RULES.items():
            segment_id = saved[name].id
            after = await _members(session, segment_id)
            assert after == await _recomputed(session, workspace_id, rule, at), (step, name)
            entered = {
                d["user_id"]
                for t, d in events
                if t == ENTERED and d["segment_id"] == str(segment_id)
            }
            exited = {
                d["user_id"]
                for t, d in events
                if t == EXITED and d["segment_id"] == str(segment_id)
            }
            # One event per real change, none for users whose verdict stayed.
            assert entered == after - before[name], (step, name)
            assert exited == before[name] - after, (step, name)
            assert sum(
                1
                for t, d in events
                if t in (ENTERED, EXITED) and d["segment_id"] == str(segment_id)
            ) == len(entered) + len(exited)
        assert await _members(session, saved["unscored"].id) == unscored_before
        assert not [d for _, d in events if d.get("segment_id") == str(saved["unscored"].id)]
        moved = [n for n in SCORED_RULES if before[n] != await _members(session, saved[n].id)]
        assert moved if step < 2 else True, step  # the test exercises real changes


async def test_a_rescore_with_nothing_new_publishes_nothing(
    session, workspace_id, now, outbox, scattered_buyers
):
    await _seed(session, workspace_id, now, scattered_buyers)
    for name, rule in SCORED_RULES.items():
        await create_segment(
            session,
            workspace_id=workspace_id,
            now=now,
            actor="tester",
            data=SegmentIn(name=name, rule=parse_rule(rule)),
        )
    await rescore(session, workspace_id=workspace_id, now=now)
    _, seen = await _events(outbox, 0)
    await rescore(session, workspace_id=workspace_id, now=now)
    events, _ = await _events(outbox, seen)
    assert events == []
