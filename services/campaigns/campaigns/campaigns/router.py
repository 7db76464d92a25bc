from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from campaigns.access import Reader, Writer
from campaigns.campaigns import service
from campaigns.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    ContentIn,
    State,
    TransitionIn,
)
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such campaign in this workspace"},
    409: {"description": "Not allowed in the campaign's state (field named)"},
}


@router.post("", response_model=CampaignOut, status_code=201, responses=ERRORS)
async def create_campaign(
    body: CampaignIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> CampaignOut:
    campaign = await service.create_campaign(session, workspace_id=workspace_id, data=body)
    return CampaignOut.model_validate(campaign)


@router.get("", response_model=Page[CampaignOut], summary="The workspace's campaigns, oldest first")
async def list_campaigns(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    state: Annotated[State | None, Query(description="Only campaigns in this state")] = None,
) -> Page[CampaignOut]:
    rows = await service.list_campaigns(session, workspace_id=workspace_id, page=page, state=state)
    return rows.to_page(CampaignOut.model_validate)


@router.get("/{campaign_id}", response_model=CampaignOut, responses=ERRORS)
async def read_campaign(
    campaign_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> CampaignOut:
    campaign = await service.get_campaign(
        session, workspace_id=workspace_id, campaign_id=campaign_id
    )
    return CampaignOut.model_validate(campaign)


@router.patch(
    "/{campaign_id}",
    response_model=CampaignOut,
    responses=ERRORS,
    summary="Change a campaign; a running or paused campaign keeps its target",
)
async def update_campaign(
    campaign_id: UUID,
    body: CampaignPatch,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> CampaignOut:
    campaign = await service.update_campaign(
        session, workspace_id=workspace_id, campaign_id=campaign_id, patch=body
    )
    return CampaignOut.model_validate(campaign)


@router.post(
    "/{campaign_id}/transitions",
    response_model=CampaignOut,
    responses=ERRORS,
    summary="Move a campaign: draft → scheduled → running ⇄ paused → finished",
)
async def transition(
    campaign_id: UUID,
    body: TransitionIn,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> CampaignOut:
    campaign = await service.transition(
        session,
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        to_state=body.to_state,
        reason=body.reason,
    )
    return CampaignOut.model_validate(campaign)


@router.post(
    "/{campaign_id}/content",
    response_model=CampaignOut,
    responses={**ERRORS, 422: {"description": "Unknown content id"}},
    summary="Attach content approved by both review stages",
)
async def attach_content(
    campaign_id: UUID,
    body: ContentIn,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> CampaignOut:
    campaign = await service.attach_content(
        session, workspace_id=workspace_id, campaign_id=campaign_id, content_id=body.content_id
    )
    return CampaignOut.model_validate(campaign)
