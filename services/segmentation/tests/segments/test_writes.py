"""Membership events are serialized without models: the bytes must be make_event's."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from segmentation.db import BUS
from segmentation.records.models import Profile
from segmentation.segments.compact import EXPANSION
from segmentation.segments.membership import refresh_memberships
from segmentation.segments.models import SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn, SegmentPatch
from segmentation.segments.service import create_segment, update_segment
from segmentation.segments.writes import SOURCE, encoded
from yunying_shared.bus.packed import PACK_EVENTS
from yunying_shared.events import Envelope, make_event
from yunying_shared.events.catalogue import USER_SEGMENT_ENTERED, USER_SEGMENT_EXITED
from yunying_shared.events.payloads.segmentation import UserSegmentEntered, UserSegmentExited
from yunying_shared.testing.outbox import outbox_events


class _Segment:
    def __init__(self, name: str) -> None:
        self.id, self.name, self.workspace_id = uuid.uuid4(), name, uuid.uuid4()


def test_encoded_events_are_the_bytes_make_event_gives():
    now = datetime(2026, 11, 26, 9, 30, 1, 123456, tzinfo=UTC)
    began = now - timedelta(days=3, microseconds=5)
    a, b = _Segment('高价值 "VIP"'), _Segment("plain")
    events = encoded(
        {a.id: a, b.id: b},
        [(a.id, "u1"), (b.id, "用户-2")],
        [(b.id, "u3", began), (a.id, "u4", began.replace(tzinfo=None))],
        now,
        "events",
    )
    expected = [
        make_event(
            USER_SEGMENT_ENTERED,
            UserSegmentEntered(
                user_id="u1",
                segment_id=str(a.id),
                segment_name=a.name,
                entered_at=now,
                reason="events",
            ),
            source=SOURCE,
            workspace=a.workspace_id,
        ),
        make_event(
            USER_SEGMENT_ENTERED,
            UserSegmentEntered(
                user_id="用户-2",
                segment_id=str(b.id),
                segment_name=b.name,
                entered_at=now,
                reason="events",
            ),
            source=SOURCE,
            workspace=b.workspace_id,
        ),
        make_event(
            USER_SEGMENT_EXITED,
            UserSegmentExited(
                user_id="u3",
                segment_id=str(b.id),
                segment_name=b.name,
                entered_at=began,
                exited_at=now,
                reason="events",
            ),
            source=SOURCE,
            workspace=b.workspace_id,
        ),
        make_event(
            USER_SEGMENT_EXITED,
            UserSegmentExited(
                user_id="u4",
                segment_id=str(a.id),
                segment_name=a.name,
                entered_at=began,
                exited_at=now,
                reason="events",
            ),
            source=SOURCE,
            workspace=a.workspace_id,
        ),
    ]
    assert len({event_id for event_id, *_ in events}) == 4
    for (event_id, event_type, key, value), want in zip(events, expected, strict=True):
        got = Envelope.from_bytes(value)
        assert (event_id, event_type, key) == (got.id, want.type, want.subject)
        assert value == want.model_copy(update={"id": got.id, "time": got.time}).to_bytes()


async def test_a_saved_rule_is_used_by_the_next_refresh(session, seed, workspace_id, now):
    """Rules are cached per (segment, version): a save bumps the version, so the next batch
    evaluates the new rule (on this replica or another: the versions are read every time)."""
    await seed.profile("u1", stage="active", order_count=1)
    saved = await create_segment(
        session,
        workspace_id=workspace_id,
        now=now,
        actor="t",
        data=SegmentIn(
            name="s",
            rule=parse_rule(
                {"type": "field", "field": "stage", "operator": "eq", "value": "active"}
            ),
        ),
    )
    unchanged = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u1"], now=now
    )
    assert unchanged.count() == 0
    await update_segment(
        session,
        workspace_id=workspace_id,
        segment_id=saved.id,
        now=now,
        patch=SegmentPatch(name="renamed"),
    )
    await update_segment(
        session,
        workspace_id=workspace_id,
        segment_id=saved.id,
        now=now,
        patch=SegmentPatch(
            rule=parse_rule(
                {"type": "field", "field": "order_count", "operator": "gte", "value": 1}
            )
        ),
    )
    await seed.profile("u2", stage="potential", order_count=3)
    changes = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u2"], now=now
    )
    assert changes.entered == {saved.id: ["u2"]}


async def test_batch_verdicts_agree_with_the_whole_workspace_pass(session, seed, workspace_id, now):
    """Tag leaves compile differently in the cached per-batch statement (a key probe per user)
    and in a whole-workspace pass (EXISTS): both must pick the same users."""
    await seed.profile("u1", stage="active")
    await seed.profile("u2", stage="active")
    await seed.profile("u3", stage="loyal")
    await seed.profile("u4", stage="potential")
    await seed.tag("u1", "敏感肌")
    await seed.tag("u2", "敏感肌", expires_in_days=-1)  # expired
    await seed.tag("u3", "敏感肌", confidence=0.4)
    await seed.tag("u4", "职场妈妈")
    rules = [
        {"type": "tag", "tag": "敏感肌"},
        {"type": "tag", "tag": "敏感肌", "min_confidence": 0.5},
        {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
        {
            "type": "and",
            "rules": [
                {"type": "tag", "tag": "敏感肌"},
                {"type": "field", "field": "stage", "operator": "eq", "value": "loyal"},
            ],
        },
    ]
    expected = [{"u1", "u3"}, {"u1"}, {"u2", "u4"}, {"u3"}]
    saved = []
    for i, rule in enumerate(rules):  # saving evaluates the whole workspace
        saved.append(
            await create_segment(
                session,
                workspace_id=workspace_id,
                now=now,
                actor="t",
                data=SegmentIn(name=f"s{i}", rule=parse_rule(rule)),
            )
        )
    assert [s.member_count for s in saved] == [len(e) for e in expected]
    await session.execute(delete(SegmentMembership))
    changes = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u1", "u2", "u3", "u4"], now=now
    )
    assert [set(changes.entered.get(s.id, [])) for s in saved] == expected


async def test_batch_event_measures_agree_with_the_whole_workspace_pass(
    session, seed, workspace_id, now
):
    """On PostgreSQL a batch reads every event-window leaf from one aggregate per user
    (compiler.EventMeasures); a whole-workspace pass keeps a subquery per leaf. Windows that
    share a type, two measures, and a user without events must come out the same."""
    for user in ("u1", "u2", "u3", "u4"):
        await seed.profile(user)
    await seed.event("u1", "product_view", days_ago=1)
    await seed.event("u1", "product_view", days_ago=5)
    await seed.event("u1", "purchase", days_ago=2, amount=80)
    await seed.event("u2", "product_view", days_ago=0.5)
    await seed.event("u2", "purchase", days_ago=20, amount=150)
    await seed.event("u2", "purchase", days_ago=40, amount=500)
    await seed.event("u3", "product_view", days_ago=10)

    def leaf(kind: str, days: int, value: float, measure: str = "count") -> dict[str, Any]:
        return {
            "type": "event",
            "event_type": kind,
            "measure": measure,
            "within_days": days,
            "operator": "gte",
            "value": value,
        }

    rules = [
        leaf("product_view", 7, 2),
        leaf("product_view", 3, 1),
        leaf("product_view", 30, 1),
        leaf("purchase", 30, 100, "sum_amount"),
        {"type": "not", "rule": leaf("purchase", 60, 1)},
        {
            "type": "or",
            "rules": [leaf("product_view", 1, 1), leaf("purchase", 7, 50, "sum_amount")],
        },
    ]
    expected = [{"u1"}, {"u1", "u2"}, {"u1", "u2", "u3"}, {"u2"}, {"u3", "u4"}, {"u1", "u2"}]
    saved = [
        await create_segment(
            session,
            workspace_id=workspace_id,
            now=now,
            actor="t",
            data=SegmentIn(name=f"s{i}", rule=parse_rule(rule)),
        )
        for i, rule in enumerate(rules)
    ]
    assert [s.member_count for s in saved] == [len(e) for e in expected]
    await session.execute(delete(SegmentMembership))
    changes = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u1", "u2", "u3", "u4"], now=now
    )
    assert [set(changes.entered.get(s.id, [])) for s in saved] == expected


async def test_stored_events_are_the_bytes_make_event_gives(session, seed, workspace_id, now):
    """On PostgreSQL the events are built in SQL (segments/applied.py), on SQLite in Python:
    both must store make_event's bytes, with names and ids that need escaping, an entry time
    with microseconds and one without."""
    name = '高价值 "VIP"\t\\ /'
    await seed.profile('用户 "2"\\', order_count=3)
    await seed.profile("u\u00e9", order_count=3)
    saved = await create_segment(
        session,
        workspace_id=workspace_id,
        actor="t",
        now=now,
        data=SegmentIn(
            name=name,
            rule=parse_rule(
                {"type": "field", "field": "order_count", "operator": "gte", "value": 2}
            ),
        ),
    )
    later = now + timedelta(hours=1, microseconds=250)
    await session.execute(delete(SegmentMembership).where(SegmentMembership.user_id == "u\u00e9"))
    await session.execute(
        update(Profile)
        .where(Profile.workspace_id == workspace_id, Profile.user_id == '用户 "2"\\')
        .values(order_count=0)
    )
    await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=['用户 "2"\\', "u\u00e9"], now=later
    )
    events = [e for e in await outbox_events(session, BUS) if e.topic == USER_SEGMENT_ENTERED.topic]
    by_type: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for event in events:
        got = Envelope.from_bytes(event.value)
        assert (got.subject, got.type) == (event.key, event.type)
        by_type[(got.type, event.key, got.data["reason"])] = (got, event.value)
    assert set(by_type) == {
        (USER_SEGMENT_ENTERED.type, '用户 "2"\\', "segment_saved"),
        (USER_SEGMENT_ENTERED.type, "u\u00e9", "segment_saved"),
        (USER_SEGMENT_EXITED.type, '用户 "2"\\', "events"),
        (USER_SEGMENT_ENTERED.type, "u\u00e9", "events"),
    }
    entered = UserSegmentEntered(
        user_id="u\u00e9",
        segment_id=str(saved.id),
        segment_name=name,
        entered_at=later,
        reason="events",
    )
    exited = UserSegmentExited(
        user_id='用户 "2"\\',
        segment_id=str(saved.id),
        segment_name=name,
        entered_at=now,
        exited_at=later,
        reason="events",
    )
    for spec, payload in ((USER_SEGMENT_ENTERED, entered), (USER_SEGMENT_EXITED, exited)):
        got, value = by_type[(spec.type, payload.user_id, "events")]
        want = make_event(spec, payload, source=SOURCE, workspace=workspace_id)
        assert value == want.model_copy(update={"id": got.id, "time": got.time}).to_bytes()


async def test_postgres_stores_membership_events_compact_one_row_per_segment(
    session, seed, workspace_id, now, dialect
):
    """PostgreSQL writes no envelope: per segment and PACK_EVENTS of its changes one expanded
    row, ~30 bytes a change plus the user id; the relay (and `outbox_events`) builds them."""
    if dialect == "sqlite":
        pytest.skip("SQLite stores the envelopes built in Python (segments/writes.py)")
    users = [f"u{i:04d}" for i in range(PACK_EVENTS + 1)]
    for user in users:
        await seed.profile(user)
    segments = []
    for name in ("everyone", '"everyone" again'):
        segments.append(
            await create_segment(
                session,
                workspace_id=workspace_id,
                actor="t",
                now=now,
                data=SegmentIn(
                    name=name,
                    rule=parse_rule(
                        {"type": "field", "field": "order_count", "operator": "gte", "value": 0}
                    ),
                ),
            )
        )
    await session.execute(delete(SegmentMembership))  # everyone enters again on the refresh
    first = (
        await session.execute(select(BUS.outbox.c.seq).order_by(BUS.outbox.c.seq.desc()))
    ).scalar()
    await refresh_memberships(session, workspace_id=workspace_id, user_ids=users, now=now)
    outbox = BUS.outbox
    rows = (
        await session.execute(
            select(outbox.c.headers, outbox.c.packed, outbox.c.value)
            .where(outbox.c.seq > first)
            .order_by(outbox.c.seq)
        )
    ).all()
    assert {row.headers["expand"] for row in rows} == {EXPANSION}
    per_segment = {
        s.id: sorted(row.packed for row in rows if row.headers["segment_id"] == str(s.id))
        for s in segments
    }
    assert per_segment == {s.id: [1, PACK_EVENTS] for s in segments}
    assert all(len(row.value) <= 4 + row.packed * (29 + 5) for row in rows)
    events = await outbox_events(session, BUS, after_seq=first)
    assert len(events) == 2 * len(users) == len({e.envelope()["id"] for e in events})
    for segment in segments:
        got = [
            e.envelope()["data"]
            for e in events
            if e.envelope()["data"]["segment_id"] == str(segment.id)
        ]
        assert sorted(d["user_id"] for d in got) == users
        assert {(d["segment_name"], d["reason"]) for d in got} == {(segment.name, "events")}
