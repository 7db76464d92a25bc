from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from campaigns.access import Reader, Writer
from campaigns.audience.models import KnownSegment
from campaigns.collaborations.models import Collaboration
from campaigns.creators import matching, service
from campaigns.creators.csv_rows import CsvProblem, rows_of
from campaigns.creators.models import Creator
from campaigns.creators.schemas import (
    CreatorIn,
    CreatorOut,
    ImportIn,
    ImportOut,
    MatchIn,
    MatchOut,
    RankedOut,
    TargetOut,
    Tier,
)
from campaigns.errors import naming
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.errors import Conflict, InvalidInput, NotFound
from yunying_shared.http.pagination import Page, PageParams, keyset_page

router = APIRouter(prefix="/v1/creators", tags=["creators"])
BINARY = {"type": "string", "format": "binary"}

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such creator here"}}
CSV_EXAMPLE = (
    "external_id,name,tier,categories,accounts,prices,gender,age_band,region,interests\n"
    "kol-1,小鹿,micro,护肤|彩妆,xiaohongshu:5f1a2b:48000:小鹿爱护肤,"
    "xiaohongshu:image_post:8000,female=0.82|male=0.18,18-24=0.4|25-34=0.6,"
    "上海=0.5|江苏=0.5,护肤=0.7|彩妆=0.3\n"
)


@router.post(
    "",
    response_model=CreatorOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register a creator (or replace the one with this external id)",
    description="201 when created, 200 when a creator with this `external_id` was replaced. "
    "Audience shares of a dimension must add up to 1 (±0.01); platforms are xiaohongshu, "
    "douyin, weibo, bilibili, wechat_channels; prices are not negative.",
    responses={200: {"description": "Replaced", "model": CreatorOut}},
)
async def create_creator(
    body: CreatorIn, response: Response, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Any:
    creator, created = await service.upsert(session, workspace_id=workspace_id, data=body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return creator


@router.get(
    "",
    response_model=Page[CreatorOut],
    summary="The workspace's creators, by external id",
    description="Cursor-paged (`limit`, `cursor`); `tier` narrows the list.",
)
async def list_creators(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    page: PageParams,
    tier: Tier | None = None,
) -> Page[CreatorOut]:
    query = select(Creator).where(Creator.workspace_id == workspace_id)
    if tier:
        query = query.where(Creator.tier == tier)
    rows = await keyset_page(session, query, page, keys=(Creator.external_id, Creator.id))
    return rows.to_page(CreatorOut.model_validate)


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Import creators; each item accepted or rejected on its own",
    description="Up to 1,000 creators in the shape of a `CreatorIn`. Each is validated and "
    "stored alone: a rejected item names its fields (`items.3.audience.gender`) and the "
    "others are stored. An existing `external_id` is replaced.",
)
async def import_creators(
    body: ImportIn, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> ImportOut:
    return await service.import_items(session, workspace_id=workspace_id, items=body.items)


@router.post(
    "/import/csv",
    response_model=ImportOut,
    summary="Import creators from a CSV file (one per row)",
    description="Columns: external_id, name, tier, categories (`|`-separated), accounts "
    "(`platform:account_id:followers[:handle]`), prices (`platform:deliverable:price`), "
    "gender, age_band, region, interests (`label=share`), performance "
    "(`platform:period:posts:followers:avg_engagements`). Rows are items: a rejection names "
    "`rows.<n>.<field>` (n from 0, the header not counted). At most 1,000 rows.",
    openapi_extra={
        "requestBody": {
            "required": True,
            # A file: generators give clients a bytes parameter for it.
            "content": {"text/csv": {"schema": BINARY, "example": CSV_EXAMPLE}},
        }
    },
    responses={422: {"description": "The file cannot be read (header, encoding, row count)"}},
)
async def import_csv(
    request: Request, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> ImportOut:
    raw = await request.body()
    try:
        items = rows_of(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise naming(InvalidInput, "body", "The file must be UTF-8 text.") from exc
    except CsvProblem as exc:
        raise naming(InvalidInput, "body", f"The CSV cannot be read: {exc}.") from exc
    return await service.import_items(
        session, workspace_id=workspace_id, items=items, prefix="rows"
    )


@router.post(
    "/match",
    response_model=MatchOut,
    summary="Rank creators by how well their audience matches a segment or lifecycle stage",
    description=matching.METHOD,
    responses={404: {"description": "No such segment known to campaigns"}},
)
async def match(
    body: MatchIn, session: SessionDep, workspace_id: WorkspaceDep, _: Reader
) -> MatchOut:
    if (body.segment_id is None) == (body.lifecycle_stage is None):
        raise naming(
            InvalidInput, "body.segment_id", "Give a segment_id or a lifecycle_stage (one)."
        )
    if body.segment_id is not None:
        known = await session.get(KnownSegment, (workspace_id, body.segment_id))
        if known is None:
            raise naming(NotFound, "body.segment_id", f"No segment {body.segment_id!r} known.")
    members, known_attributes, make_up = await service.audience_make_up(
        session, workspace_id=workspace_id, segment_id=body.segment_id, stage=body.lifecycle_stage
    )
    pool = await service.pool_of(session, workspace_id=workspace_id)
    ranked = matching.rank(
        pool, make_up, sort=body.sort, limit=body.limit, platform=body.platform, tier=body.tier
    )
    return MatchOut(
        target=TargetOut(
            segment_id=body.segment_id,
            lifecycle_stage=body.lifecycle_stage,
            members=members,
            with_attributes=known_attributes,
            make_up=make_up,
        ),
        method=matching.METHOD,
        candidates=len(pool),
        ranked=[
            RankedOut(
                creator_id=r.candidate.id,
                name=r.candidate.name,
                tier=r.candidate.tier,
                score=r.score,
                match=r.match,
                match_by_dimension=r.by_dimension,
                quality=r.quality,
                cost_per_engagement=r.cost_per_engagement,
                cost_score=r.cost_score,
                authenticity_verdict=r.candidate.authenticity_verdict,
                explanation=r.explanation,
            )
            for r in ranked
        ],
    )


@router.get("/{creator_id}", response_model=CreatorOut, responses=NOT_FOUND, summary="One creator")
async def read_creator(
    creator_id: UUID, session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> Any:
    return await service.get_creator(session, workspace_id=workspace_id, creator_id=creator_id)


@router.delete(
    "/{creator_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a creator and its tracked data",
    responses={**NOT_FOUND, 409: {"description": "The creator has collaborations"}},
)
async def delete_creator(
    creator_id: UUID, session: SessionDep, workspace_id: WorkspaceDep, _: Writer
) -> Response:
    used = await session.scalar(
        select(Collaboration.id)
        .where(Collaboration.workspace_id == workspace_id, Collaboration.creator_id == creator_id)
        .limit(1)
    )
    if used is not None:
        raise naming(
            Conflict, "creator_id", "The creator has collaborations; cancel them, keep it."
        )
    await service.delete_creator(session, workspace_id=workspace_id, creator_id=creator_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
