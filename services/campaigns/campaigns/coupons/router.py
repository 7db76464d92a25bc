from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from campaigns.access import Reader, Redeemer, Writer
from campaigns.coupons import service
from campaigns.coupons.schemas import (
    ClawBackIn,
    CouponOut,
    IssuedOut,
    IssueIn,
    RedeemIn,
    TemplateIn,
    TemplateOut,
)
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/coupons", tags=["coupons"])


@router.post(
    "/templates",
    response_model=TemplateOut,
    status_code=201,
    responses={409: {"description": "A template with this name exists in the workspace"}},
)
async def create_template(
    body: TemplateIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> TemplateOut:
    template = await service.create_template(session, workspace_id=workspace_id, data=body)
    return TemplateOut.model_validate(template)


@router.get(
    "/templates", response_model=Page[TemplateOut], summary="Coupon templates, oldest first"
)
async def list_templates(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, page: PageParams
) -> Page[TemplateOut]:
    rows = await service.list_templates(session, workspace_id=workspace_id, page=page)
    return rows.to_page(TemplateOut.model_validate)


@router.post(
    "/issue",
    response_model=IssuedOut,
    summary="Issue a coupon; the same (campaign, user, reason) answers with the one issued",
)
async def issue(
    body: IssueIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> IssuedOut:
    result = await service.issue_coupon(
        session,
        workspace_id=workspace_id,
        template_id=body.template_id,
        user_id=body.user_id,
        campaign_id=body.campaign_id,
        reason=body.reason,
    )
    return IssuedOut(coupon=CouponOut.model_validate(result.coupon), created=result.created)


@router.post(
    "/redeem",
    response_model=CouponOut,
    summary="Redeem a code (POS and CRM systems: API-key scope coupons:redeem)",
    responses={
        404: {"description": "No such code in this workspace"},
        409: {"description": "Already redeemed, or held by another user"},
        410: {"description": "Expired or withdrawn"},
    },
)
async def redeem(
    body: RedeemIn, session: SessionDep, workspace_id: WorkspaceDep, _: Redeemer
) -> CouponOut:
    coupon = await service.redeem(
        session,
        workspace_id=workspace_id,
        code=body.code,
        order_id=body.order_id,
        user_id=body.user_id,
    )
    return CouponOut.model_validate(coupon)


@router.get("", response_model=Page[CouponOut], summary="Issued coupons, newest first")
async def list_coupons(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    campaign_id: Annotated[UUID | None, Query(description="Only this campaign's")] = None,
) -> Page[CouponOut]:
    rows = await service.list_coupons(
        session, workspace_id=workspace_id, user_id=user_id, campaign_id=campaign_id, page=page
    )
    return rows.to_page(CouponOut.model_validate)


@router.post("/{coupon_id}/claw-back", response_model=CouponOut)
async def claw_back(
    coupon_id: UUID, body: ClawBackIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> CouponOut:
    coupon = await service.claw_back(
        session, workspace_id=workspace_id, coupon_id=coupon_id, reason=body.reason
    )
    return CouponOut.model_validate(coupon)
