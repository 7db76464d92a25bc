"""`GET /v1/users`: a workspace's users, found by id prefix, stage, tier and tag, one page at a
time in user id order (the `(workspace_id, user_id)` unique index serves the order)."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import utcnow
from segmentation.lifecycle.rules import STAGES
from segmentation.profiles.schemas import ProfileOut
from segmentation.records.models import Profile, UserTag
from segmentation.records.vocabulary import TIERS
from yunying_shared.http.pagination import Page, PageRequest, keyset_page

LifecycleStage = StrEnum("LifecycleStage", {stage: stage for stage in STAGES})  # type: ignore[misc]
ValueTier = StrEnum("ValueTier", {tier: tier for tier in TIERS})  # type: ignore[misc]


async def list_users(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    id_prefix: str | None = None,
    stage: str | None = None,
    tier: str | None = None,
    tag: str | None = None,
) -> Page[ProfileOut]:
    statement = select(Profile).where(Profile.workspace_id == workspace_id)
    if id_prefix:
        # autoescape: `%` and `_` in an id are literal characters, not LIKE wildcards.
        statement = statement.where(Profile.user_id.startswith(id_prefix, autoescape=True))
    if stage is not None:
        statement = statement.where(Profile.stage == stage)
    if tier is not None:
        statement = statement.where(Profile.tier == tier)
    if tag is not None:
        # A tag past its expiry is not shown on the profile, so it does not find the user.
        statement = statement.where(
            exists().where(
                UserTag.workspace_id == workspace_id,
                UserTag.user_id == Profile.user_id,
                UserTag.tag == tag,
                or_(UserTag.expires_at.is_(None), UserTag.expires_at > utcnow()),
            )
        )
    rows = await keyset_page(session, statement, page, keys=(Profile.user_id, Profile.id))
    return rows.to_page(ProfileOut.model_validate)
