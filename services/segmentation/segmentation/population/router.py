from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from segmentation.population import service
from segmentation.population.schemas import (
    Activity,
    ChurnRate,
    RepurchaseRate,
    SourceMix,
    StageDistribution,
)
from segmentation.population.stages import stage_distribution
from segmentation.population.window import DateRange
from yunying_shared.auth import Role, WorkspaceDep, require_roles
from yunying_shared.db import ReadSessionDep

router = APIRouter(
    prefix="/v1/population",
    tags=["population"],
    dependencies=[Depends(require_roles(Role.ANALYST, Role.OPERATOR))],
)


def _window(
    start: Annotated[date, Query(alias="from", description="First day (UTC), included")],
    end: Annotated[date, Query(alias="to", description="Last day (UTC), included")],
) -> DateRange:
    return DateRange.checked(start, end)


WindowDep = Annotated[DateRange, Depends(_window)]


@router.get(
    "/stages",
    response_model=StageDistribution,
    summary="Users per lifecycle stage at the end of each day",
)
async def stages(
    session: ReadSessionDep, workspace_id: WorkspaceDep, window: WindowDep
) -> StageDistribution:
    return await stage_distribution(session, workspace_id=workspace_id, window=window)


@router.get(
    "/repurchase",
    response_model=RepurchaseRate,
    summary="Users with two or more purchases / users with any purchase",
)
async def repurchase(
    session: ReadSessionDep, workspace_id: WorkspaceDep, window: WindowDep
) -> RepurchaseRate:
    return await service.repurchase_rate(session, workspace_id=workspace_id, window=window)


@router.get(
    "/churn",
    response_model=ChurnRate,
    summary="Users moved to churned in the range / users active at its start",
)
async def churn(
    session: ReadSessionDep, workspace_id: WorkspaceDep, window: WindowDep
) -> ChurnRate:
    return await service.churn_rate(session, workspace_id=workspace_id, window=window)


@router.get(
    "/activity",
    response_model=Activity,
    summary="Distinct active users per day (DAU) and over the range",
)
async def active_users(
    session: ReadSessionDep, workspace_id: WorkspaceDep, window: WindowDep
) -> Activity:
    return await service.activity(session, workspace_id=workspace_id, window=window)


@router.get(
    "/sources", response_model=SourceMix, summary="New users by source: organic, referral, campaign"
)
async def sources(
    session: ReadSessionDep, workspace_id: WorkspaceDep, window: WindowDep
) -> SourceMix:
    return await service.source_mix(session, workspace_id=workspace_id, window=window)
