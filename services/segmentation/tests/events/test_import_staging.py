"""A history import chunk lands as live ingestion would land the same events: the same event
rows and the same profile aggregates (PostgreSQL folds the staged rows in SQL, SQLite takes live
ingestion's statements), events already stored count as duplicates and fold nothing, texts with
a backslash arrive intact, and tag rules tag from imported events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.history_import import import_chunk, open_import
from segmentation.events.service import ingest
from segmentation.records.models import Profile, UserEvent
from segmentation.tags.schemas import TagRuleIn
from segmentation.tags.service import create_rule, list_tags

Event = Callable[..., dict[str, Any]]
FOLDED = (
    "first_seen_at",
    "last_active_at",
    "last_login_at",
    "first_purchase_at",
    "last_purchase_at",
    "order_count",
    "refund_count",
    "monetary_total",
)


def _items(crm_event: Event) -> list[dict[str, Any]]:
    return [
        crm_event("u1", "purchase", amount="19.90", days_ago=40, event_id="p1"),
        crm_event("u1", "refund", amount="5.05", days_ago=30, event_id="r1"),
        crm_event("u1", "login", days_ago=20, event_id="l1"),
        crm_event("u2", "page_view", days_ago=10, event_id="v1"),
        crm_event("u\\2", "purchase", amount=7, days_ago=9, event_id="id\\with\\backslash"),
        crm_event("u3", "product_view", days_ago=2, properties={"note": 'a\\b "c"\t'}),
        crm_event("u1", "purchase", amount="0.10", days_ago=1, event_id="p2"),
    ]


async def _profiles(session: AsyncSession, workspace_id: UUID) -> dict[str, tuple[Any, ...]]:
    rows = await session.execute(
        select(Profile.user_id, *(getattr(Profile, name) for name in FOLDED)).where(
            Profile.workspace_id == workspace_id
        )
    )
    return {row[0]: tuple(row[1:]) for row in rows}


async def _events(session: AsyncSession, workspace_id: UUID) -> set[tuple[Any, ...]]:
    rows = await session.execute(
        select(
            UserEvent.event_id,
            UserEvent.user_id,
            UserEvent.type,
            UserEvent.occurred_at,
            UserEvent.amount,
            UserEvent.currency,
            UserEvent.order_id,
            UserEvent.properties,
        ).where(UserEvent.workspace_id == workspace_id)
    )
    return {(*row[:7], repr(row[7])) for row in rows}


async def test_an_imported_chunk_stores_and_folds_as_live_ingestion(
    session: AsyncSession, now: datetime, crm_event: Event
) -> None:
    items = _items(crm_event)
    live, imported = uuid4(), uuid4()
    for workspace_id in (live, imported):  # one event of each already stored, as live
        await ingest(session, workspace_id=workspace_id, items=items[:1], now=now)
    await ingest(session, workspace_id=live, items=items, now=now)
    run = await open_import(session, workspace_id=imported, name="crm", now=now)
    await import_chunk(session, run=run, items=[*items, {"event_id": "bad"}], now=now)

    assert (run.accepted, run.duplicates, run.rejected) == (6, 1, 1)
    assert await _profiles(session, imported) == await _profiles(session, live)
    assert len(await _profiles(session, imported)) == 4
    assert await _events(session, imported) == await _events(session, live)
    # a second chunk in the same transaction stages only its own rows
    await import_chunk(session, run=run, items=items[-1:], now=now)
    assert (run.accepted, run.duplicates) == (6, 2)
    assert await _profiles(session, imported) == await _profiles(session, live)


async def test_tag_rules_tag_from_an_imported_chunk(
    session: AsyncSession, workspace_id: UUID, now: datetime, crm_event: Event
) -> None:
    await create_rule(
        session,
        workspace_id=workspace_id,
        rule=TagRuleIn(
            name="skincare browsers",
            event_type="product_view",
            match_properties={"category": "skincare"},
            tag="护肤兴趣",
            ttl_days=30,
        ),
    )
    run = await open_import(session, workspace_id=workspace_id, name="crm", now=now)
    items = [
        crm_event("u1", "product_view", properties={"category": "skincare"}, days_ago=1),
        crm_event("u2", "product_view", properties={"category": "shoes"}, days_ago=1),
        crm_event("u3", "login", days_ago=1),
    ]
    await import_chunk(session, run=run, items=items, now=now)

    tagged = await list_tags(session, workspace_id=workspace_id, user_id="u1", now=now)
    assert [(t.tag, t.source) for t in tagged] == [("护肤兴趣", "rule")]
    assert await list_tags(session, workspace_id=workspace_id, user_id="u2", now=now) == []
