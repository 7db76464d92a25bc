from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from content_review.access import Editor, Operator, Participant, Reader, Reviewer
from content_review.dependencies import NowDep, RegistryDep
from content_review.items.schemas import ItemOut
from content_review.items.service import view
from content_review.review import service
from content_review.review.schemas import AuditOut, CommentIn, CommentOut, DecisionIn, RejectIn
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import Identifier

router = APIRouter(prefix="/v1/content/items/{item_id}", tags=["content review"])
STEP_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "Wrong role, or separation of duties: the author, or stage 1's operator "
        "at stage 2. Nothing changed."
    },
    404: {"description": "Unknown item in this workspace"},
    409: {
        "description": "Out of order: the item is not in the state this step applies to. "
        "Nothing changed."
    },
}


@router.post(
    "/submit",
    response_model=ItemOut,
    responses=STEP_ERRORS,
    summary="Submit a draft: the automated scan runs now",
    description="draft → submitted → scanned; blocking findings send it back to draft with one "
    "reason per finding (see the revision's findings and the audit trail).",
)
async def submit(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    editor: Editor,
    item_id: UUID,
    registry: RegistryDep,
    now: NowDep,
) -> ItemOut:
    item, _ = await service.submit(
        session,
        workspace_id=workspace_id,
        item_id=item_id,
        actor_id=editor.subject,
        registry=registry,
        now=now,
    )
    return await view(session, item)


@router.post(
    "/operator-check",
    response_model=ItemOut,
    responses=STEP_ERRORS,
    summary="Stage 1: an operator (not the author) checks the scanned item",
)
async def operator_check(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    operator: Operator,
    item_id: UUID,
    now: NowDep,
    body: DecisionIn | None = None,
) -> ItemOut:
    item = await service.operator_check(
        session,
        workspace_id=workspace_id,
        item_id=item_id,
        actor_id=operator.subject,
        note=body.note if body else None,
        now=now,
    )
    return await view(session, item)


@router.post(
    "/approve",
    response_model=ItemOut,
    responses=STEP_ERRORS,
    summary="Stage 2: a reviewer (neither the author nor stage 1's operator) approves",
)
async def approve(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    reviewer: Reviewer,
    item_id: UUID,
    now: NowDep,
    body: DecisionIn | None = None,
) -> ItemOut:
    item = await service.approve(
        session,
        workspace_id=workspace_id,
        item_id=item_id,
        actor_id=reviewer.subject,
        note=body.note if body else None,
        now=now,
    )
    return await view(session, item)


@router.post(
    "/reject",
    response_model=ItemOut,
    responses=STEP_ERRORS,
    summary="Reject back to draft, with a reason per finding or concern",
)
async def reject(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    participant: Participant,
    item_id: UUID,
    body: RejectIn,
    now: NowDep,
) -> ItemOut:
    item = await service.reject(
        session,
        workspace_id=workspace_id,
        item_id=item_id,
        actor_id=participant.subject,
        reasons=body.reasons,
        now=now,
    )
    return await view(session, item)


@router.post(
    "/comments",
    status_code=201,
    response_model=CommentOut,
    responses=STEP_ERRORS,
    summary="Comment on the item's current revision",
)
async def add_comment(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    participant: Participant,
    item_id: UUID,
    body: CommentIn,
    now: NowDep,
) -> Any:
    return await service.add_comment(
        session,
        workspace_id=workspace_id,
        item_id=item_id,
        author_id=participant.subject,
        body=body.body,
        now=now,
    )


@router.get(
    "/comments",
    response_model=Page[CommentOut],
    responses=STEP_ERRORS,
    summary="Comments, oldest first",
)
async def list_comments(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, item_id: UUID, page: PageParams
) -> Page[CommentOut]:
    rows = await service.list_comments(
        session, workspace_id=workspace_id, item_id=item_id, page=page
    )
    return rows.to_page(CommentOut.model_validate)


@router.get(
    "/audit",
    response_model=Page[AuditOut],
    responses=STEP_ERRORS,
    summary="The audit trail: who did what, when, on which revision (oldest first)",
)
async def list_audit(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    item_id: UUID,
    page: PageParams,
    action: Annotated[
        Identifier | None,
        Query(
            min_length=1,
            max_length=32,
            description="Only steps of this kind",
            examples=["submitted", "approved", "rejected", "commented"],
        ),
    ] = None,
) -> Page[AuditOut]:
    rows = await service.list_audit(
        session, workspace_id=workspace_id, item_id=item_id, page=page, action=action
    )
    return rows.to_page(AuditOut.model_validate)
