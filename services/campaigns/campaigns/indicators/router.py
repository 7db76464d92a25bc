from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from campaigns.access import Reader
from campaigns.indicators import service
from campaigns.indicators.schemas import Indicators
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep

# Before the campaigns router: `/v1/campaigns/{campaign_id}` would claim the path.
router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Neither an operator nor an analyst, nor a key with campaigns:read"},
    422: {"description": "`from`/`to` missing, reversed, or more than 366 days apart"},
}


@router.get(
    "/indicators",
    response_model=Indicators,
    responses=ERRORS,
    summary="Awareness, conversion and fission indicators of every campaign, over a date range",
    description="Workspace-wide figures over whole UTC days (`from` and `to` included, at most "
    "366 days): exposures, reach and CTR; conversion and first-order conversion; share "
    "rate, new users from referrals and k-factor. Each figure's definition is in the "
    "schema. The gateway's `GET /v1/dashboard` reads it.",
)
async def read_indicators(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    start: Annotated[date, Query(alias="from", description="First day (UTC), included")],
    end: Annotated[date, Query(alias="to", description="Last day (UTC), included")],
) -> Indicators:
    window = service.Window.checked(start, end)
    return await service.indicators(session, workspace_id=workspace_id, window=window)
