from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from campaigns.access import Reader, Writer
from campaigns.sending import rules
from campaigns.sending.models import SEND_STATES, DeliveryAttempt, Send
from campaigns.sending.schemas import AttemptOut, RulesIn, RulesOut, SendOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.openapi import AUDITED
from yunying_shared.http.pagination import Page, PageParams, keyset_page

router = APIRouter(prefix="/v1/sending", tags=["sending"])
# The states as an enum, so the document lists them and a wrong one is a 422 naming `state`.
SendState = StrEnum("SendState", {state: state for state in SEND_STATES})  # type: ignore[misc]


def _default_cap(request: Request) -> tuple[int, int]:
    settings = request.app.state.settings
    return settings.default_cap_count, settings.default_cap_window_hours


@router.get("/rules", response_model=RulesOut, summary="Quiet hours and the frequency cap")
async def read_rules(
    request: Request, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> RulesOut:
    return await rules.read_rules(
        session, workspace_id=workspace_id, default_cap=_default_cap(request)
    )


@router.put("/rules", response_model=RulesOut, openapi_extra=AUDITED)
async def write_rules(
    body: RulesIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> RulesOut:
    return await rules.write_rules(session, workspace_id=workspace_id, data=body)


@router.get(
    "/sends",
    response_model=Page[SendOut],
    summary="Messages with their state: pending, sending, sent, failed, capped, paused",
)
async def list_sends(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    campaign_id: UUID | None = None,
    state: Annotated[SendState | None, Query(description="Only sends in this state")] = None,
) -> Page[SendOut]:
    query = select(Send).where(Send.workspace_id == workspace_id)
    if user_id is not None:
        query = query.where(Send.user_id == user_id)
    if campaign_id is not None:
        query = query.where(Send.campaign_id == campaign_id)
    if state is not None:
        query = query.where(Send.state == state)
    keys = (Send.created_at, Send.id)
    rows = await keyset_page(session, query, page, keys=keys, descending=True)
    return rows.to_page(SendOut.model_validate)


@router.get(
    "/sends/{send_id}/attempts",
    response_model=Page[AttemptOut],
    summary="Delivery log, oldest first",
)
async def list_attempts(
    send_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, page: PageParams
) -> Page[AttemptOut]:
    query = select(DeliveryAttempt).where(
        DeliveryAttempt.workspace_id == workspace_id, DeliveryAttempt.send_id == send_id
    )
    rows = await keyset_page(session, query, page, keys=(DeliveryAttempt.id,))
    return rows.to_page(AttemptOut.model_validate)
