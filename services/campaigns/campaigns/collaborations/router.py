from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, status
from sqlalchemy import select

from campaigns.access import Reader, Writer
from campaigns.campaign_lookup import require_campaign
from campaigns.collaborations import service
from campaigns.collaborations.models import Collaboration
from campaigns.collaborations.schemas import (
    CollaborationIn,
    CollaborationOut,
    ContentAttachIn,
    MetricsIn,
    ResultsOut,
)
from campaigns.config import Settings
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams, keyset_page

router = APIRouter(tags=["collaborations"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such collaboration in this workspace"}
}
STATE_409: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed in the collaboration's state (field `state` named)"}
}


@router.post(
    "/v1/campaigns/{campaign_id}/collaborations",
    response_model=CollaborationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Propose a creator for a campaign: brief, fee, publish date, the creator's code",
    description="The collaboration gets the creator's code and tracking link at once; it is "
    "`proposed` until approved (which judges the creator's authenticity).",
    responses={
        404: {"description": "No such campaign"},
        409: {"description": "The creator already has a collaboration on this platform here"},
    },
)
async def create_collaboration(
    campaign_id: UUID,
    body: CollaborationIn,
    request: Request,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> Any:
    settings: Settings = request.app.state.settings
    return await service.create(
        session,
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        data=body,
        link_base=settings.creator_link_base,
    )


@router.get(
    "/v1/campaigns/{campaign_id}/collaborations",
    response_model=Page[CollaborationOut],
    summary="A campaign's collaborations, oldest first",
    description="Cursor-paged (`limit`, `cursor`).",
    responses={404: {"description": "No such campaign"}},
)
async def list_collaborations(
    campaign_id: UUID,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
) -> Page[CollaborationOut]:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    query = select(Collaboration).where(
        Collaboration.workspace_id == workspace_id, Collaboration.campaign_id == campaign_id
    )
    keys = (Collaboration.created_at, Collaboration.id)
    rows = await keyset_page(session, query, page, keys=keys)
    return rows.to_page(CollaborationOut.model_validate)


@router.get(
    "/v1/campaigns/{campaign_id}/collaborations/results",
    response_model=ResultsOut,
    summary="Results per creator: exposure, engagement, conversions, cost, ROI",
    description="Conversions are purchases (and sign-ups) whose event carried the creator's "
    "code as a coupon or invite code, or as the tracking link's `yy_c` property; revenue is "
    "their amounts; ROI = (revenue − fee) / fee. Cancelled collaborations are listed but not "
    "counted in the totals.",
    responses={404: {"description": "No such campaign"}},
)
async def results(
    campaign_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> ResultsOut:
    return await service.results(session, workspace_id=workspace_id, campaign_id=campaign_id)


@router.get(
    "/v1/collaborations/{collaboration_id}",
    response_model=CollaborationOut,
    responses=NOT_FOUND,
    summary="One collaboration",
)
async def read_collaboration(
    collaboration_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Reader
) -> Any:
    return await service.get(session, workspace_id=workspace_id, collaboration_id=collaboration_id)


@router.post(
    "/v1/collaborations/{collaboration_id}/approve",
    response_model=CollaborationOut,
    summary="Approve a proposed collaboration, once the creator's authenticity is judged clean",
    description="Judges the creator from its stored follower counts, posts and comments in the "
    "same transaction. A suspicious creator answers 409 with the score and the findings "
    "(`verdict`, `score`, `findings`), and nothing changes; so does a creator with no data.",
    responses={
        **NOT_FOUND,
        409: {"description": "Suspicious or unjudged creator, or not `proposed`"},
    },
)
async def approve(
    collaboration_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    return await service.approve(
        session, workspace_id=workspace_id, collaboration_id=collaboration_id
    )


@router.post(
    "/v1/collaborations/{collaboration_id}/content",
    response_model=CollaborationOut,
    summary="Attach the collaboration's content, approved by content-review as an ad",
    description="The item must be known from content-review, of kind `ad` (so its ad "
    "disclosure — 广告, 赞助, 合作, #ad — was checked at submission), approved by both review "
    "stages, and for the collaboration's platform.",
    responses={
        **NOT_FOUND,
        **STATE_409,
        422: {"description": "Unknown, not an ad, not approved, or another platform"},
    },
)
async def attach_collaboration_content(
    collaboration_id: UUID,
    body: ContentAttachIn,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> Any:
    return await service.attach_content(
        session,
        workspace_id=workspace_id,
        collaboration_id=collaboration_id,
        content_id=body.content_id,
    )


@router.post(
    "/v1/collaborations/{collaboration_id}/publish",
    response_model=CollaborationOut,
    summary="Mark an approved collaboration published (its content attached)",
    responses={**NOT_FOUND, 409: {"description": "Not approved, or no content attached"}},
)
async def publish(
    collaboration_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    return await service.publish(
        session, workspace_id=workspace_id, collaboration_id=collaboration_id
    )


@router.post(
    "/v1/collaborations/{collaboration_id}/cancel",
    response_model=CollaborationOut,
    summary="Cancel a proposed or approved collaboration",
    responses={**NOT_FOUND, **STATE_409},
)
async def cancel(
    collaboration_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    return await service.cancel(
        session, workspace_id=workspace_id, collaboration_id=collaboration_id
    )


@router.put(
    "/v1/collaborations/{collaboration_id}/metrics",
    response_model=CollaborationOut,
    summary="Record the published post's exposure and engagement (latest totals)",
    responses={**NOT_FOUND, **STATE_409},
)
async def put_metrics(
    collaboration_id: UUID,
    body: MetricsIn,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> Any:
    return await service.record_metrics(
        session, workspace_id=workspace_id, collaboration_id=collaboration_id, data=body
    )
