"""coupon.issued / coupon.redeemed through the outbox; the code itself is never published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.coupons.models import Coupon
from campaigns.db import BUS, SOURCE
from yunying_shared.bus import publish
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import EventSpec
from yunying_shared.events.payloads.campaigns import CouponChanged


def coupon_event(spec: EventSpec[Any], coupon: Coupon, now: datetime) -> Any:
    payload = CouponChanged(
        coupon_id=str(coupon.id),
        campaign_id=str(coupon.campaign_id) if coupon.campaign_id else None,
        template_id=str(coupon.template_id),
        user_id=coupon.user_id,
        reason=coupon.reason,
        occurred_at=now,
    )
    return make_event(spec, payload, source=SOURCE, workspace=coupon.workspace_id)


async def announce(
    session: AsyncSession, spec: EventSpec[Any], coupon: Coupon, now: datetime
) -> None:
    await publish(session, BUS, coupon_event(spec, coupon, now))
