"""Experiments, referral programs, invite codes and funnels hang off a campaign of the caller's
workspace; this is the one check that it exists (404 naming the field otherwise)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaigns.models import Campaign
from campaigns.errors import naming
from yunying_shared.errors import NotFound


async def require_campaign(
    session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID, field: str = "campaign_id"
) -> None:
    found = await session.scalar(
        select(Campaign.id).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id)
    )
    if found is None:
        raise naming(NotFound, field, f"No campaign {campaign_id} in this workspace.")
