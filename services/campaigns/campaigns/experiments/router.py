from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from campaigns.access import Reader, Writer
from campaigns.experiments import service
from campaigns.experiments.schemas import (
    Assignment,
    BatchResult,
    ConversionBatchIn,
    ExperimentIn,
    ExperimentOut,
    ExperimentResults,
    ExposureBatchIn,
)
from campaigns.reporters import Reporter
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])
NOT_RUNNING: dict[int | str, dict[str, Any]] = {
    409: {"description": "The experiment is not running"}
}


@router.post(
    "",
    response_model=ExperimentOut,
    status_code=201,
    summary="Define an experiment",
    responses={409: {"description": "An experiment with this name exists in the workspace"}},
)
async def create_experiment(
    body: ExperimentIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    return await service.create_experiment(session, workspace_id=workspace_id, data=body)


@router.get(
    "", response_model=Page[ExperimentOut], summary="The workspace's experiments, oldest first"
)
async def list_experiments(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    campaign_id: Annotated[UUID | None, Query(description="Only this campaign's")] = None,
    status: Annotated[
        Literal["draft", "running", "concluded"] | None, Query(description="Only in this status")
    ] = None,
) -> Page[ExperimentOut]:
    rows = await service.list_experiments(
        session, workspace_id=workspace_id, page=page, campaign_id=campaign_id, status=status
    )
    return rows.to_page(ExperimentOut.model_validate)


@router.get("/{experiment_id}", response_model=ExperimentOut, summary="One experiment")
async def read_experiment(
    experiment_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> Any:
    return await service.get_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )


@router.post(
    "/{experiment_id}/start",
    response_model=ExperimentOut,
    summary="Start a draft: from now the split is frozen",
)
async def start_experiment(
    experiment_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    return await service.start_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )


@router.get(
    "/{experiment_id}/assignments/{user_id}",
    response_model=Assignment,
    summary="The arm a user sees (deterministic; the rolled-out arm once concluded)",
)
async def read_assignment(
    experiment_id: UUID,
    user_id: str,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reporter,
) -> Assignment:
    experiment = await service.get_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )
    return service.assignment_of(experiment, user_id)


@router.post(
    "/{experiment_id}/exposures",
    response_model=BatchResult,
    summary="Record exposures (first one per user counts); answers each user's arm",
    responses=NOT_RUNNING,
)
async def record_exposures(
    experiment_id: UUID,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reporter,
    body: ExposureBatchIn,
) -> BatchResult:
    return await service.record_exposures(
        session, workspace_id=workspace_id, experiment_id=experiment_id, items=body.items
    )


@router.post(
    "/{experiment_id}/conversions",
    response_model=BatchResult,
    summary="Record conversions of exposed users (first one per user counts)",
    responses=NOT_RUNNING,
)
async def record_conversions(
    experiment_id: UUID,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reporter,
    body: ConversionBatchIn,
) -> BatchResult:
    return await service.record_conversions(
        session, workspace_id=workspace_id, experiment_id=experiment_id, items=body.items
    )


@router.get(
    "/{experiment_id}/results",
    response_model=ExperimentResults,
    summary="Per-arm conversion, lift with intervals, tests, SRM and the recommendation",
)
async def read_results(
    experiment_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> ExperimentResults:
    return await service.results(session, workspace_id=workspace_id, experiment_id=experiment_id)


@router.post(
    "/{experiment_id}/conclude",
    response_model=ExperimentResults,
    summary="Apply the decision rule and roll out the winner (409 while undecided or invalid)",
)
async def conclude(
    experiment_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> ExperimentResults:
    _experiment, read = await service.conclude(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )
    return read
