from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from campaigns.access import Reader, Writer
from campaigns.journeys import service
from campaigns.journeys.schemas import EnrollmentOut, JourneyIn, JourneyOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/journeys", tags=["journeys"])


@router.post("", response_model=JourneyOut, status_code=201)
async def create_journey(
    body: JourneyIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> JourneyOut:
    journey = await service.create_journey(session, workspace_id=workspace_id, data=body)
    return JourneyOut.model_validate(journey)


@router.get("", response_model=Page[JourneyOut], summary="The workspace's journeys, oldest first")
async def list_journeys(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    campaign_id: Annotated[UUID | None, Query(description="Only this campaign's")] = None,
) -> Page[JourneyOut]:
    rows = await service.list_journeys(
        session, workspace_id=workspace_id, page=page, campaign_id=campaign_id
    )
    return rows.to_page(JourneyOut.model_validate)


@router.get("/{journey_id}", response_model=JourneyOut)
async def read_journey(
    journey_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> JourneyOut:
    journey = await service.get_journey(session, workspace_id=workspace_id, journey_id=journey_id)
    return JourneyOut.model_validate(journey)


@router.post("/{journey_id}/deactivate", response_model=JourneyOut, summary="Stop enrolling")
async def deactivate(
    journey_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> JourneyOut:
    journey = await service.set_active(
        session, workspace_id=workspace_id, journey_id=journey_id, active=False
    )
    return JourneyOut.model_validate(journey)


@router.get(
    "/{journey_id}/enrollments",
    response_model=Page[EnrollmentOut],
    summary="A journey's enrolments, oldest first",
)
async def list_enrollments(
    journey_id: UUID,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> Page[EnrollmentOut]:
    rows = await service.list_enrollments(
        session, workspace_id=workspace_id, journey_id=journey_id, user_id=user_id, page=page
    )
    return rows.to_page(EnrollmentOut.model_validate)
