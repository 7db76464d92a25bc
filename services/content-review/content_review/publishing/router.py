from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from content_review.access import Editor, Operator, Reader
from content_review.dependencies import NowDep, SettingsDep
from content_review.items.schemas import ItemOut, Platform
from content_review.items.service import view
from content_review.publishing import cadence, service
from content_review.publishing.calendar import calendar
from content_review.publishing.schemas import CadenceIn, CadenceOut, CalendarOut
from content_review.review.schemas import ScheduleIn
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.openapi import AUDITED
from yunying_shared.http.pagination import Page, PageParams, sequence_page
from yunying_shared.storable import StorableDatetime

router = APIRouter(tags=["publishing"])


@router.post(
    "/v1/content/items/{item_id}/schedule",
    response_model=ItemOut,
    responses={
        404: {"description": "Unknown item"},
        409: {"description": "Only approved items are scheduled"},
        422: {"description": "No publish time, or one in the past"},
    },
    summary="Schedule an approved item",
    description="approved → scheduled; an ad while a crisis is open → held. An ad that would "
    "put the account above 3 ads in 10 over the rolling window is scheduled with a warning.",
)
async def schedule(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    operator: Operator,
    item_id: UUID,
    settings: SettingsDep,
    now: NowDep,
    body: ScheduleIn | None = None,
) -> ItemOut:
    item, warnings = await service.schedule(
        session,
        workspace_id=workspace_id,
        item_id=item_id,
        actor_id=operator.subject,
        publish_at=body.publish_at if body else None,
        window=timedelta(days=settings.ratio_window_days),
        now=now,
    )
    return await view(session, item, warnings)


@router.get(
    "/v1/content/calendar",
    response_model=CalendarOut,
    response_model_by_alias=True,
    summary="The publishing calendar with under- and over-posting per platform and account",
)
async def read_calendar(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    settings: SettingsDep,
    from_: Annotated[StorableDatetime, Query(alias="from")],
    to: Annotated[StorableDatetime, Query()],
) -> CalendarOut:
    return await calendar(
        session, workspace_id=workspace_id, start=from_, end=to, zone=settings.calendar_timezone
    )


@router.get(
    "/v1/content/cadence",
    response_model=Page[CadenceOut],
    summary="Cadence per platform, in platform order",
)
async def read_cadence(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, page: PageParams
) -> Page[CadenceOut]:
    rules = await cadence.effective_cadence(session, workspace_id=workspace_id)
    ordered = [CadenceOut(**vars(rule)) for _, rule in sorted(rules.items())]
    return sequence_page(ordered, page, key=lambda rule: (rule.platform,)).to_page(
        lambda rule: rule
    )


@router.put(
    "/v1/content/cadence/{platform}",
    response_model=CadenceOut,
    summary="Set this workspace's cadence for a platform",
    openapi_extra=AUDITED,
)
async def put_cadence(
    session: SessionDep, workspace_id: WorkspaceDep, _: Editor, platform: Platform, body: CadenceIn
) -> CadenceOut:
    rule = await cadence.set_cadence(
        session,
        workspace_id=workspace_id,
        platform=platform,
        period=body.period,
        minimum=body.minimum,
        maximum=body.maximum,
    )
    return CadenceOut(**vars(rule))


@router.delete(
    "/v1/content/cadence/{platform}",
    status_code=204,
    summary="Back to the default cadence (none for Weibo and Bilibili)",
    openapi_extra=AUDITED,
)
async def reset_cadence(
    session: SessionDep, workspace_id: WorkspaceDep, _: Editor, platform: Platform
) -> Response:
    await cadence.reset_cadence(session, workspace_id=workspace_id, platform=platform)
    return Response(status_code=204)
