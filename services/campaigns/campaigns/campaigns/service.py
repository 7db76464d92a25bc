"""Campaigns: create, change, move through their states, attach approved content."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaigns.events import announce_state
from campaigns.campaigns.models import Campaign
from campaigns.campaigns.schemas import CampaignIn, CampaignPatch, Target
from campaigns.campaigns.validation import (
    check_budget,
    check_schedule,
    check_target,
    holiday_window,
)
from campaigns.clock import as_utc, utcnow
from campaigns.content.models import ContentItem
from campaigns.errors import naming
from yunying_shared.errors import Conflict, InvalidInput, NotFound
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page

# Which state may follow which, by hand (the clock also moves scheduled → running → finished).
TRANSITIONS = {
    "draft": {"scheduled"},
    "scheduled": {"draft", "running", "finished"},
    "running": {"paused", "finished"},
    "paused": {"running", "finished"},
    "finished": set(),
}
LIVE = ("running", "paused")
# Content passed both review stages; scheduling or publishing it later does not undo that.
ATTACHABLE = ("approved", "scheduled", "published")


async def get_campaign(session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID) -> Campaign:
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id)
    )
    if campaign is None:
        raise naming(NotFound, "campaign_id", f"No campaign {campaign_id} in this workspace.")
    return campaign


async def list_campaigns(
    session: AsyncSession, *, workspace_id: UUID, page: PageRequest, state: str | None = None
) -> RowsPage[Campaign]:
    """The workspace's campaigns, oldest first."""
    query = select(Campaign).where(Campaign.workspace_id == workspace_id)
    if state is not None:
        query = query.where(Campaign.state == state)
    return await keyset_page(session, query, page, keys=(Campaign.created_at, Campaign.id))


