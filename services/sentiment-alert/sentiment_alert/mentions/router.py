from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from sentiment_alert.access import MentionsWriter, Reader
from sentiment_alert.mentions import service
from sentiment_alert.mentions.schemas import BatchResult, MentionBatchIn
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import Identifier

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
    return Response(result.to_json(), media_type="application/json")


class MentionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "m-4962134170108571",
                    "platform": "weibo",
                    "platform_id": "4962134170108571",
                    "author": "敏感肌小王",
                    "text": "用了双11 礼盒里的精华，脸上泛红刺痛，有人一样吗？",
                    "url": "https://weibo.com/1234567890/4962134170108571",
                    "posted_at": "2026-11-11T22:31:00+08:00",
                    "language": "zh",
                    "label": "neg",
                    "score": 0.06,
                    "keywords": ["过敏"],
                    "user_id": None,
                }
            ]
        }
    )

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


@router.get(
    "",
    response_model=Page[MentionOut],
    summary="Mentions, newest first",
    description="Filters combine. With `keyword` a page may hold fewer than `limit` mentions "
    "(at most 2,000 are examined per page) while `next_cursor` still leads on.",
)
async def list_mentions(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    keyword: Annotated[
        Identifier | None, Query(min_length=1, max_length=64, description="A matched keyword")
    ] = None,
    label: Annotated[
        Literal["pos", "neu", "neg"] | None, Query(description="Sentiment label")
    ] = None,
    platform: Annotated[
        Identifier | None, Query(min_length=1, max_length=16, description="Source platform")
    ] = None,
) -> Page[MentionOut]:
    rows = await service.page_mentions(
        session,
        workspace_id=workspace_id,
        page=page,
        keyword=keyword,
        label=label,
        platform=platform,
    )
    return rows.to_page(
        lambda m: MentionOut(
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
    )
