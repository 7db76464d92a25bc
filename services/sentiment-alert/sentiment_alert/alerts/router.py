from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sentiment_alert.access import Reader
from sentiment_alert.alerts import service
from sentiment_alert.alerts.schemas import AlertOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import Identifier

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


@router.get(
    "",
    response_model=Page[AlertOut],
    summary="Spike alerts, newest first",
    description="One alert per ongoing spike of a keyword; it escalates in place (blue → "
    "yellow → orange → red) and carries top mentions, top terms, platforms and sentiment mix.",
)
async def list_alerts(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    state: Annotated[Literal["open", "closed"] | None, Query(description="Open or closed")] = None,
    level: Annotated[
        Literal["blue", "yellow", "orange", "red"] | None, Query(description="Current level")
    ] = None,
    keyword: Annotated[
        Identifier | None, Query(min_length=1, max_length=64, description="The spiking keyword")
    ] = None,
) -> Page[AlertOut]:
    rows = await service.list_alerts(
        session, workspace_id=workspace_id, page=page, state=state, level=level, keyword=keyword
    )
    return rows.to_page(AlertOut.model_validate)
