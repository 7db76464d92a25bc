"""Putting a message in line: a `pending` send, dispatched later by the sender job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.sending.models import Send
from yunying_shared.db import sql_dialect


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
    rows = [
        {
            "id": uuid4(),
            **send.__dict__,
            "state": "pending",
            "reason": None,
            "due_at": now,
            "claimed_at": None,
            "sent_at": None,
            "attempts": 0,
            "created_at": now,
        }
        for send in sends
    ]
    await session.execute(
        sql_dialect(session).insert(Send.__table__).on_conflict_do_nothing(), rows
    )
