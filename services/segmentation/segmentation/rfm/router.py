from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from segmentation.rfm import service
from segmentation.rfm.schemas import RescoreResult
from yunying_shared.auth import Principal, Role, WorkspaceDep, require_roles
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/segmentation", tags=["rfm"])
Operator = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]


@router.post(
    "/rescore",
    response_model=RescoreResult,
    summary="Re-score the whole workspace now (RFM, class, segment, tier, stage)",
    description="Writes and publishes only for users whose result changed.",
)
async def rescore(session: SessionDep, workspace_id: WorkspaceDep, _: Operator) -> RescoreResult:
    return await service.rescore(session, workspace_id=workspace_id)
