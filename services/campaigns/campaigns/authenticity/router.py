from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from campaigns.access import Reader, Writer
from campaigns.authenticity import service
from campaigns.authenticity.analysis import SUSPICIOUS_BELOW
from campaigns.authenticity.schemas import FollowersIn, PostsIn, ReportOut, StoredOut
from campaigns.creators.schemas import Platform
from campaigns.creators.service import get_creator
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.storable import IdentifierPath

router = APIRouter(tags=["authenticity"])

CREATOR_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such creator here"}}
CHECKS = (
    "Checks: abnormal follower jumps (not explained by a viral post), engagement rate far from "
    "the tier's norm, like/comment ratios, duplicate or templated comments, comment bursts from "
    f"new or look-alike accounts. Score 100 − penalties; below {SUSPICIOUS_BELOW:.0f} the "
    "verdict is `suspicious` and no collaboration with the creator can be approved."
)


@router.put(
    "/v1/creators/{creator_id}/followers",
    response_model=StoredOut,
    responses=CREATOR_404,
    summary="Record a creator account's follower counts per day",
)
async def put_followers(
    creator_id: UUID, body: FollowersIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> StoredOut:
    creator = await get_creator(session, workspace_id=workspace_id, creator_id=creator_id)
    return await service.store_followers(
        session, workspace_id=workspace_id, creator=creator, data=body
    )


@router.post(
    "/v1/creators/{creator_id}/posts",
    response_model=StoredOut,
    responses={**CREATOR_404, 409: {"description": "A post id is tracked for another owner"}},
    summary="Record a creator's posts with their engagement and comments",
)
async def post_creator_posts(
    creator_id: UUID, body: PostsIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> StoredOut:
    creator = await get_creator(session, workspace_id=workspace_id, creator_id=creator_id)
    return await service.store_posts(
        session, workspace_id=workspace_id, creator=creator, posts=body.posts
    )


@router.post(
    "/v1/authenticity/brand-posts",
    response_model=StoredOut,
    responses={409: {"description": "A post id is tracked for a creator"}},
    summary="Record the brand's own posts with their engagement and comments",
    description="The playbook forbids buying engagement for the brand's own posts too: they "
    "are checked the same way (`POST /v1/authenticity/posts/{platform}/{post_id}/check`).",
)
async def post_brand_posts(
    body: PostsIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> StoredOut:
    return await service.store_posts(
        session, workspace_id=workspace_id, creator=None, posts=body.posts
    )


@router.post(
    "/v1/creators/{creator_id}/authenticity",
    response_model=ReportOut,
    responses=CREATOR_404,
    summary="Judge a creator's engagement authenticity from its stored series and comments",
    description=CHECKS + " Each platform account is judged; the lowest score decides.",
)
async def check_creator(
    creator_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    creator = await get_creator(session, workspace_id=workspace_id, creator_id=creator_id)
    return await service.check_creator(session, workspace_id=workspace_id, creator=creator)


@router.get(
    "/v1/creators/{creator_id}/authenticity",
    response_model=ReportOut,
    responses={404: {"description": "No such creator, or never checked"}},
    summary="A creator's latest authenticity report",
)
async def read_creator_report(
    creator_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> Any:
    await get_creator(session, workspace_id=workspace_id, creator_id=creator_id)
    return await service.latest_report(
        session, workspace_id=workspace_id, subject="creator", subject_id=str(creator_id)
    )


@router.post(
    "/v1/authenticity/posts/{platform}/{post_id}/check",
    response_model=ReportOut,
    responses={404: {"description": "No such tracked post"}},
    summary="Judge one post (a creator's or the brand's own)",
    description=CHECKS,
)
async def check_post(
    platform: Platform,
    post_id: IdentifierPath,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Writer,
) -> Any:
    return await service.check_post(
        session, workspace_id=workspace_id, platform=platform, post_id=post_id
    )
