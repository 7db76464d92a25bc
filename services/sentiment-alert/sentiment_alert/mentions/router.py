from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy import select

from sentiment_alert.access import MentionsWriter, Reader
from sentiment_alert.mentions import service
from sentiment_alert.mentions.models import Mention
from sentiment_alert.mentions.schemas import BatchResult, MentionBatchIn
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/mentions", tags=["mentions"])


@router.post(
    "",
    response_model=BatchResult,
    summary="Ingest a batch of mentions",
    description="Up to 1,000 mentions. Each item is accepted (scored and matched), a duplicate "
    "(its platform and id were seen before: retries are safe) or rejected with the fields at "
    "fault; one bad item never rejects the batch.",
)
async def ingest_mentions(
    session: SessionDep, workspace_id: WorkspaceDep, _: MentionsWriter, body: MentionBatchIn
) -> Response:
    result = await service.ingest(session, workspace_id=workspace_id, items=body.mentions)
    return Response(result.model_dump_json(), media_type="application/json")


class MentionOut(BaseModel):
    id: str
    platform: str
    platform_id: str
    author: str
    text: str
    url: str | None
    posted_at: str
    language: str
    label: str
    score: float
    keywords: list[str]
    user_id: str | None


@router.get("", response_model=list[MentionOut], summary="Recent mentions, newest first")
async def list_mentions(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    keyword: Annotated[str | None, Query(max_length=64)] = None,
    label: Literal["pos", "neu", "neg"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[MentionOut]:
    query = select(Mention).where(Mention.workspace_id == workspace_id)
    if label is not None:
        query = query.where(Mention.label == label)
    # Keyword filtering in Python over a bounded scan: JSON containment differs per database.
    rows = await session.scalars(query.order_by(Mention.posted_at.desc()).limit(limit * 20))
    found = [m for m in rows if keyword is None or keyword in m.keywords][:limit]
    return [
        MentionOut(
            id=str(m.id),
            platform=m.platform,
            platform_id=m.platform_id,
            author=m.author,
            text=m.text,
            url=m.url,
            posted_at=m.posted_at.isoformat(),
            language=m.language,
            label=m.label,
            score=m.score,
            keywords=m.keywords,
            user_id=m.user_id,
        )
        for m in found
    ]
