"""The review queue counted for the operations dashboard (the gateway's `GET /v1/dashboard`):
items waiting for the scanner or a person, by state, and how long the oldest has waited."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.access import Reader
from content_review.items.models import ContentItem
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep

router = APIRouter(prefix="/v1/content", tags=["content review"])

# Waiting for the scanner (submitted), an operator's stage 1 (scanned) or a reviewer's
# stage 2 (operator_checked).
WAITING_STATES = ("submitted", "scanned", "operator_checked")


class ReviewQueue(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "waiting": 5,
                    "by_state": {"submitted": 0, "scanned": 3, "operator_checked": 2},
                    "held": 1,
                    "oldest_waiting_since": "2026-11-30T08:00:00Z",
                }
            ]
        }
    )

    waiting: int = Field(
        description="Items under review: submitted (scanning), scanned (waiting for an "
        "operator's stage 1) or operator_checked (waiting for a reviewer's stage 2)"
    )
    by_state: dict[str, int] = Field(description="Waiting items per state (every state listed)")
    held: int = Field(description="Approved ads held while a crisis is open")
    oldest_waiting_since: datetime | None = Field(
        description="Last change of the item that has waited longest in its state"
    )


async def review_queue(session: AsyncSession, *, workspace_id: UUID) -> ReviewQueue:
    rows = await session.execute(
        select(ContentItem.state, func.count(), func.min(ContentItem.updated_at))
        .where(
            ContentItem.workspace_id == workspace_id,
            ContentItem.state.in_([*WAITING_STATES, "held"]),
        )
        .group_by(ContentItem.state)
    )
    counts = dict.fromkeys(WAITING_STATES, 0)
    held = 0
    oldest: datetime | None = None
    for state, count, since in rows:
        if state == "held":
            held = int(count)
            continue
        counts[state] = int(count)
        oldest = since if oldest is None or since < oldest else oldest
    return ReviewQueue(
        waiting=sum(counts.values()), by_state=counts, held=held, oldest_waiting_since=oldest
    )


FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "An API key without content:read"}
}


@router.get(
    "/review-queue",
    response_model=ReviewQueue,
    responses=FORBIDDEN,
    summary="The review queue: items waiting per state",
    description="What the operations dashboard shows of content review: items waiting for "
    "the scanner, an operator or a reviewer, per state, plus held ads.",
)
async def read_review_queue(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> ReviewQueue:
    return await review_queue(session, workspace_id=workspace_id)
