"""What a campaign must satisfy before it is stored: a schedule that makes sense, a target that
exists, rewards that fit the budget. Each failure names its field."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.models import KnownSegment
from campaigns.calendar.service import day_of
from campaigns.campaigns.schemas import HolidayWindow, Target
from campaigns.clock import as_utc
from campaigns.coupons.service import get_template
from campaigns.errors import naming
from yunying_shared.errors import InvalidInput
from yunying_shared.events.payloads.segmentation import LIFECYCLE_STAGES, VALUE_TIERS

# A start a little in the past is the request's own latency, not a mistake.
START_GRACE = timedelta(minutes=5)


def check_schedule(
    starts_at: datetime | None, ends_at: datetime | None, *, now: datetime, new_start: bool
) -> None:
    if starts_at is not None and new_start and as_utc(starts_at) < now - START_GRACE:
        raise naming(InvalidInput, "starts_at", "The start is in the past.")
    if ends_at is not None and as_utc(ends_at) <= now:
        raise naming(InvalidInput, "ends_at", "The end is in the past.")
    if starts_at is not None and ends_at is not None and as_utc(ends_at) <= as_utc(starts_at):
        raise naming(InvalidInput, "ends_at", "The end must be after the start.")


async def holiday_window(
    session: AsyncSession, workspace_id: UUID, window: HolidayWindow
) -> tuple[datetime, datetime]:
    day = await day_of(session, workspace_id=workspace_id, key=window.key, year=window.year)
    if day is None:
        raise naming(
            InvalidInput,
            "holiday.key",
            f"No holiday {window.key!r} in {window.year}: see GET /v1/campaigns/calendar.",
        )
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    return (
        midnight - timedelta(days=window.days_before),
        midnight + timedelta(days=window.days_after + 1),
    )


async def check_target(session: AsyncSession, workspace_id: UUID, target: Target) -> None:
    if target.kind == "all":
        if target.values:
            raise naming(InvalidInput, "target.values", "`all` takes no values.")
        return
    if not target.values:
        raise naming(InvalidInput, "target.values", f"A {target.kind} target needs values.")
    allowed = {"lifecycle_stage": LIFECYCLE_STAGES, "rfm_tier": VALUE_TIERS}.get(target.kind)
    if allowed is not None:
        unknown = sorted(set(target.values) - set(allowed))
        if unknown:
            raise naming(
                InvalidInput,
                "target.values",
                f"Unknown {target.kind} {unknown}; one of {list(allowed)}.",
            )
    if target.kind == "segment":
        known = set(
            await session.scalars(
                select(KnownSegment.segment_id).where(
                    KnownSegment.workspace_id == workspace_id,
                    KnownSegment.segment_id.in_(target.values),
                )
            )
        )
        unknown = sorted(set(target.values) - known)
        if unknown:
            raise naming(
                InvalidInput, "target.values", f"Unknown segment ids in this workspace: {unknown}."
            )


async def check_budget(
    session: AsyncSession,
    workspace_id: UUID,
    *,
    budget: Decimal | None,
    reward_limit: int | None,
    template_id: UUID | None,
) -> None:
    if template_id is None:
        return
    template = await get_template(
        session, workspace_id=workspace_id, template_id=template_id, field="coupon_template_id"
    )
    if budget is None:
        return
    if reward_limit is None:
        raise naming(
            InvalidInput, "reward_limit", "A campaign with a budget and a coupon needs a limit."
        )
    cost = template.unit_cost * reward_limit
    if cost > budget:
        raise naming(
            InvalidInput,
            "reward_limit",
            f"{reward_limit} rewards at {template.unit_cost} cost {cost}, beyond the budget "
            f"of {budget}.",
        )
