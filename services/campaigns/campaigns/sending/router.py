from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from campaigns.access import Reader, Writer
from campaigns.sending import rules
from campaigns.sending.models import DeliveryAttempt, Send
from campaigns.sending.schemas import AttemptOut, RulesIn, RulesOut, SendOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/sending", tags=["sending"])


def _default_cap(request: Request) -> tuple[int, int]:
    settings = request.app.state.settings
    return settings.default_cap_count, settings.default_cap_window_hours


@router.get("/rules", response_model=RulesOut, summary="Quiet hours and the frequency cap")
async def read_rules(
    request: Request, session: SessionDep, workspace_id: WorkspaceDep, _: Reader
) -> RulesOut:
    return await rules.read_rules(
        session, workspace_id=workspace_id, default_cap=_default_cap(request)
    )


@router.put("/rules", response_model=RulesOut)
async def write_rules(
    body: RulesIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> RulesOut:
    return await rules.write_rules(session, workspace_id=workspace_id, data=body)


@router.get(
    "/sends",
    response_model=list[SendOut],
    summary="Messages with their state: pending, sending, sent, failed, capped, paused",
)
async def list_sends(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    campaign_id: UUID | None = None,
    state: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SendOut]:
    query = select(Send).where(Send.workspace_id == workspace_id)
    if user_id is not None:
        query = query.where(Send.user_id == user_id)
    if campaign_id is not None:
        query = query.where(Send.campaign_id == campaign_id)
    if state is not None:
        query = query.where(Send.state == state)
    sends = await session.scalars(query.order_by(Send.created_at.desc()).limit(limit))
    return [SendOut.model_validate(s) for s in sends]


@router.get("/sends/{send_id}/attempts", response_model=list[AttemptOut], summary="Delivery log")
async def list_attempts(
    send_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Reader
) -> list[AttemptOut]:
    attempts = await session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.workspace_id == workspace_id, DeliveryAttempt.send_id == send_id)
        .order_by(DeliveryAttempt.id)
    )
    return [AttemptOut.model_validate(a) for a in attempts]
