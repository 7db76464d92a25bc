from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from campaigns.access import Reader, Writer
from campaigns.calendar import service
from campaigns.calendar.holidays import FIRST_YEAR, LAST_YEAR
from campaigns.calendar.schemas import DayIn, DayOut
from campaigns.clock import utcnow
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams, sequence_page

# Included before the campaigns router: `/v1/campaigns/{campaign_id}` would claim "calendar".
router = APIRouter(prefix="/v1/campaigns/calendar", tags=["calendar"])


@router.get(
    "",
    response_model=Page[DayOut],
    summary="The year's holidays (618, 双11, 情人节, 春节) and the workspace's own days",
)
async def read_calendar(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
) -> Page[DayOut]:
    days = await service.calendar(session, workspace_id=workspace_id, year=year or utcnow().year)
    ordered = sorted(days, key=lambda d: (d.day, d.key))
    return sequence_page(ordered, page, key=lambda d: (d.day, d.key)).to_page(lambda d: d)


@router.post("/days", response_model=DayOut, status_code=201, summary="Add a brand day")
async def add_day(
    body: DayIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> DayOut:
    return await service.add_day(session, workspace_id=workspace_id, data=body)
