"""Every aggregate a batch folds into a profile (PostgreSQL's array upsert and SQLite's
executemany must agree), across batches with NULLs on either side and late events."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from segmentation.db import BUS
from segmentation.events.models import UserEvent
from segmentation.events.service import ingest
from segmentation.profiles.service import get_profile
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED
from yunying_shared.testing.outbox import outbox_events


def _naive(value):
    return value.replace(tzinfo=None) if value is not None else None


def crm_event_time(now, days_ago):
    return now - timedelta(days=days_ago)


async def test_two_batches_fold_every_aggregate(session, workspace_id, now, crm_event):
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[
            crm_event("u1", "page_view", days_ago=20),
            crm_event("u2", "login", days_ago=3),
            crm_event("u2", "purchase", amount="10.00", days_ago=5),
        ],
    )
    result = await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[
            crm_event("u1", "login", days_ago=2),  # u1 had no login: NULL on the stored side
            crm_event("u1", "purchase", amount="30.50", days_ago=25),  # late: before first seen
            crm_event("u1", "refund", amount="5.25", days_ago=1),
            crm_event("u2", "page_view", days_ago=40),  # u2 had a login; this batch has none
            crm_event("u3", "share", days_ago=1, properties={"channel": "微信"}, coupon_code="C1"),
        ],
    )
    assert result.accepted == 5

    u1 = await get_profile(session, workspace_id=workspace_id, user_id="u1")
    assert _naive(u1.first_seen_at) == _naive(crm_event_time(now, 25))
    assert _naive(u1.last_active_at) == _naive(crm_event_time(now, 1))
    assert _naive(u1.last_login_at) == _naive(crm_event_time(now, 2))
    assert (
        _naive(u1.first_purchase_at)
        == _naive(u1.last_purchase_at)
        == _naive(crm_event_time(now, 25))
    )
    assert (u1.order_count, u1.refund_count, u1.monetary_total) == (1, 1, Decimal("25.25"))
    assert u1.stage == "new" and u1.identities == {} and u1.complaint_reasons == []

    u2 = await get_profile(session, workspace_id=workspace_id, user_id="u2")
    assert _naive(u2.first_seen_at) == _naive(crm_event_time(now, 40))
    assert _naive(u2.last_active_at) == _naive(crm_event_time(now, 3))
    assert _naive(u2.last_login_at) == _naive(crm_event_time(now, 3))
    assert (u2.order_count, u2.monetary_total) == (1, Decimal("10.00"))

    u3 = await get_profile(session, workspace_id=workspace_id, user_id="u3")
    assert (u3.stage, u3.source, u3.order_count, u3.last_purchase_at) == (
        "potential",
        "organic",
        0,
        None,
    )

    stored = await session.scalar(select(UserEvent.properties).where(UserEvent.user_id == "u3"))
    assert stored == {"channel": "微信", "coupon_code": "C1"}

    outbox = [e.envelope() for e in await outbox_events(session, BUS)]
    stages = [e for e in outbox if e["type"] == USER_LIFECYCLE_STAGE_CHANGED.type]
    moved = sorted((e["subject"], e["data"]["to_stage"]) for e in stages)
    assert moved == [("u1", "new"), ("u2", "new")]
