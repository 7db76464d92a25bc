import uuid
from datetime import timedelta

from sqlalchemy import select

from segmentation.profiles.models import Profile
from segmentation.segments.membership import refresh_memberships
from segmentation.segments.models import SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn, SegmentPatch
from segmentation.segments.service import create_segment, preview, update_segment
from segmentation.segments.sweep import sweep_time_windows

ENTERED = "yunying.user.segment_entered.v1"
EXITED = "yunying.user.segment_exited.v1"


async def _members(session, segment_id):
    return set(
        (
            await session.scalars(
                select(SegmentMembership.user_id).where(SegmentMembership.segment_id == segment_id)
            )
        ).all()
    )


async def _save(session, workspace_id, now, rule, name="s"):
    return await create_segment(
        session,
        workspace_id=workspace_id,
        now=now,
        actor="tester",
        data=SegmentIn(name=name, rule=rule),
    )


async def _population(seed, now):
    await seed.profile(
        "u1",
        stage="active",
        tier="high_value",
        r_score=5,
        f_score=4,
        m_score=5,
        rfm_class="重要价值",
        gender="female",
        region="上海",
        identities={"wechat_openid": "o-1"},
        order_count=4,
        monetary_total=900,
        last_purchase_at=now - timedelta(days=3),
    )
    await seed.profile(
        "u2",
        stage="loyal",
        tier="general",
        r_score=2,
        f_score=5,
        m_score=3,
        gender="male",
        order_count=9,
        monetary_total=300,
        last_purchase_at=now - timedelta(days=40),
    )
    await seed.profile(
        "u3",
        stage="churned",
        r_score=1,
        f_score=1,
        m_score=1,
        order_count=1,
        monetary_total=20,
        last_purchase_at=now - timedelta(days=200),
    )
    await seed.profile("u4", stage="potential")  # never bought, nothing scored
    await seed.tag("u1", "敏感肌")
    await seed.tag("u2", "敏感肌", expires_in_days=-1)  # expired: does not count
    await seed.tag("u3", "职场妈妈", confidence=0.4)
    for days_ago in (1, 2, 6):
        await seed.event("u2", "product_view", days_ago=days_ago)
    await seed.event("u3", "product_view", days_ago=8)  # outside a 7-day window
    await seed.event("u1", "purchase", days_ago=3, amount=450)
    await seed.event("u1", "purchase", days_ago=10, amount=100)
    await seed.event("u2", "purchase", days_ago=40, amount=600)


CASES = [
    (
        {"type": "field", "field": "stage", "operator": "in", "value": ["active", "loyal"]},
        {"u1", "u2"},
    ),
    ({"type": "field", "field": "r_score", "operator": "gte", "value": 2}, {"u1", "u2"}),
    ({"type": "field", "field": "tier", "operator": "ne", "value": "general"}, {"u1", "u3", "u4"}),
    ({"type": "field", "field": "rfm_class", "operator": "eq", "value": "重要价值"}, {"u1"}),
    ({"type": "field", "field": "gender", "operator": "is_not_set"}, {"u3", "u4"}),
    ({"type": "field", "field": "region", "operator": "eq", "value": "上海"}, {"u1"}),
    ({"type": "field", "field": "identity", "operator": "has", "value": "wechat_openid"}, {"u1"}),
    (
        {"type": "field", "field": "monetary_total", "operator": "between", "value": [100, 899.5]},
        {"u2"},
    ),
    (
        {"type": "field", "field": "last_purchase_at", "operator": "within_days", "value": 30},
        {"u1"},
    ),
    (
        {"type": "field", "field": "last_purchase_at", "operator": "not_within_days", "value": 30},
        {"u2", "u3", "u4"},
    ),
    ({"type": "tag", "tag": "敏感肌"}, {"u1"}),
    ({"type": "tag", "tag": "职场妈妈", "min_confidence": 0.5}, set()),
    ({"type": "tag", "tag": "敏感肌", "operator": "has_not"}, {"u2", "u3", "u4"}),
    (
        {
            "type": "event",
            "event_type": "product_view",
            "within_days": 7,
            "operator": "gte",
            "value": 3,
        },
        {"u2"},
    ),
    (
        {
            "type": "event",
            "event_type": "product_view",
            "within_days": 7,
            "operator": "eq",
            "value": 0,
        },
        {"u1", "u3", "u4"},
    ),
    (
        {
            "type": "event",
            "event_type": "purchase",
            "measure": "sum_amount",
            "within_days": 30,
            "operator": "gte",
            "value": 500,
        },
        {"u1"},
    ),
    (
        {
            "type": "not",
            "rule": {"type": "field", "field": "r_score", "operator": "gte", "value": 2},
        },
        {"u3", "u4"},
    ),
    (
        {
            "type": "or",
            "rules": [
                {
                    "type": "and",
                    "rules": [
                        {"type": "field", "field": "stage", "operator": "eq", "value": "loyal"},
                        {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
                    ],
                },
                {"type": "field", "field": "order_count", "operator": "lt", "value": 2},
            ],
        },
        {"u2", "u3", "u4"},
    ),
]


async def test_compiled_rules_select_the_right_members(session, seed, workspace_id, now):
    await _population(seed, now)
    for i, (rule, expected) in enumerate(CASES):
        size = (
            await preview(session, workspace_id=workspace_id, rule=parse_rule(rule), now=now)
        ).size
        saved = await _save(session, workspace_id, now, rule, name=f"case {i}")
        assert await _members(session, saved.id) == expected, rule
        assert size == saved.member_count == len(expected), rule


async def test_rules_never_reach_across_workspaces(session, seed, workspace_id, now):
    await _population(seed, now)
    other = type(seed)(session, uuid.uuid4(), now)
    await other.profile("u1", stage="active")
    saved = await _save(
        session,
        other.workspace_id,
        now,
        {"type": "field", "field": "stage", "operator": "eq", "value": "active"},
    )
    assert saved.member_count == 1
    rows = (
        (
            await session.execute(
                select(SegmentMembership.workspace_id).where(
                    SegmentMembership.segment_id == saved.id
                )
            )
        )
        .scalars()
        .all()
    )
    assert rows == [other.workspace_id]


async def test_changes_are_published_once_and_only_on_change(
    session, seed, workspace_id, now, outbox
):
    await _population(seed, now)
    saved = await _save(
        session,
        workspace_id,
        now,
        {"type": "field", "field": "stage", "operator": "in", "value": ["active", "loyal"]},
    )
    entered = await outbox(ENTERED)
    assert sorted(d["user_id"] for _, d in entered) == ["u1", "u2"]
    assert {d["segment_id"] for _, d in entered} == {str(saved.id)}

    unchanged = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u1", "u2", "u3", "u4"], now=now
    )
    assert unchanged.count() == 0
    assert len(await outbox(ENTERED)) == 2 and await outbox(EXITED) == []

    u2 = await session.scalar(select(Profile).where(Profile.user_id == "u2"))
    u4 = await session.scalar(select(Profile).where(Profile.user_id == "u4"))
    u2.stage, u4.stage = "churned", "active"
    await session.flush()
    later = now + timedelta(hours=1)
    changed = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u2", "u4", "u4"], now=later
    )
    assert changed.entered == {saved.id: ["u4"]} and changed.exited == {saved.id: ["u2"]}
    again = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u2", "u4"], now=later
    )
    assert again.count() == 0

    exits = await outbox(EXITED)
    assert [(d["user_id"], d["reason"]) for _, d in exits] == [("u2", "events")]
    assert exits[0][1]["entered_at"].startswith(now.date().isoformat())
    assert sorted(d["user_id"] for _, d in await outbox(ENTERED)) == ["u1", "u2", "u4"]
    assert await _members(session, saved.id) == {"u1", "u4"}


