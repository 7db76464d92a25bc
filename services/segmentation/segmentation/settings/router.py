from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from segmentation.settings import service
from segmentation.settings.schemas import SettingsIn, SettingsOut
from yunying_shared.auth import Principal, Role, WorkspaceDep, require_roles
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/segmentation/settings", tags=["settings"])
Operator = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]


@router.get("", response_model=SettingsOut, summary="The workspace's RFM and lifecycle settings")
async def read_settings(session: SessionDep, workspace_id: WorkspaceDep) -> SettingsOut:
    return service.describe(await service.get_settings(session, workspace_id=workspace_id))


@router.put(
    "",
    response_model=SettingsOut,
    summary="Replace the RFM and lifecycle settings",
    description="Takes effect at the next re-score (`POST /v1/segmentation/rescore`).",
)
async def replace_settings(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: SettingsIn
) -> SettingsOut:
    return await service.update_settings(session, workspace_id=workspace_id, changes=body)
