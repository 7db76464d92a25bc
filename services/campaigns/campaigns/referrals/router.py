from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import select

from campaigns.access import Reader, Writer
from campaigns.campaign_lookup import require_campaign
from campaigns.errors import naming
from campaigns.referrals import analytics, service
from campaigns.referrals.models import RejectedAttribution
from campaigns.referrals.schemas import (
    AttributionOut,
    InviteCodeIn,
    InviteCodeOut,
    ProgramIn,
    ProgramOut,
    ReferralStats,
    RejectionOut,
    RevokeIn,
    TreeNode,
)
from campaigns.reporters import Reporter
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.errors import NotFound
from yunying_shared.http.pagination import Page, PageParams, keyset_page

router = APIRouter(tags=["referrals"])


@router.put(
    "/v1/campaigns/{campaign_id}/referral-program",
    response_model=ProgramOut,
    summary="Set a campaign's referral rules: reward tiers, invitee coupon, fraud limits",
)
async def put_program(
    campaign_id: UUID, body: ProgramIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    return await service.put_program(
        session, workspace_id=workspace_id, campaign_id=campaign_id, data=body
    )


@router.get("/v1/campaigns/{campaign_id}/referral-program", response_model=ProgramOut)
async def read_program(
    campaign_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> Any:
    program = await service.get_program(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if program is None:
        raise naming(NotFound, "campaign_id", f"Campaign {campaign_id} has no referral program.")
    return program


@router.post(
    "/v1/campaigns/{campaign_id}/invite-codes",
    response_model=InviteCodeOut,
    summary="A user's invite code for the campaign (one per user; the same one on every call)",
)
async def invite_code(
    campaign_id: UUID,
    body: InviteCodeIn,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reporter,
) -> Any:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    return await service.invite_code_for(
        session, workspace_id=workspace_id, campaign_id=campaign_id, data=body
    )


@router.get(
    "/v1/campaigns/{campaign_id}/referrals/stats",
    response_model=ReferralStats,
    summary="Participants, share rate, sign-ups by level, rejections by reason, k-factor",
)
async def stats(
    campaign_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> ReferralStats:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    return await analytics.referral_stats(
        session, workspace_id=workspace_id, campaign_id=campaign_id
    )


@router.get(
    "/v1/campaigns/{campaign_id}/referrals/rejections",
    response_model=Page[RejectionOut],
    summary="Sign-ups that were not attributed, with the reason (newest first)",
)
async def rejections(
    campaign_id: UUID,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
) -> Page[RejectionOut]:
    query = select(RejectedAttribution).where(
        RejectedAttribution.workspace_id == workspace_id,
        RejectedAttribution.campaign_id == campaign_id,
    )
    keys = (RejectedAttribution.id,)
    rows = await keyset_page(session, query, page, keys=keys, descending=True)
    return rows.to_page(RejectionOut.model_validate)


@router.get(
    "/v1/referrals/tree/{user_id}",
    response_model=TreeNode,
    summary="The invite tree below a user, several levels deep",
)
async def tree(
    user_id: str,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    depth: Annotated[int, Query(ge=1, le=analytics.MAX_DEPTH)] = 3,
) -> TreeNode:
    return await analytics.invite_tree(
        session, workspace_id=workspace_id, user_id=user_id, depth=depth
    )


@router.get("/v1/referrals/attributions/{invitee_user_id}", response_model=AttributionOut)
async def read_attribution(
    invitee_user_id: str, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> Any:
    return await service.get_attribution(
        session, workspace_id=workspace_id, invitee_user_id=invitee_user_id
    )


@router.post(
    "/v1/referrals/attributions/{invitee_user_id}/revoke",
    response_model=AttributionOut,
    summary="Mark a sign-up fraudulent or refunded: it stops counting, its rewards are clawed back",
)
async def revoke(
    invitee_user_id: str,
    body: RevokeIn,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> Any:
    return await service.revoke(
        session,
        workspace_id=workspace_id,
        invitee_user_id=invitee_user_id,
        status=body.status,
        reason=body.reason,
    )
