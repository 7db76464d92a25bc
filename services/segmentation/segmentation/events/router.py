from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from segmentation.events import service
from segmentation.events.schemas import BatchResult, EventBatchIn
from yunying_shared.auth import Principal, PrincipalDep, Role, WorkspaceDep
from yunying_shared.db import SessionDep
from yunying_shared.errors import Forbidden

router = APIRouter(prefix="/v1/events", tags=["events"])
WRITE_SCOPE = "events:write"
WRITER_ROLES = frozenset({Role.OPERATOR.value, Role.ADMIN.value})


def _events_writer(principal: PrincipalDep) -> Principal:
    """CRM systems with an API key holding `events:write`, or operators and admins."""
    if principal.kind == "api_key":
        if WRITE_SCOPE not in principal.scopes:
            raise Forbidden(f"API key lacks scopes: {WRITE_SCOPE}.")
    elif not (principal.roles & WRITER_ROLES or principal.is_superuser):
        raise Forbidden("Requires one of the roles: admin, operator.")
    return principal


@router.post(
    "",
    response_model=BatchResult,
    summary="Ingest a batch of CRM events",
    description="Up to 1,000 events. Each item is accepted, a duplicate (its event id was seen "
    "before: retries are safe) or rejected with the fields at fault; one bad item never rejects "
    "the batch. Unknown fields are kept in a bounded `extra` map.",
)
async def ingest_events(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Annotated[Principal, Depends(_events_writer)],
    body: EventBatchIn,
) -> Response:
    result = await service.ingest(session, workspace_id=workspace_id, items=body.events)
    # Serialized once here: returning the model made FastAPI validate its 1,000 item results
    # again against response_model (which stays, for the schema).
    return Response(result.model_dump_json(), media_type="application/json")
