from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from campaigns.access import Reader
from campaigns.campaign_lookup import require_campaign
from campaigns.funnels import service
from campaigns.funnels.read import read_funnel
from campaigns.funnels.schemas import Funnel, TouchBatchIn, TouchBatchResult
from campaigns.reporters import Reporter
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep

router = APIRouter(tags=["funnels"])


@router.post(
    "/v1/campaigns/{campaign_id}/touches",
    response_model=TouchBatchResult,
    summary="Record exposures and clicks (batch; each item judged alone)",
    description="An exposure also records the user's exposure in the campaign's running "
    "experiments. Senders and app backends call it with an API key holding `referrals:write`.",
)
async def record_touches(
    campaign_id: UUID,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reporter,
    body: TouchBatchIn,
) -> TouchBatchResult:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    return await service.record_touches(
        session, workspace_id=workspace_id, campaign_id=campaign_id, items=body.items
    )


@router.get(
    "/v1/campaigns/{campaign_id}/funnel",
    response_model=Funnel,
    summary="Exposure, CTR, conversion, first orders, repurchases, shares, referral sign-ups, "
    "coupon cost and incremental conversions against the holdout",
)
async def funnel(
    campaign_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> Funnel:
    return await read_funnel(session, workspace_id=workspace_id, campaign_id=campaign_id)
