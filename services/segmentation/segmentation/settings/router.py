from __future__ import annotations

from fastapi import APIRouter

from segmentation.access import Analyst, Operator
from segmentation.settings import service
from segmentation.settings.schemas import SettingsIn, SettingsOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep
from yunying_shared.http.openapi import AUDITED

router = APIRouter(prefix="/v1/segmentation/settings", tags=["settings"])


@router.get("", response_model=SettingsOut, summary="The workspace's RFM and lifecycle settings")
async def read_settings(session: SessionDep, workspace_id: WorkspaceDep, _: Analyst) -> SettingsOut:
    return service.describe(await service.get_settings(session, workspace_id=workspace_id))


@router.put(
    "",
    response_model=SettingsOut,
    summary="Replace the RFM and lifecycle settings",
    openapi_extra=AUDITED,
    description="Takes effect at the next re-score (`POST /v1/segmentation/rescore`).",
)
async def replace_settings(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: SettingsIn
) -> SettingsOut:
    return await service.update_settings(session, workspace_id=workspace_id, changes=body)
