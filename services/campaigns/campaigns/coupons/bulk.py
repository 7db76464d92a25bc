"""Issuing one template's coupons to many users at once (a journey batch): one conditional
UPDATE for the total limit, one INSERT … ON CONFLICT DO NOTHING RETURNING, one outbox write.
Idempotent per (campaign, user, reason) by the same unique constraint as `issue_coupon`.

PostgreSQL takes the coupons as one array per column on the driver connection of the
session's transaction, with the values all coupons share sent once (SQLAlchemy's executemany
built a parameter set per coupon); SQLite keeps SQLAlchemy's executemany."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import as_utc
from campaigns.coupons.codes import new_codes
from campaigns.coupons.models import Coupon
from campaigns.coupons.service import (
    CouponLimitReached,
    expiry_of,
    get_template,
    take_from_total,
)
from campaigns.db import BUS, SOURCE
from yunying_shared.bus import publish_encoded
from yunying_shared.db import PerDialect, SqliteDialect, driver_connection
from yunying_shared.events.bulk import BulkEncoder
from yunying_shared.events.catalogue import COUPON_ISSUED

# Encodes what make_event(COUPON_ISSUED, …) would, without a model per coupon.
_ISSUED = BulkEncoder(COUPON_ISSUED, source=SOURCE)
COUPONS = Coupon.__table__


@dataclass(frozen=True)
class Batch:
    """What every coupon of one bulk issuance shares."""

    workspace_id: UUID
    template_id: UUID
    campaign_id: UUID | None
    issued_at: datetime
    expires_at: datetime

    @property
    def campaign_key(self) -> str:
        return str(self.campaign_id) if self.campaign_id else ""


class CouponStorage(Protocol):
    async def insert(
        self, session: AsyncSession, batch: Batch, grants: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], UUID]:
        """Inserts a coupon per (user, reason) not issued before; returns the new ones' ids."""
        ...


_PG_INSERT = """
    INSERT INTO coupons (id, workspace_id, template_id, campaign_id, campaign_key, user_id,
        reason, code, issued_at, expires_at)
    SELECT gen_random_uuid(), $1, $2, $3::uuid, $4, c.user_id, c.reason, c.code, $5, $6
    FROM unnest($7::text[], $8::text[], $9::text[]) AS c(user_id, reason, code)
    ON CONFLICT DO NOTHING
    RETURNING id, user_id, reason
"""


class PostgresCoupons:
    async def insert(
        self, session: AsyncSession, batch: Batch, grants: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], UUID]:
        rows = await (await driver_connection(session)).fetch(
            _PG_INSERT,
            batch.workspace_id,
            batch.template_id,
            batch.campaign_id,
            batch.campaign_key,
            batch.issued_at,
            batch.expires_at,
            [user_id for user_id, _ in grants],
            [reason for _, reason in grants],
            new_codes(len(grants)),
        )
        return {(row[1], row[2]): row[0] for row in rows}


class SqliteCoupons:
    sql = SqliteDialect()

    async def insert(
        self, session: AsyncSession, batch: Batch, grants: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], UUID]:
        rows: list[dict[str, Any]] = [
            {
                "id": uuid4(),
                "workspace_id": batch.workspace_id,
                "template_id": batch.template_id,
                "campaign_id": batch.campaign_id,
                "campaign_key": batch.campaign_key,
                "user_id": user_id,
                "reason": reason,
                "code": code,
                "issued_at": batch.issued_at,
                "expires_at": batch.expires_at,
            }
            for (user_id, reason), code in zip(grants, new_codes(len(grants)), strict=True)
        ]
        inserted = await session.execute(
            self.sql.insert(COUPONS)
            .on_conflict_do_nothing()
            .returning(COUPONS.c.id, COUPONS.c.user_id, COUPONS.c.reason),
            rows,
        )
        return {(row.user_id, row.reason): row.id for row in inserted}


STORAGE: PerDialect[CouponStorage] = PerDialect(
    postgresql=PostgresCoupons(), sqlite=SqliteCoupons()
)


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
    batch = Batch(workspace_id, template.id, campaign_id, now, expiry_of(template, now))
    issued = await STORAGE.of(session).insert(session, batch, grants)
    if len(issued) < len(grants):  # some had theirs already: give their counted slots back
        await take_from_total(session, template, len(issued) - len(grants))
    campaign_key, template_key = batch.campaign_key or None, str(template.id)
    announced = [
        {
            "coupon_id": str(coupon_id),
            "campaign_id": campaign_key,
            "template_id": template_key,
            "user_id": user_id,
            "reason": reason,
            "occurred_at": now,
        }
        # In the grants' order, as before: the outbox keeps the order events are written in.
        for user_id, reason in grants
        if (coupon_id := issued.get((user_id, reason))) is not None
    ]
    await publish_encoded(session, BUS, _ISSUED.encode(announced, workspace=workspace_id))
    return issued
