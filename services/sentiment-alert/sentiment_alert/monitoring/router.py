from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from sentiment_alert.access import Operator, Reader
from sentiment_alert.monitoring import service
from sentiment_alert.monitoring.schemas import RuleIn, RuleKind, RuleOut
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.openapi import AUDITED
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import RowIdPath

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"])


@router.get(
    "/rules", response_model=Page[RuleOut], summary="The workspace's monitoring rules, oldest first"
)
async def list_rules(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    kind: Annotated[RuleKind | None, Query(description="Only rules of this kind")] = None,
) -> Page[RuleOut]:
    rows = await service.page_rules(session, workspace_id=workspace_id, page=page, kind=kind)
    return rows.to_page(RuleOut.model_validate)


@router.post(
    "/rules",
    response_model=RuleOut,
    status_code=status.HTTP_201_CREATED,
    summary="Watch a brand, risk term or competitor",
    openapi_extra=AUDITED,
)
async def create_rule(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: RuleIn
) -> RuleOut:
    rule = await service.create_rule(session, workspace_id=workspace_id, data=body)
    return RuleOut.model_validate(rule)


@router.get("/rules/{rule_id}", response_model=RuleOut, summary="One monitoring rule")
async def get_rule(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, rule_id: RowIdPath
) -> RuleOut:
    rule = await service.get_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    return RuleOut.model_validate(rule)


@router.put(
    "/rules/{rule_id}",
    response_model=RuleOut,
    summary="Replace a monitoring rule",
    openapi_extra=AUDITED,
)
async def update_rule(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, rule_id: RowIdPath, body: RuleIn
) -> RuleOut:
    rule = await service.update_rule(session, workspace_id=workspace_id, rule_id=rule_id, data=body)
    return RuleOut.model_validate(rule)


@router.delete(
    "/rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop watching",
    openapi_extra=AUDITED,
)
async def delete_rule(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, rule_id: RowIdPath
) -> Response:
    await service.delete_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
