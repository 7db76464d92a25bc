"""Thin handlers: parse, call the service function, done. A crisis holds the workspace's
scheduled ads; its resolution (once no other case is open) releases them."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from content_review.clock import utcnow
from content_review.publishing.service import record_crisis_opened, record_crisis_resolved
from yunying_shared.bus import PermanentFailure
from yunying_shared.events import Envelope
from yunying_shared.events.catalogue import CRISIS_OPENED, CRISIS_RESOLVED
from yunying_shared.events.payloads.sentiment import CrisisCase
from yunying_shared.kit import on


def _workspace(envelope: Envelope) -> UUID:
    if envelope.workspace is None:
        raise PermanentFailure(f"{envelope.type} {envelope.id} names no workspace")
    return envelope.workspace


async def on_crisis_opened(session: AsyncSession, envelope: Envelope, case: CrisisCase) -> None:
    await record_crisis_opened(
        session,
        workspace_id=_workspace(envelope),
        case_id=case.case_id,
        opened_at=case.opened_at,
        now=utcnow(),
    )


async def on_crisis_resolved(session: AsyncSession, envelope: Envelope, case: CrisisCase) -> None:
    await record_crisis_resolved(
        session, workspace_id=_workspace(envelope), case_id=case.case_id, now=utcnow()
    )


HANDLERS = (on(CRISIS_OPENED, on_crisis_opened), on(CRISIS_RESOLVED, on_crisis_resolved))
