"""The stage handler as the consumer calls it: historical payloads never enrol, fresh ones do,
and the user's stage and churn reason are mirrored either way."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from campaigns.audience.models import UserState
from campaigns.consumers import on_stage_changed
from campaigns.coupons.models import Coupon
from campaigns.journeys.schemas import JourneyIn
from campaigns.journeys.service import create_journey
from yunying_shared.events import Envelope, make_event
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED
from yunying_shared.events.payloads.segmentation import UserLifecycleStageChanged

from .test_journeys import running_campaign


def _event(workspace_id, user_id, *, historical=None):
    payload = UserLifecycleStageChanged(
        user_id=user_id,
        from_stage="churned",
        to_stage="active",
        reason="came back after churn",
        changed_at=datetime.now(UTC),
        churn_reason="price",
    )
    envelope = make_event(
        USER_LIFECYCLE_STAGE_CHANGED, payload, source="/t", workspace=workspace_id
    )
    if historical is not None:  # as segmentation may add it: an extra field of the payload
        envelope = Envelope.model_validate(
            {**envelope.model_dump(), "data": {**envelope.data, "historical": historical}}
        )
    return envelope, payload


async def test_historical_transitions_never_enrol(session, workspace_id):
    now = datetime.now(UTC)
    campaign = await running_campaign(session, workspace_id, now)
    await create_journey(
        session,
        workspace_id=workspace_id,
        data=JourneyIn(
            campaign_id=campaign.id,
            name="back",
            trigger={"event": "lifecycle_stage_changed", "to_stage": "active"},
            steps=[{"type": "issue_coupon"}],
        ),
    )
    await on_stage_changed(
        session,
        [
            _event(workspace_id, "imported", historical=True),
            _event(workspace_id, "flag_false", historical=False),
            _event(workspace_id, "no_flag"),
        ],
    )
    holders = set(await session.scalars(select(Coupon.user_id)))
    assert holders == {"flag_false", "no_flag"}
    mirrored = await session.scalar(
        select(func.count()).select_from(UserState).where(UserState.churn_reason == "price")
    )
    assert mirrored == 3


async def test_a_purchase_carrying_a_code_redeems_it(session, workspace_id):
    from campaigns.consumers import on_user_events
    from campaigns.coupons.schemas import TemplateIn
    from campaigns.coupons.service import create_template, issue_coupon
    from yunying_shared.events.catalogue import USER_EVENT_ACCEPTED
    from yunying_shared.events.payloads.segmentation import UserEventAccepted

    template = await create_template(
        session,
        workspace_id=workspace_id,
        data=TemplateIn(name="到店", kind="amount_off", amount_off="15"),
    )
    coupon = (
        await issue_coupon(
            session,
            workspace_id=workspace_id,
            template_id=template.id,
            user_id="u1",
            campaign_id=None,
            reason="r",
        )
    ).coupon

    def purchase(event_id, code):
        payload = UserEventAccepted(
            event_id=event_id,
            user_id="u1",
            kind="purchase",
            occurred_at=datetime.now(UTC),
            order_id=f"o-{event_id}",
            coupon_code=code,
        )
        return make_event(
            USER_EVENT_ACCEPTED, payload, source="/t", workspace=workspace_id
        ), payload

    # The second purchase reuses the code: refused (logged), the batch still lands.
    await on_user_events(session, [purchase("p1", coupon.code), purchase("p2", coupon.code)])
    await session.refresh(coupon)
    assert coupon.redeemed_order_id == "o-p1"