async def test_frozen_segments_are_not_refreshed(session, seed, workspace_id, now):
    await seed.profile("u1", stage="active")
    saved = await _save(
        session,
        workspace_id,
        now,
        {"type": "field", "field": "stage", "operator": "eq", "value": "active"},
    )
    await update_segment(
        session,
        workspace_id=workspace_id,
        segment_id=saved.id,
        now=now,
        patch=SegmentPatch(live=False),
    )
    await seed.profile("u2", stage="active")
    changes = await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=["u2"], now=now
    )
    assert changes.count() == 0 and await _members(session, saved.id) == {"u1"}


async def test_new_rule_reevaluates_everyone(session, seed, workspace_id, now, outbox):
    await _population(seed, now)
    saved = await _save(
        session,
        workspace_id,
        now,
        {"type": "field", "field": "stage", "operator": "eq", "value": "active"},
    )
    updated = await update_segment(
        session,
        workspace_id=workspace_id,
        segment_id=saved.id,
        now=now,
        patch=SegmentPatch(
            rule=parse_rule(
                {"type": "field", "field": "order_count", "operator": "gte", "value": 4}
            )
        ),
    )
    assert updated.version == 2 and updated.member_count == 2
    assert await _members(session, saved.id) == {"u1", "u2"}
    assert [d["user_id"] for _, d in await outbox(ENTERED)] == ["u1", "u2"]
    assert [t for t, _ in await outbox() if t.startswith("yunying.segment.")] == [
        "yunying.segment.created.v1",
        "yunying.segment.updated.v1",
    ]


async def test_sweep_exits_users_whose_window_expired(session, seed, workspace_id, now, outbox):
    await _population(seed, now)
    window = await _save(
        session,
        workspace_id,
        now,
        {
            "type": "event",
            "event_type": "product_view",
            "within_days": 7,
            "operator": "gte",
            "value": 3,
        },
        name="viewers",
    )
    static = await _save(
        session,
        workspace_id,
        now,
        {"type": "field", "field": "stage", "operator": "eq", "value": "loyal"},
        name="loyal",
    )
    assert not static.time_dependent and window.time_dependent
    assert await _members(session, window.id) == {"u2"}

    # u2's oldest view (6 days ago) leaves the 7-day window 1 day and a bit later.
    assert (
        await sweep_time_windows(session, workspace_id=workspace_id, now=now + timedelta(hours=12))
    ).count() == 0
    later = now + timedelta(days=1, hours=1)
    swept = await sweep_time_windows(session, workspace_id=workspace_id, now=later)
    assert swept.exited == {window.id: ["u2"]} and swept.entered == {}
    assert await _members(session, window.id) == set()
    assert await _members(session, static.id) == {"u2"}
    exits = await outbox(EXITED)
    assert [(d["user_id"], d["segment_name"], d["reason"]) for _, d in exits] == [
        ("u2", "viewers", "sweep")
    ]
    assert (await sweep_time_windows(session, workspace_id=workspace_id, now=later)).count() == 0
