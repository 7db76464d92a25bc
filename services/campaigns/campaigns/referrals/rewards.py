"""Referral rewards through the coupon service: issued once per (campaign, user, reason) — the
coupon service's idempotence and this table's unique key both hold it — and clawed back when the
sign-ups that earned them are revoked. A tier clawed back is not earned again."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.coupons.service import claw_back, issue_coupon
from campaigns.referrals.models import ReferralAttribution, ReferralProgram, ReferralReward
from yunying_shared.db import sql_dialect
from yunying_shared.errors import DomainError
from yunying_shared.logging import get_logger

WELCOME = "referral:welcome"
log = get_logger(__name__)


def tier_reason(threshold: int) -> str:
    return f"referral:invited_{threshold}"


async def standing_invitees(
    session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID, inviter_user_id: str
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ReferralAttribution)
        .where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.campaign_id == campaign_id,
            ReferralAttribution.inviter_user_id == inviter_user_id,
            ReferralAttribution.status == "accepted",
        )
    )
    return int(count or 0)


async def _grant(
    session: AsyncSession,
    program: ReferralProgram,
    *,
    user_id: str,
    template_id: UUID,
    reason: str,
    threshold: int | None,
    invitee_user_id: str | None,
    now: datetime,
) -> bool:
    """True when this call issued the reward (False: issued before, or refused by the coupon
    service — an exhausted or expired template must not undo the sign-up's attribution)."""
    try:
        async with session.begin_nested():
            issued = await issue_coupon(
                session,
                workspace_id=program.workspace_id,
                template_id=template_id,
                user_id=user_id,
                campaign_id=program.campaign_id,
                reason=reason,
                now=now,
            )
    except DomainError as refused:
        log.warning("referral reward not issued", reason=reason, user_id=user_id, why=str(refused))
        return False
    inserted = await session.execute(
        sql_dialect(session)
        .insert(ReferralReward.__table__)
        .values(
            workspace_id=program.workspace_id,
            campaign_id=program.campaign_id,
            user_id=user_id,
            reason=reason,
            threshold=threshold,
            coupon_id=issued.coupon.id,
            invitee_user_id=invitee_user_id,
            status="issued",
            issued_at=now,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "campaign_id", "user_id", "reason"])
        .returning(ReferralReward.__table__.c.id)
    )
    return issued.created and inserted.first() is not None


async def reward_signup(
    session: AsyncSession,
    program: ReferralProgram,
    *,
    attribution: ReferralAttribution,
    now: datetime,
) -> list[str]:
    """Rewards an accepted sign-up earns: the invitee's coupon and every inviter tier reached.
    Returns the reasons newly issued."""
    issued: list[str] = []
    if program.invitee_template_id is not None and await _grant(
        session,
        program,
        user_id=attribution.invitee_user_id,
        template_id=program.invitee_template_id,
        reason=WELCOME,
        threshold=None,
        invitee_user_id=attribution.invitee_user_id,
        now=now,
    ):
        issued.append(WELCOME)
    standing = await standing_invitees(
        session,
        workspace_id=program.workspace_id,
        campaign_id=program.campaign_id,
        inviter_user_id=attribution.inviter_user_id,
    )
    for tier in program.inviter_rewards:
        threshold = int(tier["threshold"])
        if standing >= threshold and await _grant(
            session,
            program,
            user_id=attribution.inviter_user_id,
            template_id=UUID(str(tier["template_id"])),
            reason=tier_reason(threshold),
            threshold=threshold,
            invitee_user_id=None,
            now=now,
        ):
            issued.append(tier_reason(threshold))
    return issued


async def _claw(session: AsyncSession, reward: ReferralReward, reason: str, now: datetime) -> None:
    await claw_back(
        session,
        workspace_id=reward.workspace_id,
        coupon_id=reward.coupon_id,
        reason=reason,
        now=now,
    )
    reward.status = "clawed_back"
    reward.clawed_back_at = now


async def claw_back_after_revocation(
    session: AsyncSession, *, attribution: ReferralAttribution, reason: str, now: datetime
) -> list[str]:
    """The revoked invitee's own reward, and every inviter tier the inviter no longer reaches."""
    clawed: list[str] = []
    rewards = await session.scalars(
        select(ReferralReward).where(
            ReferralReward.workspace_id == attribution.workspace_id,
            ReferralReward.campaign_id == attribution.campaign_id,
            ReferralReward.status == "issued",
            ReferralReward.user_id.in_([attribution.invitee_user_id, attribution.inviter_user_id]),
        )
    )
    standing = await standing_invitees(
        session,
        workspace_id=attribution.workspace_id,
        campaign_id=attribution.campaign_id,
        inviter_user_id=attribution.inviter_user_id,
    )
    for reward in rewards:
        own = reward.reason == WELCOME and reward.user_id == attribution.invitee_user_id
        lost_tier = (
            reward.user_id == attribution.inviter_user_id
            and reward.threshold is not None
            and standing < reward.threshold
        )
        if own or lost_tier:
            await _claw(session, reward, reason, now)
            clawed.append(f"{reward.user_id}:{reward.reason}")
    await session.flush()
    return clawed
