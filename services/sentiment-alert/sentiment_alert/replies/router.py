from __future__ import annotations

from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import Select, select

from sentiment_alert.access import Operator, Reader
from sentiment_alert.clock import utcnow
from sentiment_alert.replies import service
from sentiment_alert.replies.models import CustomerMessage
from sentiment_alert.replies.schemas import AnswerIn, MessageOut, Reason, Status
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams, keyset_page

router = APIRouter(prefix="/v1/replies", tags=["replies"])
_NOT_WAITING = {409: {"description": "The message is not queued or proposed (already handled)"}}


def _entity_query(query: Select[CustomerMessage]) -> Select[tuple[CustomerMessage]]:
    # keyset_page is typed for SQLAlchemy 2.0's row tuples; 2.1 types a one-entity select as
    # the entity itself. The same object either way.
    return cast(Select[tuple[CustomerMessage]], query)


@router.get(
    "/queue",
    response_model=Page[MessageOut],
    summary="What waits for a person, oldest first",
    description="Comments and direct messages that are `queued` (the FAQ was not sure, or the "
    "message is negative, about an open crisis or names a risk term) or `proposed` (an FAQ "
    "answer waits to be sent). `reason` narrows it.",
)
async def list_queue(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    reason: Reason | None = None,
) -> Page[MessageOut]:
    query = select(CustomerMessage).where(
        CustomerMessage.workspace_id == workspace_id,
        CustomerMessage.status.in_(service.OPEN_QUEUE),
    )
    if reason is not None:
        query = query.where(CustomerMessage.reason == reason)
    rows = await keyset_page(
        session, _entity_query(query), page, keys=(CustomerMessage.received_at, CustomerMessage.id)
    )
    return rows.to_page(MessageOut.model_validate)


@router.get(
    "/messages",
    response_model=Page[MessageOut],
    summary="Comments and direct messages received, newest first",
    description="Every message the workspace handled, with what was decided and the reply.",
)
async def list_messages(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    status: Annotated[Status | None, Query(description="Only messages in this status")] = None,
) -> Page[MessageOut]:
    query = select(CustomerMessage).where(CustomerMessage.workspace_id == workspace_id)
    if status is not None:
        query = query.where(CustomerMessage.status == status)
    rows = await keyset_page(
        session,
        _entity_query(query),
        page,
        keys=(CustomerMessage.received_at, CustomerMessage.id),
        descending=True,
    )
    return rows.to_page(MessageOut.model_validate)


@router.get(
    "/messages/{message_id}",
    response_model=MessageOut,
    summary="One message",
    description="What was decided for it and why, the FAQ candidates, and the reply's state.",
)
async def get_message(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, message_id: UUID
) -> MessageOut:
    message = await service.get_message(session, workspace_id=workspace_id, message_id=message_id)
    return MessageOut.model_validate(message)


@router.post(
    "/messages/{message_id}/answer",
    response_model=MessageOut,
    responses=_NOT_WAITING,  # type: ignore[arg-type]
    summary="Answer a queued or proposed message",
    description="With `text`, the operator's reply; without it, the proposed FAQ answer (422 "
    "naming `body.text` when there is none). The message becomes `replying` and the reply is "
    "sent within seconds; `replied` once the platform took it.",
)
async def answer_message(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    principal: Operator,
    message_id: UUID,
    body: AnswerIn,
) -> MessageOut:
    message = await service.answer(
        session,
        workspace_id=workspace_id,
        message_id=message_id,
        text=body.text,
        actor=principal.subject,
        now=utcnow(),
    )
    return MessageOut.model_validate(message)


@router.post(
    "/messages/{message_id}/dismiss",
    response_model=MessageOut,
    responses=_NOT_WAITING,  # type: ignore[arg-type]
    summary="Take a message off the queue without replying",
    description="For messages that need no answer (spam, thanks); it stays in the history.",
)
async def dismiss_message(
    session: SessionDep, workspace_id: WorkspaceDep, principal: Operator, message_id: UUID
) -> MessageOut:
    message = await service.dismiss(
        session,
        workspace_id=workspace_id,
        message_id=message_id,
        actor=principal.subject,
        now=utcnow(),
    )
    return MessageOut.model_validate(message)
