from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import as_utc
from campaigns.content.models import ContentItem
from yunying_shared.events.payloads.content import ContentItemTransitioned


async def record_transition(
    session: AsyncSession, *, workspace_id: UUID, event: ContentItemTransitioned
) -> None:
    """Keeps the item's latest state; a transition older than the one stored changes nothing
    (the topic is ordered per item, but a replayed dead letter may arrive late)."""
    item = await session.get(ContentItem, (workspace_id, event.content_id))
    if item is None:
        session.add(
            ContentItem(
                workspace_id=workspace_id,
                content_id=event.content_id,
                revision=event.revision,
                state=event.to_state,
                kind=event.kind,
                platform=event.platform,
                title=event.title,
                occurred_at=event.occurred_at,
            )
        )
    elif as_utc(event.occurred_at) >= as_utc(item.occurred_at):
        item.revision = event.revision
        item.state = event.to_state
        item.title = event.title
        item.platform = event.platform
        item.occurred_at = event.occurred_at
    await session.flush()
