from __future__ import annotations

from fastapi import APIRouter

from segmentation.access import Operator, ProfileReader
from segmentation.lifecycle.service import history
from segmentation.profiles import service
from segmentation.profiles.schemas import ProfileDetail, ProfileOut, ProfilePatch
from segmentation.rfm.schemas import RfmExplanation
from segmentation.rfm.service import explain
from segmentation.tags.service import list_tags
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep
from yunying_shared.storable import IdentifierPath

router = APIRouter(prefix="/v1/users", tags=["profiles"])


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
