"""The registry: create, update by external id, read, import (per item), and rank against a
segment's make-up."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.service import audience_counts
from campaigns.clock import utcnow
from campaigns.creators import matching
from campaigns.creators.models import Creator
from campaigns.creators.schemas import (
    CreatorIn,
    FieldError,
    ImportOut,
    ImportRejection,
    PerformanceEntry,
)
from campaigns.errors import naming
from yunying_shared.errors import NotFound, validation_errors

_CREATOR = TypeAdapter(CreatorIn)


def derived_performance(entries: Sequence[PerformanceEntry]) -> tuple[float | None, float | None]:
    """(engagements per follower per post, engagements per post), weighted by posts."""
    posts = sum(e.posts for e in entries)
    if not posts:
        return None, None
    engagements = sum(e.avg_engagements * e.posts for e in entries)
    follower_posts = sum(e.followers * e.posts for e in entries)
    rate = engagements / follower_posts if follower_posts else None
    return rate, engagements / posts


def _columns(data: CreatorIn) -> dict[str, Any]:
    rate, per_post = derived_performance(data.performance)
    return {
        "name": data.name,
        "tier": data.tier,
        "categories": list(data.categories),
        "accounts": [a.model_dump(mode="json") for a in data.accounts],
        "prices": [p.model_dump(mode="json") for p in data.prices],
        "audience": data.audience.model_dump(mode="json", exclude_none=True),
        "performance": [p.model_dump(mode="json") for p in data.performance],
        "engagement_rate": rate,
        "engagements_per_post": per_post,
    }


async def _by_external_id(
    session: AsyncSession, workspace_id: UUID, external_id: str
) -> Creator | None:
    return await session.scalar(
        select(Creator).where(
            Creator.workspace_id == workspace_id, Creator.external_id == external_id
        )
    )


async def upsert(
    session: AsyncSession, *, workspace_id: UUID, data: CreatorIn
) -> tuple[Creator, bool]:
    """The creator with this external id, created or replaced; True when created."""
    now = utcnow()
    creator = await _by_external_id(session, workspace_id, data.external_id)
    created = creator is None
    if creator is None:
        creator = Creator(
            workspace_id=workspace_id,
            external_id=data.external_id,
            created_at=now,
            authenticity_score=None,
            authenticity_verdict=None,
            authenticity_checked_at=None,
            **_columns(data),
            updated_at=now,
        )
        session.add(creator)
    else:
        for name, value in _columns(data).items():
            setattr(creator, name, value)
        creator.updated_at = now
    await session.flush()
    return creator, created


async def get_creator(session: AsyncSession, *, workspace_id: UUID, creator_id: UUID) -> Creator:
    creator = await session.get(Creator, creator_id)
    if creator is None or creator.workspace_id != workspace_id:
        raise naming(NotFound, "creator_id", f"No creator {creator_id} in this workspace.")
    return creator


async def delete_creator(session: AsyncSession, *, workspace_id: UUID, creator_id: UUID) -> None:
    creator = await get_creator(session, workspace_id=workspace_id, creator_id=creator_id)
    await session.delete(creator)
    await session.flush()


async def import_items(
    session: AsyncSession, *, workspace_id: UUID, items: Sequence[Any], prefix: str = "items"
) -> ImportOut:
    """Each item validated and stored on its own (a savepoint each): a bad one is rejected with
    its fields named, the others land."""
    created = updated = 0
    rejected: list[ImportRejection] = []
    for index, raw in enumerate(items):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        try:
            data = _CREATOR.validate_python(raw)
        except ValidationError as exc:
            errors = [
                FieldError(
                    field=f"{prefix}.{index}.{e['field']}" if e["field"] else f"{prefix}.{index}",
                    message=e["message"],
                )
                for e in validation_errors(exc.errors())
            ]
            rejected.append(
                ImportRejection(
                    index=index,
                    external_id=external_id if isinstance(external_id, str) else None,
                    errors=errors,
                )
            )
            continue
        async with session.begin_nested():
            _, was_created = await upsert(session, workspace_id=workspace_id, data=data)
        created += was_created
        updated += not was_created
    return ImportOut(created=created, updated=updated, rejected=rejected)


def _lowest_prices(prices: list[dict[str, Any]]) -> dict[str, Decimal]:
    lowest: dict[str, Decimal] = {}
    for price in prices:
        value = Decimal(str(price["price"]))
        if price["platform"] not in lowest or value < lowest[price["platform"]]:
            lowest[price["platform"]] = value
    return lowest


# One pool per workspace and process, kept while the registry is unchanged: its version is
# (creator count, latest change) read in the request's transaction, so a write through any
# replica is seen at once. Bounded, least recently used first out.
_POOLS: OrderedDict[UUID, tuple[tuple[int, Any], matching.Pool]] = OrderedDict()
POOL_CACHE_SIZE = 32


async def _version(session: AsyncSession, workspace_id: UUID) -> tuple[int, Any]:
    row = (
        await session.execute(
            select(func.count(), func.max(Creator.updated_at)).where(
                Creator.workspace_id == workspace_id
            )
        )
    ).one()
    return int(row[0]), row[1]


async def pool_of(session: AsyncSession, *, workspace_id: UUID) -> matching.Pool:
    """The workspace's creators as a ranking pool (from the cache while unchanged)."""
    version = await _version(session, workspace_id)
    cached = _POOLS.get(workspace_id)
    if cached is not None and cached[0] == version:
        _POOLS.move_to_end(workspace_id)
        return cached[1]
    pool = matching.Pool(await candidates(session, workspace_id=workspace_id))
    _POOLS[workspace_id] = (version, pool)
    while len(_POOLS) > POOL_CACHE_SIZE:
        _POOLS.popitem(last=False)
    return pool


async def candidates(session: AsyncSession, *, workspace_id: UUID) -> list[matching.Candidate]:
    query = select(
        Creator.id,
        Creator.name,
        Creator.tier,
        Creator.audience,
        Creator.accounts,
        Creator.prices,
        Creator.engagement_rate,
        Creator.engagements_per_post,
        Creator.authenticity_score,
        Creator.authenticity_verdict,
    ).where(Creator.workspace_id == workspace_id)
    return [
        matching.Candidate(
            id=row.id,
            name=row.name,
            tier=row.tier,
            audience=row.audience,
            engagement_rate=row.engagement_rate,
            engagements_per_post=row.engagements_per_post,
            prices=_lowest_prices(row.prices),
            authenticity_score=row.authenticity_score,
            authenticity_verdict=row.authenticity_verdict,
            platforms=frozenset(a["platform"] for a in row.accounts),
        )
        for row in await session.execute(query)
    ]


async def audience_make_up(
    session: AsyncSession, *, workspace_id: UUID, segment_id: str | None, stage: str | None
) -> tuple[int, int, dict[str, dict[str, float]]]:
    """(members, members with known attributes, shares per dimension)."""
    counted = await audience_counts(
        session, workspace_id=workspace_id, segment_id=segment_id, stage=stage
    )
    return counted.members, counted.with_attributes, matching.make_up(counted.counts)
