"""What a batch of journey steps does, gathered and applied set-wise: every coupon of one
template and campaign in one bulk issuance, every message in one insert. A batch of 100 trigger
events costs a handful of statements, not a dozen per event."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaigns.models import Campaign
from campaigns.campaigns.service import take_reward
from campaigns.coupons.bulk import issue_many
from campaigns.coupons.service import issue_coupon
from campaigns.journeys.models import Progress
from campaigns.sending.queue import NewSend, enqueue
from yunying_shared.errors import DomainError


def log_step(enrollment: Progress, index: int, what: str) -> None:
    # A new dict, so the JSON column is seen as changed.
    history = [*enrollment.context.get("history", []), f"{index}: {what}"]
    enrollment.context = {**enrollment.context, "history": history[-20:]}
    enrollment.outcome = what[:300]


def coupon_reason(enrollment: Progress, index: int) -> str:
    """One coupon per journey step per enrolment period: a redelivered trigger, a re-run step
    or a crash between steps finds the coupon issued under this reason."""
    return f"journey {enrollment.journey_id} step {index} period {enrollment.period}"


@dataclass
class Effects:
    coupons: dict[tuple[UUID, UUID], list[tuple[Progress, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    campaigns: dict[UUID, Campaign] = field(default_factory=dict)
    sends: list[NewSend] = field(default_factory=list)

    def coupon(self, enrollment: Progress, campaign: Campaign, index: int, template: UUID) -> None:
        self.campaigns[campaign.id] = campaign
        self.coupons[(template, campaign.id)].append((enrollment, index))

    def send(self, message: NewSend) -> None:
        self.sends.append(message)

    async def apply(self, session: AsyncSession, *, now: datetime) -> None:
        await enqueue(session, self.sends, now=now)
        for (template_id, campaign_id), grants in self.coupons.items():
            campaign = self.campaigns[campaign_id]
            if not await _issue_together(session, campaign, template_id, grants, now):
                for enrollment, index in grants:
                    await _issue_one(session, campaign, template_id, enrollment, index, now)


async def _issue_together(
    session: AsyncSession,
    campaign: Campaign,
    template_id: UUID,
    grants: list[tuple[Progress, int]],
    now: datetime,
) -> bool:
    if not await take_reward(session, campaign_id=campaign.id, count=len(grants)):
        return False
    issued = await issue_many(
        session,
        workspace_id=campaign.workspace_id,
        template_id=template_id,
        campaign_id=campaign.id,
        grants=[(e.user_id, coupon_reason(e, index)) for e, index in grants],
        now=now,
    )
    if issued is None:
        await take_reward(session, campaign_id=campaign.id, count=-len(grants))
        return False
    if len(issued) < len(grants):
        await take_reward(session, campaign_id=campaign.id, count=len(issued) - len(grants))
    for enrollment, index in grants:
        coupon_id = issued.get((enrollment.user_id, coupon_reason(enrollment, index)))
        log_step(enrollment, index, f"coupon {coupon_id} issued" if coupon_id else "coupon held")
    return True


async def _issue_one(
    session: AsyncSession,
    campaign: Campaign,
    template_id: UUID,
    enrollment: Progress,
    index: int,
    now: datetime,
) -> None:
    if not await take_reward(session, campaign_id=campaign.id):
        log_step(enrollment, index, f"reward limit {campaign.reward_limit} reached")
        return
    try:
        # A savepoint: a refused issuance (limit, expired template) leaves the rest intact.
        async with session.begin_nested():
            result = await issue_coupon(
                session,
                workspace_id=enrollment.workspace_id,
                template_id=template_id,
                user_id=enrollment.user_id,
                campaign_id=campaign.id,
                reason=coupon_reason(enrollment, index),
                now=now,
            )
    except DomainError as exc:
        await take_reward(session, campaign_id=campaign.id, count=-1)
        log_step(enrollment, index, f"coupon refused: {exc}")
        return
    if not result.created:
        await take_reward(session, campaign_id=campaign.id, count=-1)
    log_step(
        enrollment, index, f"coupon {result.coupon.id} {'issued' if result.created else 'held'}"
    )
