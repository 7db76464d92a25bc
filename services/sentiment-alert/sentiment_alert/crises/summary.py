"""Open crisis cases counted for the operations dashboard (the gateway's `GET /v1/dashboard`):
how many, at which level and state, and how many have an overdue holding statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.access import Reader
from sentiment_alert.clock import utcnow
from sentiment_alert.crises.models import CrisisCaseRecord
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep

# Included before the crises router, whose `/{case_id}` would claim `/summary`.
router = APIRouter(prefix="/v1/crises", tags=["crises"])


class CrisisSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "open": 2,
                    "by_level": {"orange": 1, "red": 1},
                    "by_state": {"warning": 1, "responding": 1},
                    "statements_overdue": 1,
                    "oldest_opened_at": "2026-11-30T08:00:00Z",
                }
            ]
        }
    )

    open: int = Field(description="Cases not closed (warning, responding or repairing)")
    by_level: dict[str, int] = Field(description="Open cases per alert level")
    by_state: dict[str, int] = Field(description="Open cases per workflow state")
    statements_overdue: int = Field(
        description="Open cases whose holding statement is past due and not yet published"
    )
    oldest_opened_at: datetime | None = Field(description="When the oldest open case opened")


async def summarize(session: AsyncSession, *, workspace_id: UUID, now: datetime) -> CrisisSummary:
    open_case = (
        CrisisCaseRecord.workspace_id == workspace_id,
        CrisisCaseRecord.state != "closed",
    )
    rows = await session.execute(
        select(CrisisCaseRecord.level, CrisisCaseRecord.state, func.count())
        .where(*open_case)
        .group_by(CrisisCaseRecord.level, CrisisCaseRecord.state)
    )
    by_level: dict[str, int] = {}
    by_state: dict[str, int] = {}
    for level, state, count in rows:
        by_level[level] = by_level.get(level, 0) + int(count)
        by_state[state] = by_state.get(state, 0) + int(count)
    overdue, oldest = (
        await session.execute(
            select(
                func.count().filter(
                    CrisisCaseRecord.statement_published_at.is_(None),
                    CrisisCaseRecord.statement_due_at < now,
                ),
                func.min(CrisisCaseRecord.opened_at),
            ).where(*open_case)
        )
    ).one()
    return CrisisSummary(
        open=sum(by_state.values()),
        by_level=dict(sorted(by_level.items())),
        by_state=dict(sorted(by_state.items())),
        statements_overdue=int(overdue or 0),
        oldest_opened_at=oldest,
    )


FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "An API key without sentiment:read"}
}


@router.get(
    "/summary",
    response_model=CrisisSummary,
    responses=FORBIDDEN,
    summary="Open crisis cases, counted by level and state",
    description="What the operations dashboard shows of crises: cases not yet closed, by "
    "alert level and workflow state, and those whose holding statement is overdue.",
)
async def crisis_summary(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> CrisisSummary:
    return await summarize(session, workspace_id=workspace_id, now=utcnow())
