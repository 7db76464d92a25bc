"""Ingestion: validate each item, store new events, fold them into profiles, re-stage, tag.

One batch is a handful of statements whatever its size: one INSERT ... ON CONFLICT DO NOTHING
RETURNING for the events (the unique (workspace, event_id) makes a CRM retry a no-op), one upsert
for the profiles it touches, then updates only for users whose stage changed. Aggregates are
order-independent (sums, counts, min/max of timestamps), so late and out-of-order events land
where they belong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import utcnow
from segmentation.events import postgres
from segmentation.events.models import UserEvent
from segmentation.events.schemas import (
    BatchResult,
    ItemResult,
    Rejection,
    ValidEvent,
    validate_item,
)
from segmentation.events.upsert import dialect_of, earliest, insert_for, latest
from segmentation.lifecycle.rules import LifecycleRules
from segmentation.lifecycle.service import restage
from segmentation.profiles.models import Profile
from segmentation.segments.membership import refresh_memberships
from segmentation.settings.service import get_settings
from segmentation.tags.service import apply_tag_rules

EVENTS = UserEvent.__table__
PROFILES = Profile.__table__


@dataclass
class _Aggregate:
    first_seen_at: datetime
    last_active_at: datetime
    last_login_at: datetime | None = None
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    order_count: int = 0
    refund_count: int = 0
    monetary: Decimal = Decimal(0)

    def fold(self, event: ValidEvent) -> None:
        at = event.occurred_at
        self.first_seen_at = min(self.first_seen_at, at)
        self.last_active_at = max(self.last_active_at, at)
        if event.type == "login":
            self.last_login_at = at if self.last_login_at is None else max(self.last_login_at, at)
        elif event.type == "purchase":
            self.order_count += 1
            self.monetary += event.amount or 0
            self.first_purchase_at = min(self.first_purchase_at or at, at)
            self.last_purchase_at = max(self.last_purchase_at or at, at)
        elif event.type == "refund":
            self.refund_count += 1
            self.monetary -= event.amount or 0


async def ingest(
    session: AsyncSession, *, workspace_id: UUID, items: Sequence[Any], now: datetime | None = None
) -> BatchResult:
    now = now or utcnow()
    results: list[ItemResult] = []
    valid: list[tuple[int, ValidEvent]] = []
    seen: set[str] = set()
    for index, raw in enumerate(items):
        checked = validate_item(raw, now)
        if isinstance(checked, Rejection):
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            results.append(
                ItemResult(
                    index=index,
                    event_id=event_id if isinstance(event_id, str) else None,
                    status="rejected",
                    errors=checked.errors,
                )
            )
        elif checked.event_id in seen:
            results.append(ItemResult(index=index, event_id=checked.event_id, status="duplicate"))
        else:
            seen.add(checked.event_id)
            valid.append((index, checked))
    inserted = await _insert_events(session, workspace_id, [e for _, e in valid], now)
    accepted = [event for _, event in valid if event.event_id in inserted]
    for index, event in valid:
        status = "accepted" if event.event_id in inserted else "duplicate"
        results.append(
            ItemResult(
                index=index,
                event_id=event.event_id,
                status=status,
                extra_truncated=event.extra_truncated,
            )
        )
    if accepted:
        touched = await _upsert_profiles(session, workspace_id, accepted, now)
        settings = await get_settings(session, workspace_id=workspace_id)
        rules = LifecycleRules.model_validate(settings.lifecycle_rules)
        await restage(session, workspace_id=workspace_id, rules=rules, profiles=touched, now=now)
        await apply_tag_rules(session, workspace_id=workspace_id, events=accepted, now=now)
        await refresh_memberships(
            session,
            workspace_id=workspace_id,
            user_ids={event.user_id for event in accepted},
            now=now,
        )
    results.sort(key=lambda r: r.index)
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("accepted", "duplicate", "rejected")
    }
    return BatchResult(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        results=results,
    )


async def _insert_events(
    session: AsyncSession, workspace_id: UUID, events: list[ValidEvent], now: datetime
) -> set[str]:
    if not events:
        return set()
    if dialect_of(session) == "postgresql":
        return await postgres.insert_events(session, workspace_id, events, now)
    rows = [
        {
            "workspace_id": workspace_id,
            "event_id": e.event_id,
            "user_id": e.user_id,
            "type": e.type,
            "occurred_at": e.occurred_at,
            "received_at": now,
            "amount": e.amount,
            "currency": e.currency,
            "order_id": e.order_id,
            "properties": e.properties,
        }
        for e in events
    ]
    # executemany with RETURNING: one cached statement, sent as multi-row INSERTs by SQLAlchemy
    statement = (
        insert_for(dialect_of(session), EVENTS)
        .on_conflict_do_nothing(index_elements=["workspace_id", "event_id"])
        .returning(EVENTS.c.event_id)
    )
    return set((await session.execute(statement, rows)).scalars())


async def _upsert_profiles(
    session: AsyncSession, workspace_id: UUID, events: list[ValidEvent], now: datetime
) -> list[Any]:
    aggregates: dict[str, _Aggregate] = {}
    for event in events:
        aggregate = aggregates.get(event.user_id)
        if aggregate is None:
            aggregate = aggregates[event.user_id] = _Aggregate(event.occurred_at, event.occurred_at)
        aggregate.fold(event)
    # Sorted, so concurrent batches lock shared profiles in the same order (no deadlocks).
    if dialect_of(session) == "postgresql":
        return await postgres.upsert_profiles(
            session, workspace_id, sorted(aggregates.items()), now
        )
    rows = [
        {
            "workspace_id": workspace_id,
            "user_id": user_id,
            "first_seen_at": a.first_seen_at,
            "last_active_at": a.last_active_at,
            "last_login_at": a.last_login_at,
            "first_purchase_at": a.first_purchase_at,
            "last_purchase_at": a.last_purchase_at,
            "order_count": a.order_count,
            "refund_count": a.refund_count,
            "monetary_total": a.monetary,
            "identities": {},
            "extra": {},
            "complaint_reasons": [],
            "source": "organic",
            "stage": "potential",
            "created_at": now,
            "updated_at": now,
        }
        for user_id, a in sorted(aggregates.items())
    ]
    dialect = dialect_of(session)
    statement = insert_for(dialect, PROFILES)
    new, old = statement.excluded, PROFILES.c
    statement = statement.on_conflict_do_update(
        index_elements=["workspace_id", "user_id"],
        set_={
            "first_seen_at": earliest(dialect, old.first_seen_at, new.first_seen_at),
            "last_active_at": latest(dialect, old.last_active_at, new.last_active_at),
            "last_login_at": latest(dialect, old.last_login_at, new.last_login_at),
            "first_purchase_at": earliest(dialect, old.first_purchase_at, new.first_purchase_at),
            "last_purchase_at": latest(dialect, old.last_purchase_at, new.last_purchase_at),
            "order_count": old.order_count + new.order_count,
            "refund_count": old.refund_count + new.refund_count,
            "monetary_total": old.monetary_total + new.monetary_total,
            "updated_at": new.updated_at,
        },
    ).returning(
        old.id,
        old.user_id,
        old.stage,
        old.first_purchase_at,
        old.last_purchase_at,
        old.last_active_at,
        old.f_score,
        old.m_score,
        old.churn_reason,
    )
    return list((await session.execute(statement, rows)).all())
