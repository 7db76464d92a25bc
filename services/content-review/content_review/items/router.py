from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query

from content_review.access import Editor, Reader
from content_review.dependencies import NowDep
from content_review.items import service
from content_review.items.schemas import (
    ContentIn,
    ItemCreate,
    ItemOut,
    Platform,
    RevisionDiff,
    RevisionOut,
)
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.events.payloads.content import CONTENT_STATES
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/content/items", tags=["content items"])
# The states as an enum, so the document lists them and a wrong one is a 422 naming `state`.
ContentState = StrEnum("ContentState", {state: state for state in CONTENT_STATES})  # type: ignore[misc]
RevisionNumber = Annotated[int, Path(ge=1, le=1_000_000)]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller may not do this"},
    404: {"description": "Unknown item or revision in this workspace"},
}


@router.post(
    "",
    status_code=201,
    response_model=ItemOut,
    responses=ERRORS,
    summary="Create a content item (a draft, revision 1)",
)
async def create_item(
    session: SessionDep, workspace_id: WorkspaceDep, editor: Editor, body: ItemCreate, now: NowDep
) -> ItemOut:
    item, revision = await service.create_item(
        session, workspace_id=workspace_id, author_id=editor.subject, body=body, now=now
    )
    return service.item_view(item, revision)


@router.get(
    "",
    response_model=Page[ItemOut],
    summary="Content items, newest first",
    description="Each item with its current revision; `state` and `platform` combine.",
)
async def list_items(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    state: Annotated[ContentState | None, Query(description="Only items in this state")] = None,
    platform: Annotated[Platform | None, Query(description="Only items for this platform")] = None,
) -> Page[ItemOut]:
    rows = await service.list_items(
        session,
        workspace_id=workspace_id,
        state=state.value if state is not None else None,
        platform=platform,
        page=page,
    )
    return rows.to_page(lambda row: service.item_view(row[0], row[1]))


@router.get("/{item_id}", response_model=ItemOut, responses=ERRORS, summary="One content item")
async def read_item(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, item_id: UUID
) -> ItemOut:
    item = await service.get_item(session, workspace_id=workspace_id, item_id=item_id)
    return await service.view(session, item)


@router.put(
    "/{item_id}",
    response_model=ItemOut,
    responses={**ERRORS, 409: {"description": "The item is under review: reject it first"}},
    summary="Edit a draft: a new revision",
    description="Only drafts and expired items can be edited; an expired item returns to draft.",
)
async def revise_item(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    editor: Editor,
    item_id: UUID,
    body: ContentIn,
    now: NowDep,
) -> ItemOut:
    item, revision = await service.revise_item(
        session,
        workspace_id=workspace_id,
        item_id=item_id,
        actor_id=editor.subject,
        content=body,
        now=now,
    )
    return service.item_view(item, revision)


@router.get(
    "/{item_id}/revisions",
    response_model=Page[RevisionOut],
    responses=ERRORS,
    summary="Every revision, first to last",
)
async def list_revisions(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, item_id: UUID, page: PageParams
) -> Page[RevisionOut]:
    rows = await service.list_revisions(
        session, workspace_id=workspace_id, item_id=item_id, page=page
    )
    return rows.to_page(RevisionOut.model_validate)


@router.get(
    "/{item_id}/revisions/{number}",
    response_model=RevisionOut,
    responses=ERRORS,
    summary="One revision",
)
async def read_revision(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    item_id: UUID,
    number: RevisionNumber,
) -> Any:
    return await service.get_revision(
        session, workspace_id=workspace_id, item_id=item_id, number=number
    )


@router.get(
    "/{item_id}/revisions/{first}/diff/{second}",
    response_model=RevisionDiff,
    responses=ERRORS,
    summary="What changed between two revisions (a unified diff)",
)
async def diff_revisions(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    item_id: UUID,
    first: RevisionNumber,
    second: RevisionNumber,
) -> RevisionDiff:
    return await service.diff_revisions(
        session, workspace_id=workspace_id, item_id=item_id, first=first, second=second
    )
