from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from segmentation.access import Operator, ProfileReader
from segmentation.lifecycle.service import history
from segmentation.profiles import service
from segmentation.profiles.listing import LifecycleStage, ValueTier, list_users
from segmentation.profiles.schemas import ProfileDetail, ProfileOut, ProfilePatch
from segmentation.rfm.schemas import RfmExplanation
from segmentation.rfm.service import explain
from segmentation.tags.service import list_tags
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import Identifier, IdentifierPath

router = APIRouter(prefix="/v1/users", tags=["profiles"])


@router.get(
    "",
    response_model=Page[ProfileOut],
    summary="Find users: by id prefix, lifecycle stage, value tier and tag",
    description="The workspace's user profiles in user id order, one page at a time. Filters "
    "combine (all must hold). `q` matches the start of the user id literally (`%` and `_` are "
    "not wildcards); `tag` finds users holding that tag now (expired tags do not count).",
)
async def search_users(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    page: PageParams,
    _: ProfileReader,
    q: Annotated[
        Identifier | None,
        Query(
            min_length=1,
            max_length=128,
            description="User id prefix",
            examples=["u-1000"],
        ),
    ] = None,
    stage: Annotated[LifecycleStage | None, Query(description="Lifecycle stage")] = None,
    tier: Annotated[ValueTier | None, Query(description="RFM value tier")] = None,
    tag: Annotated[
        Identifier | None,
        Query(
            min_length=1, max_length=64, description="A tag the user holds", examples=["职场妈妈"]
        ),
    ] = None,
) -> Page[ProfileOut]:
    return await list_users(
        session,
        workspace_id=workspace_id,
        page=page,
        id_prefix=q,
        stage=stage.value if stage is not None else None,
        tier=tier.value if tier is not None else None,
        tag=tag,
    )


@router.get(
    "/{user_id}",
    response_model=ProfileDetail,
    summary="A user's profile: attributes, aggregates, source, scores, stage history",
)
async def read_profile(
    session: SessionDep, workspace_id: WorkspaceDep, user_id: IdentifierPath, _: ProfileReader
) -> ProfileDetail:
    profile = await service.get_profile(session, workspace_id=workspace_id, user_id=user_id)
    base = ProfileOut.model_validate(profile)
    return ProfileDetail(
        **base.model_dump(),
        rfm=await explain(session, workspace_id=workspace_id, profile=profile),
        tags=await list_tags(session, workspace_id=workspace_id, user_id=user_id),
        history=await history(session, workspace_id=workspace_id, user_id=user_id),
    )


@router.patch("/{user_id}", response_model=ProfileOut, summary="Set a user's attributes")
async def patch_profile(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Operator,
    user_id: IdentifierPath,
    body: ProfilePatch,
) -> ProfileOut:
    profile = await service.patch_profile(
        session, workspace_id=workspace_id, user_id=user_id, patch=body
    )
    return ProfileOut.model_validate(profile)


@router.get(
    "/{user_id}/rfm",
    response_model=RfmExplanation,
    summary="A user's R, F and M: raw values, scores and the edges used",
)
async def read_rfm(
    session: SessionDep, workspace_id: WorkspaceDep, user_id: IdentifierPath, _: ProfileReader
) -> RfmExplanation:
    profile = await service.get_profile(session, workspace_id=workspace_id, user_id=user_id)
    return await explain(session, workspace_id=workspace_id, profile=profile)
