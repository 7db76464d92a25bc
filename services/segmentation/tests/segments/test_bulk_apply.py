"""The bulk apply (a re-score's, a segment save's): entering pairs inserted without ON CONFLICT,
in a savepoint. When another transaction committed one of the staged pairs after the diff, the
statement runs again guarded: the same memberships, counts and events as the guarded apply,
and the transaction goes on (PostgreSQL; SQLite writes memberships in segments/storage.py)."""

import pytest
from sqlalchemy import func, insert, select, text

from segmentation.db import BUS
from segmentation.segments.applied import apply_changes, create_changes_table
from segmentation.segments.models import SegmentDayChange, SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment
from segmentation.segments.writes import Changes
from yunying_shared.testing.outbox import outbox_events

from .conftest import Seeder

ENTERED = "yunying.user.segment_entered.v1"
EXITED = "yunying.user.segment_exited.v1"
USERS = [f"u{i:02d}" for i in range(10)]
RACED = "u05"
LEAVING = "u99"


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _segment(database, workspace_id, now):
    """A live segment with one stored member (LEAVING) and none of USERS."""
    async with database.session() as session, session.begin():
        seed = Seeder(session, workspace_id, now)
        for user in [*USERS, LEAVING]:
            await seed.profile(user)
        segment = await create_segment(
            session,
            workspace_id=workspace_id,
            now=now,
            actor="tester",
            data=SegmentIn(
                name="buyers",
                rule=parse_rule(
                    {"type": "field", "field": "order_count", "operator": "gte", "value": 1}
                ),
            ),
        )
        await session.execute(
            insert(SegmentMembership), [_row(segment.id, LEAVING, workspace_id, now)]
        )
    return segment.id


def _row(segment_id, user_id, workspace_id, now):
    return {
        "segment_id": segment_id,
        "user_id": user_id,
        "workspace_id": workspace_id,
        "entered_at": now,
    }


async def _stage(session, segment_id):
    await create_changes_table(session)
    await session.execute(
        text("INSERT INTO segment_changes (segment_id, user_id, matches) VALUES (:s, :u, :m)"),
        [{"s": segment_id, "u": u, "m": True} for u in USERS]
        + [{"s": segment_id, "u": LEAVING, "m": False}],
    )


async def _published(session, segment_id):
    return sorted(
        (e["type"], e["data"]["user_id"])
        for e in (x.envelope() for x in await outbox_events(session, BUS))
        if e["type"] in (ENTERED, EXITED) and e["data"]["segment_id"] == str(segment_id)
    )


@pytest.mark.parametrize("raced", [False, True], ids=["alone", "raced"])
async def test_bulk_apply_writes_counts_and_publishes_only_its_own_changes(
    database, workspace_id, now, raced
):
    segment_id = await _segment(database, workspace_id, now)
    changes = Changes(keep_users=True)
    async with database.session() as session, session.begin():
        await _stage(session, segment_id)
        if raced:
            # another transaction enters RACED after our diff and commits first
            async with database.session() as other, other.begin():
                await other.execute(
                    insert(SegmentMembership), [_row(segment_id, RACED, workspace_id, now)]
                )
        await apply_changes(
            session,
            workspace_id=workspace_id,
            now=now,
            reason="rescore",
            changes=changes,
            bulk=True,
        )
        # the transaction is usable after the guarded retry, and the staged pairs are gone
        assert await session.scalar(text("SELECT count(*) FROM segment_changes")) == 0

    ours = [u for u in USERS if not (raced and u == RACED)]
    assert changes.entered == {segment_id: ours}
    assert changes.exited == {segment_id: [LEAVING]}
    async with database.session() as session:
        members = await session.scalars(
            select(SegmentMembership.user_id)
            .where(SegmentMembership.segment_id == segment_id)
            .order_by(SegmentMembership.user_id)
        )
        assert list(members) == USERS
        assert await _published(session, segment_id) == sorted(
            [(ENTERED, u) for u in ours] + [(EXITED, LEAVING)]
        )
        counted = (
            await session.execute(
                select(func.sum(SegmentDayChange.entered), func.sum(SegmentDayChange.exited)).where(
                    SegmentDayChange.segment_id == segment_id
                )
            )
        ).one()
        assert tuple(counted) == (len(ours), 1)
