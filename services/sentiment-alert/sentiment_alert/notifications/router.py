from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from sentiment_alert.access import Operator, Reader
from sentiment_alert.clock import utcnow
from sentiment_alert.notifications import service
from sentiment_alert.notifications.schemas import ChannelIn, ChannelOut, DeliveryOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep
from yunying_shared.storable import RowIdPath

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("/channels", response_model=list[ChannelOut], summary="Webhook channels")
async def list_channels(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator
) -> list[ChannelOut]:
    channels = await service.list_channels(session, workspace_id=workspace_id)
    return [ChannelOut.model_validate(c) for c in channels]


@router.post(
    "/channels",
    response_model=ChannelOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a WeCom, DingTalk or Slack webhook",
)
async def create_channel(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: ChannelIn
) -> ChannelOut:
    channel = await service.create_channel(
        session, workspace_id=workspace_id, data=body, now=utcnow()
    )
    return ChannelOut.model_validate(channel)


@router.delete(
    "/channels/{channel_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a channel"
)
async def delete_channel(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, channel_id: RowIdPath
) -> Response:
    await service.delete_channel(session, workspace_id=workspace_id, channel_id=channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/deliveries", response_model=list[DeliveryOut], summary="The delivery log")
async def list_deliveries(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    rows = await service.list_deliveries(session, workspace_id=workspace_id, limit=limit)
    return [DeliveryOut.model_validate(r) for r in rows]
