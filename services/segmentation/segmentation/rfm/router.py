from __future__ import annotations

from fastapi import APIRouter

from segmentation.access import Operator
from segmentation.rfm import service
from segmentation.rfm.schemas import RescoreResult
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/segmentation", tags=["rfm"])


@router.post(
    "/rescore",
    response_model=RescoreResult,
    summary="Re-score the whole workspace now (RFM, class, segment, tier, stage)",
    description="Writes and publishes only for users whose result changed.",
)
async def rescore(session: SessionDep, workspace_id: WorkspaceDep, _: Operator) -> RescoreResult:
    return await service.rescore(session, workspace_id=workspace_id)
