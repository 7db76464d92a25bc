from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from campaigns.access import Reader, Writer
from campaigns.journeys import service
from campaigns.journeys.schemas import EnrollmentOut, JourneyIn, JourneyOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/journeys", tags=["journeys"])


@router.post("", response_model=JourneyOut, status_code=201)
async def create_journey(
    body: JourneyIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> JourneyOut:
    journey = await service.create_journey(session, workspace_id=workspace_id, data=body)
    return JourneyOut.model_validate(journey)


@router.get("", response_model=list[JourneyOut])
async def list_journeys(
    session: SessionDep, workspace_id: WorkspaceDep, _: Reader, campaign_id: UUID | None = None
) -> list[JourneyOut]:
    journeys = await service.list_journeys(
        session, workspace_id=workspace_id, campaign_id=campaign_id
    )
    return [JourneyOut.model_validate(j) for j in journeys]


@router.get("/{journey_id}", response_model=JourneyOut)
async def read_journey(
    journey_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Reader
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


@router.get("/{journey_id}/enrollments", response_model=list[EnrollmentOut])
async def list_enrollments(
    journey_id: UUID,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EnrollmentOut]:
    enrollments = await service.list_enrollments(
        session, workspace_id=workspace_id, journey_id=journey_id, user_id=user_id, limit=limit
    )
    return [EnrollmentOut.model_validate(e) for e in enrollments]
