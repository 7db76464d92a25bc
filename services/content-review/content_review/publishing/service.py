"""Scheduling approved items, the 7:3 ratio, crisis holds, and the due-items job's steps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.clock import as_utc
from content_review.items.models import ContentItem
from content_review.items.service import get_item
from content_review.publishing.exceptions import NoPublishTime
from content_review.publishing.models import CrisisCase
from content_review.review.exceptions import OutOfOrder
from content_review.review.trail import move

# Value content : ads must stay at least 7 : 3 per account.
VALUE_SHARE, AD_SHARE = 7, 3
# What counts as posted for the ratio and the calendar: going out, gone out, or held back.
PLANNED_STATES = ("scheduled", "published", "held")
# Not approved by the publish time: these expire.
UNAPPROVED_STATES = ("draft", "submitted", "scanned", "operator_checked")


async def crisis_open(session: AsyncSession, *, workspace_id: UUID) -> bool:
    open_case = await session.scalar(
        select(CrisisCase.case_id)
        .where(CrisisCase.workspace_id == workspace_id, CrisisCase.resolved_at.is_(None))
        .limit(1)
    )
    return open_case is not None


async def ratio_warning(
    session: AsyncSession, *, item: ContentItem, publish_at: datetime, window: timedelta
) -> str | None:
    """A warning when scheduling this ad would put the account's ads above 3 in 10 over the
    window ending at its publish time."""
    if not item.is_ad:
        return None
    rows = await session.execute(
        select(ContentItem.kind, func.count())
        .where(
            ContentItem.workspace_id == item.workspace_id,
            ContentItem.platform == item.platform,
            ContentItem.account == item.account,
            ContentItem.state.in_(PLANNED_STATES),
            ContentItem.id != item.id,
            ContentItem.planned_publish_at > publish_at - window,
            ContentItem.planned_publish_at <= publish_at,
        )
        .group_by(ContentItem.kind)
    )
    counts = {kind: int(count) for kind, count in rows.all()}
    ads = counts.pop("ad", 0) + 1
    values = sum(counts.values())
    if ads * VALUE_SHARE <= values * AD_SHARE:
        return None
    return (
        f"ratio: with this ad, {item.platform}/{item.account} has {ads} ad(s) to {values} value "
        f"item(s) in the {window.days} days up to {publish_at.date().isoformat()}; "
        f"the rule is at least {VALUE_SHARE}:{AD_SHARE}"
    )


async def schedule(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    actor_id: str,
    publish_at: datetime | None,
    window: timedelta,
    now: datetime,
) -> tuple[ContentItem, list[str]]:
    """approved → scheduled (an ad while a crisis is open → held). The 7:3 ratio is a warning
    on the response and in the trail, not a refusal: the operator decides."""
    item = await get_item(session, workspace_id=workspace_id, item_id=item_id, for_update=True)
    if item.state != "approved":
        raise OutOfOrder(
            f"Cannot schedule: the item is {item.state}; only approved items are scheduled.",
            state=item.state,
        )
    when = publish_at or item.planned_publish_at
    if when is None:
        raise NoPublishTime(
            "The item has no planned publish time: give publish_at.",
            errors=[{"field": "body.publish_at", "message": "required: the item has none"}],
        )
    if as_utc(when) <= now:
        raise NoPublishTime(
            "The publish time has passed.",
            errors=[{"field": "body.publish_at", "message": "must be in the future"}],
        )
    item.planned_publish_at = when
    warning = await ratio_warning(session, item=item, publish_at=as_utc(when), window=window)
    warnings = [warning] if warning else []
    detail = {"warnings": warnings} if warnings else {}
    await move(
        session, item, "scheduled", action="scheduled", actor_id=actor_id, now=now, detail=detail
    )
    if item.is_ad and await crisis_open(session, workspace_id=workspace_id):
        await move(
            session,
            item,
            "held",
            action="held",
            actor_id=None,
            now=now,
            reason="A crisis is open: ads are held until it is resolved.",
        )
    return item, warnings


async def record_crisis_opened(
    session: AsyncSession, *, workspace_id: UUID, case_id: str, opened_at: datetime, now: datetime
) -> int:
    """Records the case and holds every scheduled ad of the workspace; returns how many."""
    case = await session.get(CrisisCase, (workspace_id, case_id))
    if case is None:
        session.add(
            CrisisCase(
                workspace_id=workspace_id, case_id=case_id, opened_at=opened_at, resolved_at=None
            )
        )
    elif case.resolved_at is not None:
        return 0  # a late duplicate of an opening already resolved
    await session.flush()
    held = 0
    for item in await _items(session, workspace_id, "scheduled", ads_only=True):
        await move(
            session,
            item,
            "held",
            action="held",
            actor_id=None,
            now=now,
            reason=f"Crisis {case_id} is open: ads are held until it is resolved.",
        )
        held += 1
    return held


async def record_crisis_resolved(
    session: AsyncSession, *, workspace_id: UUID, case_id: str, now: datetime
) -> int:
    """Closes the case; once no case is open, held ads go back to scheduled."""
    case = await session.get(CrisisCase, (workspace_id, case_id))
    if case is None:
        case = CrisisCase(workspace_id=workspace_id, case_id=case_id, opened_at=now)
        session.add(case)
    case.resolved_at = case.resolved_at or now
    await session.flush()
    if await crisis_open(session, workspace_id=workspace_id):
        return 0
    released = 0
    for item in await _items(session, workspace_id, "held", ads_only=True):
        await move(
            session,
            item,
            "scheduled",
            action="released",
            actor_id=None,
            now=now,
            reason=f"Crisis {case_id} resolved: held ads are released.",
        )
        released += 1
    return released


async def _items(
    session: AsyncSession, workspace_id: UUID, state: str, *, ads_only: bool
) -> Sequence[ContentItem]:
    query = select(ContentItem).where(
        ContentItem.workspace_id == workspace_id, ContentItem.state == state
    )
    if ads_only:
        query = query.where(ContentItem.kind == "ad")
    return (await session.scalars(query.order_by(ContentItem.id).with_for_update())).all()


async def advance_due_items(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Expires items not approved by their publish time and publishes scheduled ones whose
    time came (held ads wait for the crisis to end). Returns how many items moved."""
    due = (
        await session.scalars(
            select(ContentItem)
            .where(
                ContentItem.state.in_((*UNAPPROVED_STATES, "scheduled")),
                ContentItem.planned_publish_at <= now,
            )
            .order_by(ContentItem.planned_publish_at, ContentItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for item in due:
        if item.state == "scheduled":
            item.published_at = now
            await move(session, item, "published", action="published", actor_id=None, now=now)
        else:
            await move(
                session,
                item,
                "expired",
                action="expired",
                actor_id=None,
                now=now,
                reason="Not approved before the planned publish time.",
            )
    return len(due)
