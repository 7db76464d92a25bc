from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from segmentation.access import SegmentReader as Reader
from segmentation.access import SegmentWriter as Writer
from segmentation.segments import explain, service
from segmentation.segments.export import member_rows_csv
from segmentation.segments.schemas import (
    MAX_HISTORY_DAYS,
    PreviewIn,
    PreviewOut,
    SegmentDaysOut,
    SegmentIn,
    SegmentOut,
    SegmentPatch,
    WhyOut,
)
from segmentation.segments.validation import MAX_CONDITIONS, MAX_DEPTH, MAX_LIVE_SEGMENTS
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import IdentifierPath, StorableText

router = APIRouter(prefix="/v1/segments", tags=["segments"])

RULE_REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "description": f"A rule above the limits ({MAX_DEPTH} levels, {MAX_CONDITIONS} "
        "conditions) or with an unknown field, an operator that does not fit it, or a bad "
        "value; `errors[]` names each path"
    },
}
SAVE_REFUSED: dict[int | str, dict[str, Any]] = {
    **RULE_REFUSED,
    409: {
        "description": "The name is taken, or the workspace already keeps "
        f"{MAX_LIVE_SEGMENTS} live segments (`live_segment_limit`)"
    },
}


@router.post(
    "/preview",
    response_model=PreviewOut,
    responses=RULE_REFUSED,
    summary="How many users a rule matches now, before saving it",
)
async def preview_segment(
    body: PreviewIn, session: SessionDep, workspace_id: WorkspaceDep, _: Reader
) -> PreviewOut:
    return await service.preview(session, workspace_id=workspace_id, rule=body.rule)


@router.post(
    "",
    response_model=SegmentOut,
    status_code=201,
    responses=SAVE_REFUSED,
    summary="Create a segment; its members are computed at once and announced",
)
async def create_segment(
    body: SegmentIn, session: SessionDep, workspace_id: WorkspaceDep, principal: Writer
) -> SegmentOut:
    return await service.create_segment(
        session, workspace_id=workspace_id, data=body, actor=principal.subject
    )


@router.get(
    "",
    response_model=Page[SegmentOut],
    summary="Segments of the workspace, in name order",
    description="Filters combine: `q` matches part of the name literally; `live` picks live "
    "(re-evaluated on every write) or static segments.",
)
async def list_segments(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    page: PageParams,
    _: Reader,
    q: Annotated[
        StorableText | None,
        Query(min_length=1, max_length=100, description="Part of the segment's name"),
    ] = None,
    live: Annotated[bool | None, Query(description="Live segments only, or static only")] = None,
) -> Page[SegmentOut]:
    return await service.list_segments(
        session, workspace_id=workspace_id, page=page, name_contains=q, live=live
    )


@router.get("/{segment_id}", response_model=SegmentOut)
async def read_segment(
    segment_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> SegmentOut:
    return await service.get_segment(session, workspace_id=workspace_id, segment_id=segment_id)


@router.patch(
    "/{segment_id}",
    response_model=SegmentOut,
    responses={**SAVE_REFUSED, 404: {"description": "No such segment in this workspace"}},
    summary="Change a segment; a new rule re-evaluates everyone",
)
async def update_segment(
    segment_id: UUID, body: SegmentPatch, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> SegmentOut:
    return await service.update_segment(
        session, workspace_id=workspace_id, segment_id=segment_id, patch=body
    )


@router.delete("/{segment_id}", status_code=204, response_class=Response)
async def delete_segment(
    segment_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Response:
    await service.delete_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    return Response(status_code=204)


@router.get(
    "/{segment_id}/days",
    response_model=SegmentDaysOut,
    responses={
        404: {"description": "No such segment in this workspace"},
        422: {"description": f"`to` before `from`, or more than {MAX_HISTORY_DAYS} days"},
    },
    summary="Size, entered and exited per day, for charts",
    description="One entry per UTC day from `from` to `to` (both included, at most "
    f"{MAX_HISTORY_DAYS} days): the member count at the end of the day and how many users "
    "entered and exited during it. Kept by every membership change as it is written, so "
    "reading them never counts memberships. Days before the segment existed read 0.",
)
async def segment_days(
    segment_id: UUID,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    first: Annotated[date, Query(alias="from", description="First day (UTC), included")],
    last: Annotated[date, Query(alias="to", description="Last day (UTC), included")],
) -> SegmentDaysOut:
    return await service.segment_days(
        session, workspace_id=workspace_id, segment_id=segment_id, first=first, last=last
    )


@router.get(
    "/{segment_id}/why/{user_id}",
    response_model=WhyOut,
    summary="Each condition's actual value for the user and whether it holds",
)
async def why_user(
    segment_id: UUID,
    user_id: IdentifierPath,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
) -> WhyOut:
    return await explain.why(
        session, workspace_id=workspace_id, segment_id=segment_id, user_id=user_id
    )


@router.get(
    "/{segment_id}/export.csv",
    response_class=StreamingResponse,
    summary="Members as CSV (UTF-8 with BOM), streamed page by page",
)
async def export_members(
    segment_id: UUID,
    request: Request,
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
) -> StreamingResponse:
    await service.load_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    return StreamingResponse(
        member_rows_csv(
            request.app.state.database, workspace_id=workspace_id, segment_id=segment_id
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="segment-{segment_id}.csv"'},
    )
