"""Every change of an item leaves an audit entry; every change of state is also announced on
`content.item.v1`, in the same transaction (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content_review.db import BUS, SOURCE
from content_review.items.models import ContentItem
from content_review.review.models import AuditEntry
from yunying_shared.bus import publish
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import CONTENT_ITEM_TRANSITIONED
from yunying_shared.events.payloads.content import ContentItemTransitioned

REASON_LIMIT = 500


def audit(
    session: AsyncSession,
    item: ContentItem,
    *,
    action: str,
    actor_id: str | None,
    now: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            workspace_id=item.workspace_id,
            item_id=item.id,
            revision=item.revision,
            actor_id=actor_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            detail=detail or {},
            at=now,
        )
    )


async def move(
    session: AsyncSession,
    item: ContentItem,
    to_state: str,
    *,
    action: str,
    actor_id: str | None,
    now: datetime,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Changes the item's state, audits it and publishes `content.item_transitioned`."""
    from_state = item.state
    item.state = to_state
    item.updated_at = now
    audit(
        session,
        item,
        action=action,
        actor_id=actor_id,
        now=now,
        from_state=from_state,
        to_state=to_state,
        detail={**({"reason": reason} if reason else {}), **(detail or {})},
    )
    await announce(session, item, from_state=from_state, actor_id=actor_id, reason=reason, now=now)


async def announce(
    session: AsyncSession,
    item: ContentItem,
    *,
    from_state: str | None,
    actor_id: str | None,
    reason: str | None,
    now: datetime,
) -> None:
    payload = ContentItemTransitioned(
        content_id=str(item.id),
        revision=item.revision,
        from_state=from_state,
        to_state=item.state,
        kind="ad" if item.is_ad else "value",
        platform=item.platform,
        title=item.title,
        actor_id=actor_id,
        reason=_shortened(reason),
        planned_publish_at=item.planned_publish_at,
        occurred_at=now,
    )
    event = make_event(
        CONTENT_ITEM_TRANSITIONED, payload, source=SOURCE, workspace=item.workspace_id
    )
    await publish(session, BUS, event)


def _shortened(reason: str | None) -> str | None:
    if reason is None or len(reason) <= REASON_LIMIT:
        return reason
    return reason[: REASON_LIMIT - 1] + "…"
