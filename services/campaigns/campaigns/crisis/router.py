from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from campaigns.access import Reader
from campaigns.crisis.models import CrisisCase
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep
from yunying_shared.http.pagination import Page, PageParams, keyset_page

# Included before the campaigns router: `/v1/campaigns/{campaign_id}` would claim "crises".
router = APIRouter(prefix="/v1/campaigns/crises", tags=["crisis pause"])


class CrisisOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "case_id": "crisis-20261111-01",
                    "title": "双11 礼盒过敏投诉发酵",
                    "level": "orange",
                    "opened_at": "2026-11-11T22:40:00+08:00",
                    "resolved_at": None,
                }
            ]
        },
    )

    case_id: str
    title: str
    level: str
    opened_at: datetime
    resolved_at: datetime | None


@router.get(
    "",
    response_model=Page[CrisisOut],
    summary="Crisis cases as sentiment-alert reported them; an open one pauses promotional sends",
)
async def list_crises(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, page: PageParams
) -> Page[CrisisOut]:
    query = select(CrisisCase).where(CrisisCase.workspace_id == workspace_id)
    keys = (CrisisCase.opened_at, CrisisCase.case_id)
    rows = await keyset_page(session, query, page, keys=keys, descending=True)
    return rows.to_page(CrisisOut.model_validate)
