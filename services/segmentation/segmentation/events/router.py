from __future__ import annotations

from fastapi import APIRouter, Response

from segmentation.access import EventsWriter
from segmentation.events import service
from segmentation.events.schemas import BatchResult, EventBatchIn
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/events", tags=["events"])


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
    _: EventsWriter,
    body: EventBatchIn,
) -> Response:
    result = await service.ingest(session, workspace_id=workspace_id, items=body.events)
    # Serialized once here: returning the model made FastAPI validate its 1,000 item results
    # again against response_model (which stays, for the schema).
    return Response(result.model_dump_json(), media_type="application/json")