async def create_campaign(
    session: AsyncSession, *, workspace_id: UUID, data: CampaignIn, now: datetime | None = None
) -> Campaign:
    now = now or utcnow()
    starts_at, ends_at = data.starts_at, data.ends_at
    if data.holiday is not None:
        window = await holiday_window(session, workspace_id, data.holiday)
        starts_at, ends_at = starts_at or window[0], ends_at or window[1]
    check_schedule(starts_at, ends_at, now=now, new_start=True)
    await check_target(session, workspace_id, data.target)
    await check_budget(
        session,
        workspace_id,
        budget=data.budget,
        reward_limit=data.reward_limit,
        template_id=data.coupon_template_id,
    )
    await _name_free(session, workspace_id, data.name)
    campaign = Campaign(
        workspace_id=workspace_id,
        name=data.name,
        type=data.type,
        platforms=list(data.platforms),
        target=data.target.model_dump(),
        holiday=data.holiday.key if data.holiday else None,
        starts_at=starts_at,
        ends_at=ends_at,
        budget=data.budget,
        reward_limit=data.reward_limit,
        coupon_template_id=data.coupon_template_id,
        rewards_issued=0,
        priority=data.priority,
        promotional=data.promotional,
        content_ids=[],
        state="draft",
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    await announce_state(session, campaign, None, "created", now)
    return campaign


async def _name_free(session: AsyncSession, workspace_id: UUID, name: str) -> None:
    taken = await session.scalar(
        select(Campaign.id).where(Campaign.workspace_id == workspace_id, Campaign.name == name)
    )
    if taken is not None:
        raise naming(Conflict, "name", f"A campaign named {name!r} exists.")


async def update_campaign(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    campaign_id: UUID,
    patch: CampaignPatch,
    now: datetime | None = None,
) -> Campaign:
    now = now or utcnow()
    campaign = await get_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    changes = patch.model_dump(exclude_unset=True)
    if campaign.state == "finished" and changes:
        raise naming(Conflict, next(iter(changes)), "A finished campaign cannot change.")
    if "target" in changes and campaign.state in LIVE:
        raise naming(
            Conflict, "target", f"The target of a {campaign.state} campaign cannot change."
        )
    if "starts_at" in changes and campaign.state in LIVE:
        raise naming(Conflict, "starts_at", "The campaign has started.")
    starts_at = changes.get("starts_at", campaign.starts_at)
    ends_at = changes.get("ends_at", campaign.ends_at)
    if "starts_at" in changes or "ends_at" in changes:
        check_schedule(starts_at, ends_at, now=now, new_start="starts_at" in changes)
    if patch.target is not None:
        await check_target(session, workspace_id, patch.target)
    await check_budget(
        session,
        workspace_id,
        budget=changes.get("budget", campaign.budget),
        reward_limit=changes.get("reward_limit", campaign.reward_limit),
        template_id=changes.get("coupon_template_id", campaign.coupon_template_id),
    )
    if "name" in changes and changes["name"] != campaign.name:
        await _name_free(session, workspace_id, changes["name"])
    for field, value in changes.items():
        if field == "target" and patch.target is not None:
            value = patch.target.model_dump()
        setattr(campaign, field, value)
    campaign.updated_at = now
    await session.flush()
    return campaign


async def transition(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    campaign_id: UUID,
    to_state: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> Campaign:
    now = now or utcnow()
    campaign = await get_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if to_state not in TRANSITIONS[campaign.state]:
        raise naming(
            Conflict,
            "to_state",
            f"A {campaign.state} campaign cannot become {to_state}; allowed: "
            f"{sorted(TRANSITIONS[campaign.state]) or 'none'}.",
        )
    if to_state == "scheduled":
        if campaign.starts_at is None or campaign.ends_at is None:
            missing = "starts_at" if campaign.starts_at is None else "ends_at"
            raise naming(InvalidInput, missing, "Scheduling needs a start and an end.")
        check_schedule(campaign.starts_at, campaign.ends_at, now=now, new_start=False)
    await _move(session, campaign, to_state, reason or "by hand", now)
    return campaign


async def _move(
    session: AsyncSession, campaign: Campaign, to_state: str, reason: str, now: datetime
) -> None:
    from_state = campaign.state
    campaign.state = to_state
    campaign.state_reason = reason
    campaign.updated_at = now
    await session.flush()
    await announce_state(session, campaign, from_state, reason, now)


async def advance_by_clock(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Starts scheduled campaigns whose start has come and finishes those whose end has; every
    workspace, at most `limit` per call. Returns how many moved."""
    due = await session.scalars(
        select(Campaign)
        .where(
            or_(
                (Campaign.state == "scheduled") & (Campaign.starts_at <= now),
                Campaign.state.in_(("scheduled", *LIVE)) & (Campaign.ends_at <= now),
            )
        )
        .order_by(Campaign.starts_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    moved = 0
    for campaign in due:
        ended = campaign.ends_at is not None and as_utc(campaign.ends_at) <= now
        await _move(
            session,
            campaign,
            "finished" if ended else "running",
            "end reached" if ended else "start reached",
            now,
        )
        moved += 1
    return moved


async def attach_content(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    campaign_id: UUID,
    content_id: str,
    now: datetime | None = None,
) -> Campaign:
    campaign = await get_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.state == "finished":
        raise naming(Conflict, "campaign_id", "The campaign is finished.")
    item = await session.get(ContentItem, (workspace_id, content_id))
    if item is None:
        raise naming(
            InvalidInput, "content_id", f"No content item {content_id!r} known to campaigns."
        )
    if item.state not in ATTACHABLE:
        raise naming(
            Conflict,
            "content_id",
            f"Content {content_id!r} is {item.state}: only content approved by both review "
            "stages can be attached.",
            content_state=item.state,
        )
    if content_id not in campaign.content_ids:
        campaign.content_ids = [*campaign.content_ids, content_id]
        campaign.updated_at = now or utcnow()
        await session.flush()
    return campaign


async def take_reward(session: AsyncSession, *, campaign_id: UUID, count: int = 1) -> bool:
    """Counts `count` rewards against the campaign's limit; False when they do not fit."""
    counted = await session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.reward_limit.is_(None)
            | (Campaign.rewards_issued + count <= Campaign.reward_limit),
        )
        .values(rewards_issued=Campaign.rewards_issued + count)
        .execution_options(synchronize_session=False)
    )
    return bool(counted.rowcount)  # type: ignore[attr-defined]


def target_of(campaign: Campaign) -> Target:
    return Target.model_validate(campaign.target)
