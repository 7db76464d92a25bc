"""Issuing one template's coupons to many users at once (a journey batch): one conditional
UPDATE for the total limit, one INSERT … ON CONFLICT DO NOTHING RETURNING, one outbox write.
Idempotent per (campaign, user, reason) by the same unique constraint as `issue_coupon`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import as_utc
from campaigns.coupons.codes import new_code
from campaigns.coupons.models import Coupon
from campaigns.coupons.service import (
    CouponLimitReached,
    expiry_of,
    get_template,
    take_from_total,
)
from campaigns.db import BUS, SOURCE
from yunying_shared.bus import publish_encoded
from yunying_shared.db import sql_dialect
from yunying_shared.events.bulk import BulkEncoder
from yunying_shared.events.catalogue import COUPON_ISSUED

# Encodes what make_event(COUPON_ISSUED, …) would, without a model per coupon.
_ISSUED = BulkEncoder(COUPON_ISSUED, source=SOURCE)


async def issue_many(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    template_id: UUID,
    campaign_id: UUID | None,
    grants: Sequence[tuple[str, str]],
    now: datetime,
) -> dict[tuple[str, str], UUID] | None:
    """Coupons for (user, reason) pairs: the ids of those issued now (pairs that had theirs are
    left out). None when the template cannot take them all in one go (a per-user limit, an
    expired template, a total limit too close): the caller then issues one by one, which says
    why each is refused."""
    template = await get_template(session, workspace_id=workspace_id, template_id=template_id)
    if template.per_user_limit is not None:
        return None
    if template.valid_until is not None and as_utc(template.valid_until) <= now:
        return None
    try:
        await take_from_total(session, template, len(grants))
    except CouponLimitReached:
        return None
    rows = [
        {
            "id": uuid4(),
            "workspace_id": workspace_id,
            "template_id": template.id,
            "campaign_id": campaign_id,
            "campaign_key": str(campaign_id) if campaign_id else "",
            "user_id": user_id,
            "reason": reason,
            "code": new_code(),
            "issued_at": now,
            "expires_at": expiry_of(template, now),
        }
        for user_id, reason in grants
    ]
    table = Coupon.__table__
    inserted = await session.execute(
        sql_dialect(session)
        .insert(table)
        .on_conflict_do_nothing()
        .returning(table.c.id, table.c.user_id, table.c.reason),
        rows,
    )
    issued = {(row.user_id, row.reason): row.id for row in inserted}
    if len(issued) < len(rows):  # some had theirs already: give their counted slots back
        await take_from_total(session, template, len(issued) - len(rows))
    announced = [
        {
            "coupon_id": str(row["id"]),
            "campaign_id": row["campaign_key"] or None,
            "template_id": str(template.id),
            "user_id": row["user_id"],
            "reason": row["reason"],
            "occurred_at": now,
        }
        for row in rows
        if (row["user_id"], row["reason"]) in issued
    ]
    await publish_encoded(session, BUS, _ISSUED.encode(announced, workspace=workspace_id))
    return issued
