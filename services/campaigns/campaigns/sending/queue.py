"""Putting a message in line: a `pending` send, dispatched later by the sender job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.sending.storage import STORAGE


@dataclass(frozen=True)
class NewSend:
    workspace_id: UUID
    dedupe_key: str
    user_id: str
    channel: str
    body: str
    campaign_id: UUID | None = None
    enrollment_id: UUID | None = None
    priority: int = 0
    promotional: bool = True


async def enqueue(session: AsyncSession, sends: Sequence[NewSend], *, now: datetime) -> None:
    """Adds the sends; one already queued under its dedupe key is left as it is."""
    if not sends:
        return
    await STORAGE.of(session).insert(session, sends, now)
