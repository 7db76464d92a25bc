"""The funnel of one campaign: per (variant, platform) and in total, plus referral sign-ups,
coupon cost and incremental conversions against each experiment's holdout."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaign_lookup import require_campaign
from campaigns.clock import utcnow
from campaigns.coupons.models import Coupon, CouponTemplate
from campaigns.experiments import stats
from campaigns.experiments.assignment import HOLDOUT
from campaigns.experiments.models import Experiment, ExperimentConversion, ExperimentExposure
from campaigns.funnels.models import FunnelOutcome, FunnelTouch
from campaigns.funnels.schemas import Funnel, FunnelRow, Incrementality
from campaigns.funnels.service import ATTRIBUTION_WINDOW
from campaigns.referrals.models import ReferralAttribution

TOTAL = "*"
Key = tuple[str, str]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


async def _distinct_users(
    session: AsyncSession, table: Any, workspace_id: UUID, campaign_id: UUID, kind: str
) -> tuple[dict[Key, int], int]:
    """Distinct users per (variant, platform), and over the whole campaign."""
    where = (
        table.workspace_id == workspace_id,
        table.campaign_id == campaign_id,
        table.kind == kind,
    )
    rows = await session.execute(
        select(table.variant, table.platform, func.count(func.distinct(table.user_id)))
        .where(*where)
        .group_by(table.variant, table.platform)
    )
    total = await session.scalar(select(func.count(func.distinct(table.user_id))).where(*where))
    return {(v, p): int(n) for v, p, n in rows}, int(total or 0)


async def _purchases(
    session: AsyncSession, workspace_id: UUID, campaign_id: UUID
) -> dict[Key, tuple[int, int, Decimal]]:
    """(first orders, repurchases, revenue) per (variant, platform)."""
    rows = await session.execute(
        select(
            FunnelOutcome.variant,
            FunnelOutcome.platform,
            FunnelOutcome.first_order,
            func.count(),
            func.coalesce(func.sum(FunnelOutcome.amount), 0),
        )
        .where(
            FunnelOutcome.workspace_id == workspace_id,
            FunnelOutcome.campaign_id == campaign_id,
            FunnelOutcome.kind == "purchase",
        )
        .group_by(FunnelOutcome.variant, FunnelOutcome.platform, FunnelOutcome.first_order)
    )
    found: dict[Key, tuple[int, int, Decimal]] = {}
    for variant, platform, first, count, revenue in rows:
        firsts, repeats, total = found.get((variant, platform), (0, 0, Decimal(0)))
        if first:
            firsts += int(count)
        else:
            repeats += int(count)
        found[(variant, platform)] = (firsts, repeats, total + Decimal(str(revenue)))
    return found


def _row(
    key: Key,
    exposed: int,
    clicked: int,
    converted: int,
    sharing: int,
    purchases: tuple[int, int, Decimal],
) -> FunnelRow:
    firsts, repeats, revenue = purchases
    return FunnelRow(
        variant=key[0],
        platform=key[1],
        exposed_users=exposed,
        clicked_users=clicked,
        ctr=_ratio(clicked, exposed),
        converted_users=converted,
        conversion_rate=_ratio(converted, exposed),
        first_order_conversions=firsts,
        first_order_rate=_ratio(firsts, exposed),
        repurchases=repeats,
        revenue=revenue,
        sharing_users=sharing,
        share_rate=_ratio(sharing, exposed),
    )


async def _coupons(
    session: AsyncSession, workspace_id: UUID, campaign_id: UUID
) -> tuple[int, int, Decimal]:
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(Coupon.redeemed_at),
                func.coalesce(
                    func.sum(CouponTemplate.unit_cost).filter(Coupon.redeemed_at.is_not(None)), 0
                ),
            )
            .select_from(Coupon)
            .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
            .where(Coupon.workspace_id == workspace_id, Coupon.campaign_id == campaign_id)
        )
    ).one()
    return int(row[0]), int(row[1]), Decimal(str(row[2]))


async def _arm_counts(session: AsyncSession, table: Any, experiment_id: UUID) -> dict[str, int]:
    rows = await session.execute(
        select(table.arm, func.count())
        .where(table.experiment_id == experiment_id)
        .group_by(table.arm)
    )
    return {arm: int(n) for arm, n in rows}


async def _incrementality(
    session: AsyncSession, workspace_id: UUID, campaign_id: UUID
) -> list[Incrementality]:
    experiments = await session.scalars(
        select(Experiment).where(
            Experiment.workspace_id == workspace_id,
            Experiment.campaign_id == campaign_id,
            Experiment.holdout_percent > 0,
        )
    )
    found = []
    for experiment in experiments:
        exposures = await _arm_counts(session, ExperimentExposure, experiment.id)
        conversions = await _arm_counts(session, ExperimentConversion, experiment.id)
        hn, hx = exposures.get(HOLDOUT, 0), conversions.get(HOLDOUT, 0)
        tn = sum(n for arm, n in exposures.items() if arm != HOLDOUT)
        tx = sum(n for arm, n in conversions.items() if arm != HOLDOUT)
        lift = stats.difference_interval(hx, hn, tx, tn)
        found.append(
            Incrementality(
                experiment_id=experiment.id,
                treated_exposures=tn,
                treated_conversions=tx,
                holdout_exposures=hn,
                holdout_conversions=hx,
                incremental_conversions=tx - tn * _ratio(hx, hn),
                incremental_interval=(lift.low * tn, lift.high * tn),
                lift=lift.estimate,
            )
        )
    return found


async def read_funnel(session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID) -> Funnel:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    exposed, exposed_total = await _distinct_users(
        session, FunnelTouch, workspace_id, campaign_id, "exposure"
    )
    clicked, clicked_total = await _distinct_users(
        session, FunnelTouch, workspace_id, campaign_id, "click"
    )
    converted, converted_total = await _distinct_users(
        session, FunnelOutcome, workspace_id, campaign_id, "purchase"
    )
    sharing, sharing_total = await _distinct_users(
        session, FunnelOutcome, workspace_id, campaign_id, "share"
    )
    purchases = await _purchases(session, workspace_id, campaign_id)
    keys = sorted({*exposed, *clicked, *converted, *sharing})
    none = (0, 0, Decimal(0))
    rows = [
        _row(
            k,
            exposed.get(k, 0),
            clicked.get(k, 0),
            converted.get(k, 0),
            sharing.get(k, 0),
            purchases.get(k, none),
        )
        for k in keys
    ]
    totals: defaultdict[str, int] = defaultdict(int)
    revenue = Decimal(0)
    for firsts, repeats, amount in purchases.values():
        totals["firsts"] += firsts
        totals["repeats"] += repeats
        revenue += amount
    total = _row(
        (TOTAL, TOTAL),
        exposed_total,
        clicked_total,
        converted_total,
        sharing_total,
        (totals["firsts"], totals["repeats"], revenue),
    )
    signups = await session.scalar(
        select(func.count())
        .select_from(ReferralAttribution)
        .where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.campaign_id == campaign_id,
            ReferralAttribution.status == "accepted",
        )
    )
    issued, redeemed, cost = await _coupons(session, workspace_id, campaign_id)
    return Funnel(
        campaign_id=campaign_id,
        attribution_window_days=ATTRIBUTION_WINDOW.days,
        rows=rows,
        total=total,
        referral_signups=int(signups or 0),
        coupons_issued=issued,
        coupons_redeemed=redeemed,
        coupon_cost=cost,
        incrementality=await _incrementality(session, workspace_id, campaign_id),
        computed_at=utcnow(),
    )
