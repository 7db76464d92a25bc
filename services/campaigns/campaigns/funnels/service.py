"""Touches in, outcomes attributed, and the funnel read per variant and platform.

Attribution: a purchase or share counts for every campaign that exposed or clicked the user
within the attribution window before it (each campaign reads its own funnel; they are not
shares of one order), with the variant and platform of that campaign's latest touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import as_utc, utcnow
from campaigns.experiments.models import Experiment
from campaigns.experiments.service import arm_for, record_exposure
from campaigns.funnels.models import CustomerOrders, FunnelOutcome, FunnelTouch
from campaigns.funnels.schemas import TouchBatchResult, TouchIn, TouchResult
from yunying_shared.db import sql_dialect

ATTRIBUTION_WINDOW = timedelta(days=7)


class Purchase(NamedTuple):
    event_id: str
    user_id: str
    at: datetime


_TOUCH = TypeAdapter(TouchIn)


async def _running_experiments(
    session: AsyncSession, workspace_id: UUID, campaign_id: UUID
) -> list[Experiment]:
    rows = await session.scalars(
        select(Experiment)
        .where(
            Experiment.workspace_id == workspace_id,
            Experiment.campaign_id == campaign_id,
            Experiment.status == "running",
        )
        .order_by(Experiment.created_at)
    )
    return list(rows)


def _rejected(index: int, error: ValidationError) -> TouchResult:
    return TouchResult(
        index=index,
        status="rejected",
        errors=[
            {"field": ".".join(str(p) for p in e["loc"]) or "item", "message": e["msg"]}
            for e in error.errors()
        ],
    )


async def record_touches(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    campaign_id: UUID,
    items: Sequence[Any],
    now: datetime | None = None,
) -> TouchBatchResult:
    """Each item judged alone. An exposure also counts as the user's exposure in the
    campaign's running experiments, so one call from the sender feeds both."""
    now = now or utcnow()
    experiments = await _running_experiments(session, workspace_id, campaign_id)
    results: list[TouchResult] = []
    for index, raw in enumerate(items):
        try:
            touch = _TOUCH.validate_python(raw)
        except ValidationError as error:
            results.append(_rejected(index, error))
            continue
        at = touch.occurred_at or now
        variant = touch.variant
        if variant is None:
            variant = arm_for(experiments[0], touch.user_id) if experiments else ""
        if touch.kind == "exposure":
            for experiment in experiments:
                await record_exposure(
                    session, experiment, user_id=touch.user_id, platform=touch.platform, at=at
                )
        inserted = await session.execute(
            sql_dialect(session)
            .insert(FunnelTouch.__table__)
            .values(
                workspace_id=workspace_id,
                campaign_id=campaign_id,
                user_id=touch.user_id,
                kind=touch.kind,
                variant=variant,
                platform=touch.platform.lower(),
                touch_id=touch.touch_id or uuid4().hex,
                occurred_at=at,
            )
            .on_conflict_do_nothing()
            .returning(FunnelTouch.__table__.c.id)
        )
        status = "recorded" if inserted.first() is not None else "duplicate"
        results.append(TouchResult(index=index, status=status, variant=variant))
    return TouchBatchResult(
        recorded=sum(r.status == "recorded" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
        results=results,
    )


async def count_purchases(
    session: AsyncSession, *, workspace_id: UUID, purchases: Sequence[Purchase]
) -> set[str]:
    """Counts a batch's purchases in one statement; returns the event ids of first orders (a
    user's first purchase campaigns has seen, in the batch's order)."""
    if not purchases:
        return set()
    per_user: dict[str, list[Purchase]] = {}
    for purchase in purchases:
        per_user.setdefault(purchase.user_id, []).append(purchase)
    table = CustomerOrders.__table__
    insert = sql_dialect(session).insert(table)
    # One row per user (PostgreSQL refuses an upsert that touches the same row twice), sent as
    # an executemany: SQLAlchemy batches it into multi-row VALUES with one cached compilation.
    counted = await session.execute(
        insert.on_conflict_do_update(
            index_elements=["workspace_id", "user_id"],
            set_={"orders": table.c.orders + insert.excluded.orders},
        ).returning(table.c.user_id, table.c.orders),
        [
            {
                "workspace_id": workspace_id,
                "user_id": user_id,
                "orders": len(theirs),
                "first_order_at": theirs[0].at,
            }
            for user_id, theirs in per_user.items()
        ],
    )
    # A user whose count is exactly this batch's had none before: their first here is first.
    return {
        per_user[user_id][0].event_id
        for user_id, orders in counted.all()
        if int(orders) == len(per_user[user_id])
    }


class Outcome(NamedTuple):
    user_id: str
    kind: str  # purchase, share
    event_id: str
    amount: Decimal | None
    at: datetime
    first_order: bool = False


async def attribute_outcomes(
    session: AsyncSession, *, workspace_id: UUID, outcomes: Sequence[Outcome]
) -> int:
    """A batch's purchases and shares, each attributed to every campaign that touched its user
    within the window before it, with the variant and platform of that campaign's latest
    touch. Two statements per batch (the users' touches over the batch's whole window, one
    insert); an outcome recorded before stays as it was. Returns how many rows it added."""
    if not outcomes:
        return 0
    sql = sql_dialect(session)
    earliest = min(o.at for o in outcomes) - ATTRIBUTION_WINDOW
    latest = max(o.at for o in outcomes)
    touches = await session.execute(
        select(
            FunnelTouch.user_id,
            FunnelTouch.campaign_id,
            FunnelTouch.variant,
            FunnelTouch.platform,
            FunnelTouch.occurred_at,
        )
        .where(
            FunnelTouch.workspace_id == workspace_id,
            sql.in_list(
                FunnelTouch.user_id, "users", String(), sorted({o.user_id for o in outcomes})
            ),
            FunnelTouch.occurred_at <= latest,
            FunnelTouch.occurred_at > earliest,
        )
        .order_by(FunnelTouch.occurred_at.desc())
    )
    by_user: dict[str, list[Any]] = {}
    for touch in touches:  # newest first
        by_user.setdefault(touch.user_id, []).append(touch)
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        latest_touch: dict[UUID, Any] = {}
        for touch in by_user.get(outcome.user_id, ()):
            at = as_utc(touch.occurred_at)
            if outcome.at - ATTRIBUTION_WINDOW < at <= outcome.at:
                latest_touch.setdefault(touch.campaign_id, touch)
        rows += [
            {
                "workspace_id": workspace_id,
                "campaign_id": campaign_id,
                "user_id": outcome.user_id,
                "kind": outcome.kind,
                "variant": touch.variant,
                "platform": touch.platform,
                "event_id": outcome.event_id,
                "first_order": outcome.first_order,
                "amount": outcome.amount,
                "occurred_at": outcome.at,
            }
            for campaign_id, touch in latest_touch.items()
        ]
    if rows:
        await session.execute(sql.insert(FunnelOutcome.__table__).on_conflict_do_nothing(), rows)
    return len(rows)
