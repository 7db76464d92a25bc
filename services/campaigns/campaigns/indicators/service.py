"""Workspace-wide campaign indicators over whole UTC days, read from the funnel's touches and
attributed outcomes and from the referral attributions (one query per table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.funnels.models import FunnelOutcome, FunnelTouch
from campaigns.indicators.schemas import Awareness, Conversion, Fission, Indicators
from campaigns.referrals.models import InviteCode, ReferralAttribution
from yunying_shared.errors import InvalidInput

MAX_DAYS = 366


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @classmethod
    def checked(cls, start: date, end: date) -> Window:
        if end < start:
            raise InvalidInput(
                "`to` is before `from`.",
                errors=[{"field": "query.to", "message": "must be on or after `from`"}],
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise InvalidInput(
                f"At most {MAX_DAYS} days per request.",
                errors=[{"field": "query.to", "message": f"range longer than {MAX_DAYS} days"}],
            )
        return cls(start, end)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def _touches(session: AsyncSession, workspace_id: UUID, window: Window) -> Awareness:
    exposure = FunnelTouch.kind == "exposure"
    click = FunnelTouch.kind == "click"
    row = (
        await session.execute(
            select(
                func.count().filter(exposure),
                func.count(func.distinct(FunnelTouch.user_id)).filter(exposure),
                func.count().filter(click),
                func.count(func.distinct(FunnelTouch.user_id)).filter(click),
            ).where(
                FunnelTouch.workspace_id == workspace_id,
                FunnelTouch.occurred_at >= window.since,
                FunnelTouch.occurred_at < window.until,
            )
        )
    ).one()
    exposures, reach, clicks, clicked = (int(v or 0) for v in row)
    return Awareness(
        exposures=exposures,
        reach=reach,
        clicks=clicks,
        clicked_users=clicked,
        ctr=_rate(clicked, reach),
    )


async def _outcomes(
    session: AsyncSession, workspace_id: UUID, window: Window
) -> tuple[int, int, int]:
    """Distinct converted, first-order and sharing users."""
    purchase = FunnelOutcome.kind == "purchase"
    row = (
        await session.execute(
            select(
                func.count(func.distinct(FunnelOutcome.user_id)).filter(purchase),
                func.count(func.distinct(FunnelOutcome.user_id)).filter(
                    purchase, FunnelOutcome.first_order.is_(True)
                ),
                func.count(func.distinct(FunnelOutcome.user_id)).filter(
                    FunnelOutcome.kind == "share"
                ),
            ).where(
                FunnelOutcome.workspace_id == workspace_id,
                FunnelOutcome.occurred_at >= window.since,
                FunnelOutcome.occurred_at < window.until,
            )
        )
    ).one()
    converted, firsts, sharing = (int(v or 0) for v in row)
    return converted, firsts, sharing


async def _referrals(session: AsyncSession, workspace_id: UUID, window: Window) -> tuple[int, int]:
    signups = await session.scalar(
        select(func.count()).where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.status == "accepted",
            ReferralAttribution.signed_up_at >= window.since,
            ReferralAttribution.signed_up_at < window.until,
        )
    )
    inviters = await session.scalar(
        select(func.count(func.distinct(InviteCode.user_id))).where(
            InviteCode.workspace_id == workspace_id, InviteCode.created_at < window.until
        )
    )
    return int(signups or 0), int(inviters or 0)


async def indicators(session: AsyncSession, *, workspace_id: UUID, window: Window) -> Indicators:
    awareness = await _touches(session, workspace_id, window)
    converted, firsts, sharing = await _outcomes(session, workspace_id, window)
    signups, inviters = await _referrals(session, workspace_id, window)
    reach = awareness.reach
    return Indicators(
        start=window.start,
        end=window.end,
        awareness=awareness,
        conversion=Conversion(
            converted_users=converted,
            conversion_rate=_rate(converted, reach),
            first_order_users=firsts,
            first_order_conversion_rate=_rate(firsts, reach),
        ),
        fission=Fission(
            sharing_users=sharing,
            share_rate=_rate(sharing, reach),
            referral_signups=signups,
            inviters=inviters,
            k_factor=_rate(signups, inviters),
        ),
    )
