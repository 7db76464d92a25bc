"""A small known history imported long after it happened: every population metric for past
days, and every user's stage history, against values computed by hand (default rules: new for
30 days; churned 90 days after the last purchase when also 30 days without any event).

    a: purchase 2025-01-10, purchase 01-20, login 03-01
       -> new 01-10, active 02-09, churned 04-20 (90 days after 01-20)
    b: login 01-05, purchase 02-01, purchase 05-01
       -> new 02-01, active 03-03, churned 07-30
    c: login 02-10 -> potential for ever (never bought)
    d: purchase 04-01 -> new 04-01, active 05-01, churned 06-30
All at noon UTC; imported on 2026-06-01.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.db import BUS
from segmentation.events.history_import import import_rows
from segmentation.events.service import ingest
from segmentation.lifecycle.service import history
from segmentation.population.service import activity, churn_rate, repurchase_rate, source_mix
from segmentation.population.stages import stage_distribution
from segmentation.population.window import DateRange
from segmentation.profiles.service import get_profile
from yunying_shared.testing.outbox import outbox_events

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
STAGE_EVENT = "yunying.user.lifecycle_stage_changed.v1"


def noon(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 12, tzinfo=UTC)


def _item(user: str, kind: str, month: int, day: int, amount: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "event_id": f"{user}-{kind}-{month}-{day}",
        "user_id": user,
        "type": kind,
        "occurred_at": noon(month, day).isoformat(),
    }
    if amount is not None:
        item["amount"] = amount
        item["currency"] = "CNY"
    return item


ITEMS = [
    _item("a", "purchase", 1, 10, 100),
    _item("a", "purchase", 1, 20, 50),
    _item("a", "login", 3, 1),
    _item("b", "login", 1, 5),
    _item("b", "purchase", 2, 1, 30),
    _item("b", "purchase", 5, 1, 30),
    _item("c", "login", 2, 10),
    _item("d", "purchase", 4, 1, 20),
]

Importer = Callable[[AsyncSession, UUID], Awaitable[None]]


async def _through_events_api(session: AsyncSession, workspace_id: UUID) -> None:
    await ingest(session, workspace_id=workspace_id, items=ITEMS[:5], now=NOW)
    await ingest(session, workspace_id=workspace_id, items=ITEMS[5:], now=NOW)


async def _through_import(session: AsyncSession, workspace_id: UUID) -> None:
    await import_rows(session, workspace_id=workspace_id, items=ITEMS, now=NOW, name="crm")


@pytest.fixture(params=["events-api", "import"])
def importer(request: pytest.FixtureRequest) -> Importer:
    return _through_events_api if request.param == "events-api" else _through_import


async def _stage_events(session: AsyncSession) -> list[dict[str, Any]]:
    events = [e.envelope() for e in await outbox_events(session, BUS)]
    return [e for e in events if e["type"] == STAGE_EVENT]


async def test_every_metric_for_past_days(
    session: AsyncSession, workspace_id: UUID, importer: Importer
) -> None:
    await importer(session, workspace_id)

    def one_day(day: date) -> DateRange:
        return DateRange(day, day)

    async def counts(day: date) -> dict[str, int]:
        result = await stage_distribution(session, workspace_id=workspace_id, window=one_day(day))
        return result.days[0].counts

    assert await counts(date(2025, 4, 15)) == {
        "potential": 1,  # c
        "new": 1,  # d
        "active": 2,  # a, b
        "loyal": 0,
        "churned": 0,
    }
    assert await counts(date(2025, 5, 1)) == {
        "potential": 1,
        "new": 0,
        "active": 2,  # b bought again, d's new period ended at noon
        "loyal": 0,
        "churned": 1,  # a
    }
    assert await counts(date(2025, 1, 4)) == {s: 0 for s in await counts(date(2025, 1, 4))}
    january = DateRange(date(2025, 1, 1), date(2025, 1, 31))
    days = (await stage_distribution(session, workspace_id=workspace_id, window=january)).days
    assert days[4].counts["potential"] == 1  # b first seen on the 5th
    assert days[9].counts["new"] == 1  # a's first purchase on the 10th

    sources = await source_mix(session, workspace_id=workspace_id, window=january)
    assert sources.new_users == 2  # a and b first seen in January
    churn = await churn_rate(
        session, workspace_id=workspace_id, window=DateRange(date(2025, 4, 16), date(2025, 5, 15))
    )
    assert (churn.active_at_start, churn.churned, churn.rate) == (3, 1, 0.3333)
    repurchase = await repurchase_rate(
        session, workspace_id=workspace_id, window=DateRange(date(2025, 1, 1), date(2025, 5, 31))
    )
    assert (repurchase.purchasers, repurchase.repurchasers, repurchase.rate) == (3, 2, 0.6667)
    active = await activity(
        session, workspace_id=workspace_id, window=DateRange(date(2025, 1, 1), date(2025, 2, 28))
    )
    assert active.distinct_active_users == 3  # a, b, c
    assert {d.date: d.active_users for d in active.days if d.active_users} == {
        date(2025, 1, 5): 1,
        date(2025, 1, 10): 1,
        date(2025, 1, 20): 1,
        date(2025, 2, 1): 1,
        date(2025, 2, 10): 1,
    }


async def test_stage_histories_and_their_events_tell_the_past(
    session: AsyncSession, workspace_id: UUID, importer: Importer
) -> None:
    await importer(session, workspace_id)
    moves = {
        user: [
            (row.from_value, row.to_value, row.changed_at.replace(tzinfo=UTC))
            for row in await history(session, workspace_id=workspace_id, user_id=user)
            if row.kind == "stage"
        ]
        for user in "abcd"
    }
    assert moves["a"] == [
        ("potential", "new", noon(1, 10)),
        ("new", "active", noon(2, 9)),
        ("active", "churned", noon(4, 20)),
    ]
    assert moves["b"] == [
        ("potential", "new", noon(2, 1)),
        ("new", "active", noon(3, 3)),
        ("active", "churned", noon(7, 30)),
    ]
    assert moves["c"] == []
    assert moves["d"] == [
        ("potential", "new", noon(4, 1)),
        ("new", "active", noon(5, 1)),
        ("active", "churned", noon(6, 30)),
    ]
    reasons = [row.reason for row in await history(session, workspace_id=workspace_id, user_id="a")]
    assert reasons[-1].startswith("no purchase for 90 days")
    # the current stage is today's rules as of now
    for user, stage in {"a": "churned", "b": "churned", "c": "potential", "d": "churned"}.items():
        assert (await get_profile(session, workspace_id=workspace_id, user_id=user)).stage == stage
    events = await _stage_events(session)
    assert all(e["data"]["historical"] is True for e in events)
    published = [
        (e["data"]["user_id"], e["data"]["to_stage"], e["data"]["changed_at"][:10]) for e in events
    ]
    # each move published once, however many batches carried it
    assert len(published) == len(set(published))
    stored = {
        (user, to, at.date().isoformat()) for user, rows in moves.items() for _, to, at in rows
    }
    assert stored <= set(published)
    # through the events API, b's churn on 05-02 (known from the first batch) was published
    # before the second batch moved it to 07-30; the import publishes only the final history
    assert set(published) - stored <= {("b", "churned", "2025-05-02")}


async def test_a_late_event_rewrites_only_that_users_past(
    session: AsyncSession, workspace_id: UUID
) -> None:
    await _through_events_api(session, workspace_id)
    before = len(await _stage_events(session))
    # c's purchase on 2025-03-01 arrives a year late
    await ingest(
        session, workspace_id=workspace_id, items=[_item("c", "purchase", 3, 1, 10)], now=NOW
    )
    moves = [
        (row.from_value, row.to_value, row.changed_at.replace(tzinfo=UTC))
        for row in await history(session, workspace_id=workspace_id, user_id="c")
    ]
    assert moves == [
        ("potential", "new", noon(3, 1)),
        ("new", "active", noon(3, 31)),
        ("active", "churned", noon(5, 30)),  # the login of 02-10 is older than the purchase
    ]
    events = await _stage_events(session)
    assert len(events) == before + 3
    assert {e["data"]["user_id"] for e in events[before:]} == {"c"}
    # a live event today still moves its user now, not historically
    await ingest(
        session,
        workspace_id=workspace_id,
        items=[
            {
                **_item("a", "purchase", 1, 1, 10),
                "event_id": "a-now",
                "occurred_at": NOW.isoformat(),
            }
        ],
        now=NOW,
    )
    last = (await _stage_events(session))[-1]["data"]
    assert (last["user_id"], last["from_stage"], last["to_stage"]) == ("a", "churned", "active")
    assert last["historical"] is False


async def test_a_late_event_that_moves_nothing_leaves_the_history_as_stored(
    session: AsyncSession, workspace_id: UUID
) -> None:
    await _through_events_api(session, workspace_id)
    before = [
        (row.id, row.to_value)
        for row in await history(session, workspace_id=workspace_id, user_id="a")
    ]
    published = len(await _stage_events(session))
    # a page view of a's on 02-20, while active: the derived history is the same
    late = await ingest(
        session, workspace_id=workspace_id, items=[_item("a", "page_view", 2, 20)], now=NOW
    )
    assert late.accepted == 1
    after = [
        (row.id, row.to_value)
        for row in await history(session, workspace_id=workspace_id, user_id="a")
    ]
    assert after == before  # the same rows, not deleted and written again
    assert [to for _, to in after] == ["new", "active", "churned"]
    assert len(await _stage_events(session)) == published
