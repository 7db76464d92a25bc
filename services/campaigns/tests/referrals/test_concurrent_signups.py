"""Sign-ups of one inviter's friends arrive keyed by the invitee, so on different partitions and
in concurrent transactions: the third one must still see the other two and earn the reward,
exactly once (PostgreSQL, where transactions really run side by side)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from campaigns.campaigns.models import Campaign
from campaigns.coupons.models import Coupon
from campaigns.coupons.schemas import TemplateIn
from campaigns.coupons.service import create_template
from campaigns.main import DEFINITION
from campaigns.referrals.schemas import InviteCodeIn, ProgramIn
from campaigns.referrals.service import invite_code_for, put_program
from campaigns.user_events import apply_user_event
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.events.payloads.segmentation import UserEventAccepted
from yunying_shared.testing.databases import fresh_database

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def _set_up(database: Database, workspace_id: uuid.UUID) -> str:
    async with database.session() as session:
        campaign = Campaign(
            workspace_id=workspace_id,
            name="邀请有礼",
            type="referral",
            platforms=[],
            target={"kind": "all", "values": []},
            content_ids=[],
            state="running",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(campaign)
        await session.flush()
        template = await create_template(
            session,
            workspace_id=workspace_id,
            data=TemplateIn(name="邀3得50", kind="amount_off", amount_off=Decimal("50")),
            now=NOW,
        )
        await put_program(
            session,
            workspace_id=workspace_id,
            campaign_id=campaign.id,
            data=ProgramIn(inviter_rewards=[{"threshold": 3, "template_id": template.id}]),
        )
        code = await invite_code_for(
            session,
            workspace_id=workspace_id,
            campaign_id=campaign.id,
            data=InviteCodeIn(user_id="inviter"),
        )
        await session.commit()
        return code.code


async def _sign_up(database: Database, workspace_id: uuid.UUID, friend: int, code: str) -> None:
    event = UserEventAccepted(
        event_id=f"signup-{friend}",
        user_id=f"friend-{friend}",
        kind="referral_signup",
        occurred_at=NOW + timedelta(seconds=friend),
        invite_code=code,
    )
    async with database.session() as session:
        await apply_user_event(session, workspace_id, event)
        await session.commit()


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_signups_reach_the_threshold_once(tmp_path, round_):
    workspace_id = uuid.uuid4()
    async with fresh_database("postgresql", tmp_path) as url:
        database = Database(url, pool_size=8)
        await upgrade(database, DEFINITION.migrations)
        try:
            code = await _set_up(database, workspace_id)
            await asyncio.gather(*(_sign_up(database, workspace_id, i, code) for i in range(5)))
            async with database.session() as session:
                rewards = (
                    await session.scalars(select(Coupon.reason).where(Coupon.user_id == "inviter"))
                ).all()
        finally:
            await database.dispose()
    assert rewards == ["referral:invited_3"]
