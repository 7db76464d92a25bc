from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from content_review.access import Editor, Reader
from content_review.dependencies import ListsCacheDep, NowDep
from content_review.lists import service
from content_review.lists.exceptions import InvalidListBatch
from content_review.lists.schemas import BatchResult, ListEntryIn, ListsOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.openapi import AUDITED
from yunying_shared.storable import INT64_MAX

router = APIRouter(prefix="/v1/content/lists", tags=["workspace lists"])
MAX_BATCH = 1_000


@router.get("", response_model=ListsOut, summary="The workspace's allow and deny lists")
async def read_lists(session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader) -> ListsOut:
    entries = [
        service.entry_out(e) for e in await service.list_entries(session, workspace_id=workspace_id)
    ]
    return ListsOut(
        allow=[e for e in entries if e.list == "allow"],
        deny=[e for e in entries if e.list == "deny"],
    )


@router.post(
    "/entries",
    response_model=BatchResult,
    summary="Add entries (a batch: each is judged alone)",
    description="Body: a JSON list of entries. A malformed or duplicate entry is reported in "
    "`rejected` with its index and fields; the others are stored. Used by every later scan.",
    openapi_extra={
        **AUDITED,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": ListEntryIn.model_json_schema()},
                }
            },
        },
    },
)
async def add_entries(
    request: Request,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Editor,
    now: NowDep,
    cache: ListsCacheDep,
) -> BatchResult:
    rows = _json_list(await request.body())
    result = await service.add_entries(session, workspace_id=workspace_id, rows=rows, now=now)
    cache.forget(workspace_id)
    return result


@router.delete(
    "/entries/{entry_id}",
    status_code=204,
    responses={404: {"description": "Unknown entry"}},
    summary="Remove an entry",
    openapi_extra=AUDITED,
)
async def delete_entry(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Editor,
    entry_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
    cache: ListsCacheDep,
) -> Response:
    await service.delete_entry(session, workspace_id=workspace_id, entry_id=entry_id)
    cache.forget(workspace_id)
    return Response(status_code=204)


def _json_list(body: bytes) -> list[Any]:
    try:
        rows = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidListBatch(
            "The body is not valid JSON.", errors=[{"field": "body", "message": str(error)[:200]}]
        ) from None
    if not isinstance(rows, list):
        raise InvalidListBatch(
            "The body must be a JSON list of entries.",
            errors=[{"field": "body", "message": "must be a list"}],
        )
    if len(rows) > MAX_BATCH:
        raise InvalidListBatch(
            f"At most {MAX_BATCH} entries per request.",
            errors=[{"field": "body", "message": f"at most {MAX_BATCH} entries"}],
        )
    return rows
