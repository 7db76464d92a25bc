from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaigns.models import Campaign
from campaigns.db import BUS, SOURCE
from yunying_shared.bus import publish
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import CAMPAIGN_STATE_CHANGED
from yunying_shared.events.payloads.campaigns import CampaignStateChanged


async def announce_state(
    session: AsyncSession,
    campaign: Campaign,
    from_state: str | None,
    reason: str | None,
    now: datetime,
) -> None:
    payload = CampaignStateChanged(
        campaign_id=str(campaign.id),
        name=campaign.name,
        type=campaign.type,
        from_state=from_state,
        to_state=campaign.state,
        reason=reason,
        occurred_at=now,
    )
    event = make_event(
        CAMPAIGN_STATE_CHANGED, payload, source=SOURCE, workspace=campaign.workspace_id
    )
    await publish(session, BUS, event)
