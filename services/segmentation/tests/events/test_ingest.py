from decimal import Decimal

from sqlalchemy import func, select

from segmentation.events.models import UserEvent
from segmentation.events.schemas import ItemResult
from segmentation.events.service import ingest
from segmentation.profiles.service import get_profile


async def test_mixed_batch_accepts_good_items_and_names_bad_fields(
    session, workspace_id, now, crm_event
):
    items = [
        crm_event("u1", "purchase", amount="99.50", currency="CNY", order_id="o1"),
        crm_event("u1", "purchase", amount=-5),
        crm_event("u2", "purchase", amount=float("inf")),
        crm_event("u2", "login", days_ago=-2),  # two days in the future
        crm_event("u3", 42),
        {"event_id": "x", "user_id": "u4", "type": "login", "occurred_at": "yesterday"},
        "not an object",
        crm_event("u5", "page_view", colour="red", page="/home"),
        crm_event("u6", "purchase"),
    ]
    result = await ingest(session, workspace_id=workspace_id, items=items, now=now)

    statuses = [r.status for r in result.results]
    assert statuses == [
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
        "rejected",
    ]
    fields = [[e.field for e in r.errors] for r in result.results]
    assert fields[1] == ["amount"] and "non-negative" in result.results[1].errors[0].message
    assert fields[2] == ["amount"] and "finite" in result.results[2].errors[0].message
    assert fields[3] == ["occurred_at"] and "future" in result.results[3].errors[0].message
    assert fields[4] == ["type"]
    assert fields[5] == ["occurred_at"]
    assert fields[6] == ["<item>"]
    assert fields[8] == ["amount"]
    assert (result.accepted, result.rejected, result.duplicates) == (2, 7, 0)

    stored = await session.scalar(select(UserEvent).where(UserEvent.user_id == "u5"))
    assert stored.properties["extra"] == {"colour": "red", "page": "/home"}
    profile = await get_profile(session, workspace_id=workspace_id, user_id="u1")
    assert profile.order_count == 1 and profile.monetary_total == Decimal("99.50")


async def test_retry_is_idempotent(session, workspace_id, now, crm_event):
    batch = [
        crm_event("u1", "purchase", amount=10, event_id="e1"),
        crm_event("u1", "login", event_id="e2"),
    ]
    first = await ingest(session, workspace_id=workspace_id, items=batch, now=now)
    again = await ingest(session, workspace_id=workspace_id, items=[*batch, batch[0]], now=now)

    assert first.accepted == 2
    assert [r.status for r in again.results] == ["duplicate"] * 3
    profile = await get_profile(session, workspace_id=workspace_id, user_id="u1")
    assert profile.order_count == 1 and profile.monetary_total == Decimal(10)
    count = await session.scalar(select(func.count()).select_from(UserEvent))
    assert count == 2


async def test_each_valid_item_answers_with_its_index_id_status_and_truncation(
    session, workspace_id, now, crm_event
):
    """The valid items' results are built as one list (events.service._ITEM_RESULTS): each
    still names its own position, event id, status and whether its extra was cut."""
    await ingest(session, workspace_id=workspace_id, items=[crm_event(event_id="old")], now=now)
    wide = {f"field_{n}": n for n in range(40)}  # more unknown fields than MAX_EXTRA_KEYS
    items = [
        crm_event("u1", "login", event_id="new-1"),
        "not an object",
        crm_event("u1", "login", event_id="old"),
        crm_event("u2", "page_view", event_id="new-2", **wide),
        crm_event("u2", "login", event_id="new-1"),  # a repeat within the batch
    ]
    result = await ingest(session, workspace_id=workspace_id, items=items, now=now)

    answers = [(r.index, r.event_id, r.status, r.extra_truncated) for r in result.results]
    assert answers == [
        (0, "new-1", "accepted", False),
        (1, None, "rejected", False),
        (2, "old", "duplicate", False),
        (3, "new-2", "accepted", True),
        (4, "new-1", "duplicate", False),
    ]
    assert all(isinstance(r, ItemResult) for r in result.results)
    assert (result.accepted, result.duplicates, result.rejected) == (2, 2, 1)


async def test_items_without_properties_store_an_empty_object(
    session, workspace_id, now, crm_event
):
    """An item with no properties, order lines or codes skips the JSON encoder (its text is
    known); it is stored as the empty object, next to one whose properties are encoded."""
    items = [
        crm_event("u1", "login", event_id="bare"),
        crm_event("u1", "login", event_id="empty", properties={}),
        crm_event("u1", "purchase", event_id="coded", amount=5, coupon_code="C1"),
    ]
    result = await ingest(session, workspace_id=workspace_id, items=items, now=now)

    assert result.accepted == 3
    stored = dict(
        (await session.execute(select(UserEvent.event_id, UserEvent.properties))).tuples().all()
    )
    assert stored == {"bare": {}, "empty": {}, "coded": {"coupon_code": "C1"}}


async def test_out_of_order_events_keep_aggregates_right(session, workspace_id, now, crm_event):
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[crm_event("u1", "purchase", amount=30, days_ago=1)],
    )
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[
            crm_event("u1", "purchase", amount=20, days_ago=10),
            crm_event("u1", "login", days_ago=40),
        ],
    )

    profile = await get_profile(session, workspace_id=workspace_id, user_id="u1")
    assert profile.order_count == 2 and profile.monetary_total == Decimal(50)
    assert profile.last_purchase_at.replace(tzinfo=None) == (now.replace(tzinfo=None) - _days(1))
    assert profile.first_purchase_at.replace(tzinfo=None) == now.replace(tzinfo=None) - _days(10)
    assert profile.first_seen_at.replace(tzinfo=None) == now.replace(tzinfo=None) - _days(40)
    assert profile.last_active_at.replace(tzinfo=None) == now.replace(tzinfo=None) - _days(1)


async def test_refund_nets_monetary_total(session, workspace_id, now, crm_event):
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[
            crm_event("u1", "purchase", amount="120.00", order_id="o1", days_ago=3),
            crm_event("u1", "refund", amount="20.00", order_id="o1", days_ago=2),
        ],
    )

    profile = await get_profile(session, workspace_id=workspace_id, user_id="u1")
    assert profile.monetary_total == Decimal("100.00")
    assert profile.order_count == 1 and profile.refund_count == 1


async def test_workspaces_are_isolated(session, workspace_id, now, crm_event):
    import uuid

    other = uuid.uuid4()
    item = crm_event("u1", "purchase", amount=10, event_id="same-id")
    assert (await ingest(session, workspace_id=workspace_id, items=[item], now=now)).accepted == 1
    assert (await ingest(session, workspace_id=other, items=[item], now=now)).accepted == 1
    mine = await get_profile(session, workspace_id=workspace_id, user_id="u1")
    theirs = await get_profile(session, workspace_id=other, user_id="u1")
    assert mine.id != theirs.id and mine.order_count == theirs.order_count == 1


def _days(n):
    from datetime import timedelta

    return timedelta(days=n)
