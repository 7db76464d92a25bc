from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from sentiment_alert.access import Operator, Reader
from sentiment_alert.clock import utcnow
from sentiment_alert.notifications import service
from sentiment_alert.notifications.schemas import ChannelIn, ChannelOut, DeliveryOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.openapi import AUDITED
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import INT64_MAX, RowIdPath

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("/channels", response_model=Page[ChannelOut], summary="Webhook channels, oldest first")
async def list_channels(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Operator,
    page: PageParams,
    kind: Annotated[
        Literal["wecom", "dingtalk", "slack"] | None, Query(description="Only this kind")
    ] = None,
) -> Page[ChannelOut]:
    rows = await service.page_channels(session, workspace_id=workspace_id, page=page, kind=kind)
    return rows.to_page(ChannelOut.model_validate)


@router.post(
    "/channels",
    response_model=ChannelOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a WeCom, DingTalk or Slack webhook",
    openapi_extra=AUDITED,
)
async def create_channel(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: ChannelIn
) -> ChannelOut:
    channel = await service.create_channel(
        session, workspace_id=workspace_id, data=body, now=utcnow()
    )
    return ChannelOut.model_validate(channel)


@router.delete(
    "/channels/{channel_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a channel",
    openapi_extra=AUDITED,
)
async def delete_channel(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, channel_id: RowIdPath
) -> Response:
    await service.delete_channel(session, workspace_id=workspace_id, channel_id=channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/deliveries", response_model=Page[DeliveryOut], summary="The delivery log, newest first"
)
async def list_deliveries(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    status: Annotated[
        Literal["pending", "delivered", "failed"] | None, Query(description="Delivery status")
    ] = None,
    channel_id: Annotated[
        int | None, Query(ge=1, le=INT64_MAX, description="Only deliveries to this channel")
    ] = None,
) -> Page[DeliveryOut]:
    rows = await service.list_deliveries(
        session, workspace_id=workspace_id, page=page, status=status, channel_id=channel_id
    )
    return rows.to_page(DeliveryOut.model_validate)
