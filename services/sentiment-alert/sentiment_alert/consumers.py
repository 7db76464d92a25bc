"""Thin handlers: parse, call the service function, done.

Mentions from crawlers come as a batch handler: a fetched run is ingested on the same bulk
path as `POST /v1/mentions` (one `ingest` per workspace), so the topic is served as fast as
HTTP. A rejected item fails the batch; the consumer runner then rolls it back and hands its
events over one at a time, where the rejected one is dead-lettered alone and the rest land.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.crises.service import record_published_content
from sentiment_alert.mentions.service import ingest
from yunying_shared.bus import PermanentFailure
from yunying_shared.events import Envelope
from yunying_shared.events.catalogue import CONTENT_ITEM_TRANSITIONED, MENTION_RECEIVED
from yunying_shared.events.payloads.content import ContentItemTransitioned
from yunying_shared.events.payloads.listening import MentionReceived
from yunying_shared.kit import on, on_batch


def _workspace(envelope: Envelope) -> UUID:
    workspace: UUID | None = envelope.workspace
    if workspace is None:
        raise PermanentFailure(f"{envelope.type} {envelope.id} names no workspace")
    return workspace


async def on_mentions(
    session: AsyncSession, events: Sequence[tuple[Envelope, MentionReceived]]
) -> None:
    by_workspace: dict[UUID, list[dict[str, Any]]] = {}
    for envelope, payload in events:
        by_workspace.setdefault(_workspace(envelope), []).append(payload.model_dump())
    for workspace_id, items in by_workspace.items():
        result = await ingest(session, workspace_id=workspace_id, items=items)
        if result.rejected:
            rejected = [
                {"platform_id": r.platform_id, "errors": r.errors}
                for r in result.results
                if r.status == "rejected"
            ]
            raise PermanentFailure(f"rejected: {rejected}")


async def on_content_transitioned(
    session: AsyncSession, envelope: Envelope, payload: ContentItemTransitioned
) -> None:
    """Published content counts towards the repair of the workspace's open crisis cases."""
    if payload.to_state != "published":
        return
    await record_published_content(
        session,
        workspace_id=_workspace(envelope),
        content_id=payload.content_id,
        title=payload.title,
        kind=payload.kind,
        at=payload.occurred_at,
    )


HANDLERS = (
    # Idempotent: a redelivered mention is a duplicate of its platform id (stored once per
    # workspace, platform and id), so the runner writes no inbox row per event.
    on_batch(MENTION_RECEIVED, on_mentions, idempotent=True),
    on(CONTENT_ITEM_TRANSITIONED, on_content_transitioned),
)
