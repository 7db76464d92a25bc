from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.access import Operator, Reader
from sentiment_alert.clock import utcnow
from sentiment_alert.crises import repair, service
from sentiment_alert.crises.models import CrisisCaseRecord
from sentiment_alert.crises.schemas import (
    ActionIn,
    CrisisOut,
    CrisisReportIn,
    Level,
    Postmortem,
    RepairOut,
    RolesIn,
    State,
    StatementCheckOut,
    StatementIn,
    TransitionIn,
)
from sentiment_alert.crises.statement import check_statement
from sentiment_alert.spikes import AlertLevel
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams

router = APIRouter(prefix="/v1/crises", tags=["crises"])


async def _out(session: AsyncSession, case: CrisisCaseRecord) -> CrisisOut:
    now = utcnow()
    status_now = await repair.repair_status(session, case, now)
    return CrisisOut(
        id=str(case.id),
        keyword=case.keyword,
        title=case.title,
        description=case.description,
        source=case.source,
        alert_id=str(case.alert_id) if case.alert_id else None,
        level=case.level,
        state=case.state,
        owner=case.owner,
        spokesperson=case.spokesperson,
        approver=case.approver,
        opened_at=case.opened_at,
        statement_due_at=case.statement_due_at,
        statement_published_at=case.statement_published_at,
        statement_overdue=repair.overdue(case, now),
        reminders_sent=case.reminders_sent,
        closed_at=case.closed_at,
        repair=RepairOut(**asdict(status_now)),
        timeline=case.timeline,
    )


@router.get("", response_model=Page[CrisisOut], summary="Crisis cases, newest first")
async def list_cases(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    state: Annotated[State | None, Query(description="Only cases in this state")] = None,
    level: Annotated[Level | None, Query(description="Only cases of this level")] = None,
) -> Page[CrisisOut]:
    rows = await service.list_cases(
        session, workspace_id=workspace_id, page=page, state=state, level=level
    )
    return Page[CrisisOut](
        items=[await _out(session, c) for c in rows.rows], next_cursor=rows.next_cursor
    )


@router.post(
    "",
    response_model=CrisisOut,
    status_code=status.HTTP_201_CREATED,
    summary="Report a crisis by hand (opens a case; publishes crisis.opened)",
)
async def report_case(
    session: SessionDep, workspace_id: WorkspaceDep, principal: Operator, body: CrisisReportIn
) -> CrisisOut:
    case = await service.open_case(
        session,
        workspace_id=workspace_id,
        title=body.title,
        description=body.description,
        level=AlertLevel[body.level.upper()],
        keyword=body.keyword,
        now=utcnow(),
        actor=principal.subject,
    )
    return await _out(session, case)


@router.get("/{case_id}", response_model=CrisisOut, summary="One case with its repair status")
async def get_case(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, case_id: UUID
) -> CrisisOut:
    case = await service.get_case(session, workspace_id=workspace_id, case_id=case_id)
    return await _out(session, case)


@router.post(
    "/{case_id}/transition",
    response_model=CrisisOut,
    summary="Move a case: warning → responding → repairing → closed (closing publishes "
    "crisis.resolved)",
)
async def transition(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    principal: Operator,
    case_id: UUID,
    body: TransitionIn,
) -> CrisisOut:
    case = await service.transition(
        session,
        workspace_id=workspace_id,
        case_id=case_id,
        to_state=body.to_state,
        note=body.note,
        actor=principal.subject,
        now=utcnow(),
    )
    return await _out(session, case)


@router.put("/{case_id}/roles", response_model=CrisisOut, summary="Owner, spokesperson, approver")
async def set_roles(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    principal: Operator,
    case_id: UUID,
    body: RolesIn,
) -> CrisisOut:
    case = await service.set_roles(
        session,
        workspace_id=workspace_id,
        case_id=case_id,
        roles=body.model_dump(exclude_unset=True),
        actor=principal.subject,
        now=utcnow(),
    )
    return await _out(session, case)


@router.post("/{case_id}/actions", response_model=CrisisOut, summary="Log an action taken")
async def add_action(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    principal: Operator,
    case_id: UUID,
    body: ActionIn,
) -> CrisisOut:
    case = await service.add_action(
        session,
        workspace_id=workspace_id,
        case_id=case_id,
        note=body.note,
        actor=principal.subject,
        now=utcnow(),
    )
    return await _out(session, case)


@router.post(
    "/{case_id}/statement/check",
    response_model=StatementCheckOut,
    summary="Does a draft acknowledge the problem, apologise and state a concrete remedy?",
)
async def check(
    session: SessionDep, workspace_id: WorkspaceDep, _: Reader, case_id: UUID, body: StatementIn
) -> StatementCheckOut:
    await service.get_case(session, workspace_id=workspace_id, case_id=case_id)
    result = check_statement(body.text)
    return StatementCheckOut(
        acknowledges=result.acknowledges,
        apologises=result.apologises,
        remedy=result.remedy,
        remedy_concrete=result.remedy_concrete,
        ready=result.ready,
        missing=result.missing,
        advice=result.advice,
        found=result.found,
    )


@router.post(
    "/{case_id}/statement",
    response_model=CrisisOut,
    summary="Record the published statement (must pass the check; publishes "
    "crisis.statement_published and moves the case to repairing)",
    responses={409: {"description": "The statement fails the check: `missing` names the parts"}},
)
async def publish_statement(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    principal: Operator,
    case_id: UUID,
    body: StatementIn,
) -> CrisisOut:
    case = await service.publish_statement(
        session,
        workspace_id=workspace_id,
        case_id=case_id,
        text=body.text,
        actor=principal.subject,
        now=utcnow(),
    )
    return await _out(session, case)


@router.get(
    "/{case_id}/postmortem",
    summary="Post-mortem: timeline, volumes, actions",
    responses={
        200: {
            "model": Postmortem,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "JSON, or with `format=csv` one CSV table",
        }
    },
)
async def postmortem(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    case_id: UUID,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    case = await service.get_case(session, workspace_id=workspace_id, case_id=case_id)
    report = await repair.postmortem(session, case, utcnow())
    if format == "csv":
        return Response(
            repair.postmortem_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="crisis-{case.id}.csv"'},
        )
    return Response(json.dumps(report, ensure_ascii=False), media_type="application/json")
