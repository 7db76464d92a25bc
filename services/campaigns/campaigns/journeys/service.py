from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaigns.schemas import Target
from campaigns.campaigns.service import get_campaign
from campaigns.campaigns.validation import check_target
from campaigns.clock import utcnow
from campaigns.coupons.service import get_template
from campaigns.errors import naming
from campaigns.journeys.models import Enrollment, Journey
from campaigns.journeys.schemas import CouponStep, JourneyIn, SegmentTrigger
from yunying_shared.errors import Conflict, InvalidInput, NotFound
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page


async def create_journey(
    session: AsyncSession, *, workspace_id: UUID, data: JourneyIn, now: datetime | None = None
) -> Journey:
    campaign = await get_campaign(session, workspace_id=workspace_id, campaign_id=data.campaign_id)
    if campaign.state == "finished":
        raise naming(Conflict, "campaign_id", "The campaign is finished.")
    for index, step in enumerate(data.steps):
        if isinstance(step, CouponStep):
            template_id = step.template_id or campaign.coupon_template_id
            if template_id is None:
                raise naming(
                    InvalidInput,
                    f"steps.{index}.template_id",
                    "No template here and the campaign has no coupon template.",
                )
            await get_template(
                session,
                workspace_id=workspace_id,
                template_id=template_id,
                field=f"steps.{index}.template_id",
            )
    if isinstance(data.trigger, SegmentTrigger):
        try:
            await check_target(
                session, workspace_id, Target(kind="segment", values=[data.trigger.segment_id])
            )
        except InvalidInput as exc:
            raise naming(InvalidInput, "trigger.segment_id", exc.detail) from exc
    journey = Journey(
        workspace_id=workspace_id,
        campaign_id=campaign.id,
        name=data.name,
        trigger_event=data.trigger.event,
        trigger=data.trigger.model_dump(mode="json"),
        steps=[step.model_dump(mode="json") for step in data.steps],
        reentry_days=data.reentry_days,
        active=True,
        created_at=now or utcnow(),
    )
    session.add(journey)
    await session.flush()
    return journey


async def get_journey(session: AsyncSession, *, workspace_id: UUID, journey_id: UUID) -> Journey:
    journey = await session.scalar(
        select(Journey).where(Journey.id == journey_id, Journey.workspace_id == workspace_id)
    )
    if journey is None:
        raise naming(NotFound, "journey_id", f"No journey {journey_id} in this workspace.")
    return journey


async def list_journeys(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    campaign_id: UUID | None = None,
) -> RowsPage[Journey]:
    """The workspace's journeys, oldest first."""
    query = select(Journey).where(Journey.workspace_id == workspace_id)
    if campaign_id is not None:
        query = query.where(Journey.campaign_id == campaign_id)
    return await keyset_page(session, query, page, keys=(Journey.created_at, Journey.id))


async def set_active(
    session: AsyncSession, *, workspace_id: UUID, journey_id: UUID, active: bool
) -> Journey:
    journey = await get_journey(session, workspace_id=workspace_id, journey_id=journey_id)
    journey.active = active
    await session.flush()
    return journey


async def list_enrollments(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    journey_id: UUID,
    page: PageRequest,
    user_id: str | None = None,
) -> RowsPage[Enrollment]:
    """A journey's enrolments, oldest first."""
    query = select(Enrollment).where(
        Enrollment.workspace_id == workspace_id, Enrollment.journey_id == journey_id
    )
    if user_id is not None:
        query = query.where(Enrollment.user_id == user_id)
    return await keyset_page(session, query, page, keys=(Enrollment.enrolled_at, Enrollment.id))
