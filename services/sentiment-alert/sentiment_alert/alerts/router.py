from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sentiment_alert.access import Reader
from sentiment_alert.alerts import service
from sentiment_alert.alerts.schemas import AlertOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


@router.get(
    "",
    response_model=list[AlertOut],
    summary="Spike alerts, newest first",
    description="One alert per ongoing spike of a keyword; it escalates in place (blue → "
    "yellow → orange → red) and carries top mentions, top terms, platforms and sentiment mix.",
)
async def list_alerts(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    state: Literal["open", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertOut]:
    alerts = await service.list_alerts(session, workspace_id=workspace_id, state=state, limit=limit)
    return [AlertOut.model_validate(a) for a in alerts]
