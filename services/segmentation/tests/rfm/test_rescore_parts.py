"""A re-score written in parts (PostgreSQL: each part of the users on its own connection and in
its own transaction): the same end state and events as one transaction, and a re-score that
failed after one part committed is finished by a re-run, which publishes exactly the missing
events, once."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

import segmentation.rfm.service as rfm_service
from segmentation.db import BUS
from segmentation.lifecycle.models import StageChange
from segmentation.profiles.models import Profile
from segmentation.rfm.service import rescore
from segmentation.segments.models import Segment, SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment
from yunying_shared.testing.outbox import outbox_events

USERS = 120
RULES = {
    "high value": {"type": "field", "field": "tier", "operator": "eq", "value": "high_value"},
    "recent": {"type": "field", "field": "r_score", "operator": "gte", "value": 4},
    "active or loyal": {
        "type": "field",
        "field": "stage",
        "operator": "in",
        "value": ["active", "loyal"],
    },
}


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def parts_from_one(monkeypatch):
    monkeypatch.setattr(rfm_service, "PARTS_FROM", 1)


async def _seed(database, workspace_id, now, scattered_buyers):
    rows = scattered_buyers(workspace_id, now, users=USERS, seed=5, never_bought_every=8)
    async with database.session() as session, session.begin():
        await session.execute(insert(Profile), rows)
        for name, rule in RULES.items():
            await create_segment(
                session,
                workspace_id=workspace_id,
                actor="t",
                now=now,
                data=SegmentIn(name=name, rule=parse_rule(rule)),
            )


async def _first_scoring_then_purchases(database, workspace_id, now, scattered_buyers):
    await _seed(database, workspace_id, now, scattered_buyers)
    async with database.session() as session, session.begin():
        await rescore(session, workspace_id=workspace_id, now=now, parts_on=database)
    async with database.session() as session, session.begin():
        await session.execute(
            update(Profile)
            .where(Profile.workspace_id == workspace_id, Profile.id % 3 == 0)
            .values(
                order_count=Profile.order_count + 2,
                monetary_total=Profile.monetary_total + 900,
                last_purchase_at=now + timedelta(hours=1),
                first_purchase_at=now - timedelta(days=30),
                last_active_at=now + timedelta(hours=1),
            )
        )


async def _state(database, workspace_id):
    """Everything the re-score wrote, with the workspace's own ids replaced by names."""
    async with database.session() as session:
        segments = {
            str(s.id): s.name
            for s in await session.scalars(
                select(Segment).where(Segment.workspace_id == workspace_id)
            )
        }
        profiles = sorted(
            tuple(row)
            for row in await session.execute(
                select(
                    Profile.user_id,
                    Profile.r_score,
                    Profile.f_score,
                    Profile.m_score,
                    Profile.rfm_segment,
                    Profile.tier,
                    Profile.stage,
                ).where(Profile.workspace_id == workspace_id)
            )
        )
        members = sorted(
            (segments[str(s)], u)
            for s, u in await session.execute(
                select(SegmentMembership.segment_id, SegmentMembership.user_id).where(
                    SegmentMembership.workspace_id == workspace_id
                )
            )
        )
        history = sorted(
            tuple(row)
            for row in await session.execute(
                select(
                    StageChange.user_id,
                    StageChange.kind,
                    StageChange.from_value,
                    StageChange.to_value,
                    StageChange.reason,
                ).where(StageChange.workspace_id == workspace_id)
            )
        )
        events = []
        for event in await outbox_events(session, BUS):
            envelope = event.envelope()
            if envelope.get("workspace") != str(workspace_id):
                continue
            text = json.dumps([envelope["type"], envelope["subject"], envelope["data"]])
            for segment_id, name in segments.items():
                text = text.replace(segment_id, name)
            events.append(text.replace(str(workspace_id), "W"))
    return {"profiles": profiles, "members": members, "history": history, "events": sorted(events)}


async def test_a_re_score_in_parts_writes_what_one_transaction_writes(
    database, now, scattered_buyers
):
    in_parts, in_one = uuid.uuid4(), uuid.uuid4()
    later = now + timedelta(hours=2)
    for workspace_id in (in_parts, in_one):
        await _first_scoring_then_purchases(database, workspace_id, now, scattered_buyers)
    async with database.session() as session, session.begin():
        parted = await rescore(session, workspace_id=in_parts, now=later, parts_on=database)
    async with database.session() as session, session.begin():
        whole = await rescore(session, workspace_id=in_one, now=later)
    assert parted.model_dump() == whole.model_dump()
    assert parted.changed > 0 and parted.tier_changes > 0
    expected = await _state(database, in_one)
    assert await _state(database, in_parts) == expected
    assert len(expected["events"]) == len(set(expected["events"]))  # no event twice


async def test_a_re_run_finishes_a_re_score_that_failed_after_one_part_committed(
    database, now, monkeypatch, scattered_buyers
):
    clean, crashed = uuid.uuid4(), uuid.uuid4()
    later = now + timedelta(hours=2)
    for workspace_id in (clean, crashed):
        await _first_scoring_then_purchases(database, workspace_id, now, scattered_buyers)
    async with database.session() as session, session.begin():
        await rescore(session, workspace_id=clean, now=later, parts_on=database)
    before = await _state(database, crashed)

    real_refresh = rfm_service.refresh_after_rescore

    async def second_part_fails(*args, **kwargs):
        if kwargs["part"] == (1, 2):  # after its scores and transitions, before its commit
            raise RuntimeError("the second part's connection is lost")
        return await real_refresh(*args, **kwargs)

    monkeypatch.setattr(rfm_service, "refresh_after_rescore", second_part_fails)
    with pytest.raises(RuntimeError, match="connection is lost"):
        async with database.session() as session, session.begin():
            await rescore(session, workspace_id=crashed, now=later, parts_on=database)
    half = await _state(database, crashed)
    # the first part committed (its scores, moves and events), the second left nothing
    assert before["profiles"] != half["profiles"] != (await _state(database, clean))["profiles"]
    assert len(half["events"]) > len(before["events"])

    monkeypatch.setattr(rfm_service, "refresh_after_rescore", real_refresh)
    async with database.session() as session, session.begin():
        await rescore(session, workspace_id=crashed, now=later, parts_on=database)
    assert await _state(database, crashed) == await _state(database, clean)
