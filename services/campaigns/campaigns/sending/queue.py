"""Putting a message in line: a `pending` send, dispatched later by the sender job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.sending.models import NewSend
from campaigns.sending.storage import STORAGE

__all__ = ["NewSend", "enqueue"]


async def enqueue(session: AsyncSession, sends: Sequence[NewSend], *, now: datetime) -> None:
    """Adds the sends; one already queued under its dedupe key is left as it is."""
    if not sends:
        return
    await STORAGE.of(session).insert(session, sends, now)
