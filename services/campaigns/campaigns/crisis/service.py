"""Crisis cases: while one is open in a workspace, promotional sends wait (state `paused`, the
case named as the reason); when the last one is resolved they are due again at once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.crisis.models import CrisisCase
from campaigns.sending.models import Send
from yunying_shared.events.payloads.sentiment import CrisisCase as CrisisPayload


async def record_opened(session: AsyncSession, *, workspace_id: UUID, case: CrisisPayload) -> None:
    stored = await session.get(CrisisCase, (workspace_id, case.case_id))
    if stored is None:
        session.add(
            CrisisCase(
                workspace_id=workspace_id,
                case_id=case.case_id,
                title=case.title,
                level=case.level,
                opened_at=case.opened_at,
                resolved_at=None,
            )
        )
    else:  # escalated, or reopened
        stored.level = case.level
        stored.title = case.title
    await session.flush()


async def record_resolved(
    session: AsyncSession, *, workspace_id: UUID, case: CrisisPayload, now: datetime
) -> int:
    """Closes the case; when no other case stays open, paused sends resume. Returns how many."""
    stored = await session.get(CrisisCase, (workspace_id, case.case_id))
    if stored is None:
        stored = CrisisCase(
            workspace_id=workspace_id,
            case_id=case.case_id,
            title=case.title,
            level=case.level,
            opened_at=case.opened_at,
        )
        session.add(stored)
    stored.resolved_at = case.occurred_at
    await session.flush()
    if await open_case(session, workspace_id=workspace_id) is not None:
        return 0
    resumed = await session.execute(
        update(Send)
        .where(Send.workspace_id == workspace_id, Send.state == "paused")
        .values(
            state="pending",
            due_at=now,
            reason=f"resumed: crisis {case.case_id} resolved",
        )
        .execution_options(synchronize_session=False)
    )
    return int(resumed.rowcount)  # type: ignore[attr-defined]


async def open_case(session: AsyncSession, *, workspace_id: UUID) -> CrisisCase | None:
    return await session.scalar(
        select(CrisisCase)
        .where(CrisisCase.workspace_id == workspace_id, CrisisCase.resolved_at.is_(None))
        .order_by(CrisisCase.opened_at)
        .limit(1)
    )


async def open_cases(session: AsyncSession, *, workspace_ids: set[UUID]) -> dict[UUID, CrisisCase]:
    rows = await session.scalars(
        select(CrisisCase).where(
            CrisisCase.workspace_id.in_(workspace_ids), CrisisCase.resolved_at.is_(None)
        )
    )
    return {case.workspace_id: case for case in rows}
