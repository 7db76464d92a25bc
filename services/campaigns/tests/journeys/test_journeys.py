"""The journey engine on both dialects: matching, target, once per period, freshness, waits,
condition branches, churn-reason messages."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from campaigns.audience.service import Activity, StateChange, record_activity, record_states
from campaigns.campaigns import service as campaigns
from campaigns.campaigns.schemas import CampaignIn, Target
from campaigns.coupons.models import Coupon
from campaigns.coupons.schemas import TemplateIn
from campaigns.coupons.service import create_template
from campaigns.journeys.engine import Trigger, enrol
from campaigns.journeys.scheduler import run_due_steps
from campaigns.journeys.schemas import JourneyIn
from campaigns.journeys.service import create_journey
from campaigns.sending.models import Send

FRESH = timedelta(hours=6)


async def running_campaign(session, workspace_id, now, *, target=None, **fields):
    template = await create_template(
        session,
        workspace_id=workspace_id,
        data=TemplateIn(
            name=f"t-{fields.get('name', 'c')}", kind="amount_off", amount_off=Decimal("10")
        ),
        now=now,
    )
    data = CampaignIn(
        name=fields.pop("name", "回流"),
        type="churn_recall",
        target=target or Target(kind="all"),
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(days=30),
        coupon_template_id=template.id,
        **fields,
    )
    campaign = await campaigns.create_campaign(
        session, workspace_id=workspace_id, data=data, now=now
    )
    for state in ("scheduled", "running"):
        await campaigns.transition(
            session, workspace_id=workspace_id, campaign_id=campaign.id, to_state=state, now=now
        )
    return campaign


def churned_to_active(user_id, at, **attributes):
    return Trigger(
        "lifecycle_stage_changed",
        user_id,
        at,
        {"from_stage": "churned", "to_stage": "active", **attributes},
    )


async def _coupons(session, user_id):
    return await session.scalar(
        select(func.count()).select_from(Coupon).where(Coupon.user_id == user_id)
    )


async def test_matching_transition_issues_once_per_period(session, workspace_id, now):
    campaign = await running_campaign(session, workspace_id, now)
    await create_journey(
        session,
        workspace_id=workspace_id,
        data=JourneyIn(
            campaign_id=campaign.id,
            name="welcome back",
            trigger={
                "event": "lifecycle_stage_changed",
                "from_stage": "churned",
                "to_stage": "active",
            },
            steps=[{"type": "issue_coupon"}],
            reentry_days=30,
        ),
        now=now,
    )
    args = {"workspace_id": workspace_id, "now": now, "freshness": FRESH}
    first = await enrol(session, triggers=[churned_to_active("u1", now)], **args)
    assert [e.state for e in first] == ["done"]
    # The same transition again (another event id), and a second one a day later: same period.
    again = await enrol(
        session,
        triggers=[churned_to_active("u1", now), churned_to_active("u1", now + timedelta(days=1))],
        **{**args, "now": now + timedelta(days=1)},
    )
    assert again == []
    assert await _coupons(session, "u1") == 1
    # Not the journey's transition, a stale one: nobody enrols.
    other = Trigger(
        "lifecycle_stage_changed", "u2", now, {"from_stage": "new", "to_stage": "active"}
    )
    stale = churned_to_active("u3", now - timedelta(hours=7))
    assert await enrol(session, triggers=[other, stale], **args) == []
    assert await _coupons(session, "u2") == 0 and await _coupons(session, "u3") == 0
    await session.refresh(campaign)
    assert campaign.rewards_issued == 1


async def test_target_limits_who_enrols(session, workspace_id, now):
    campaign = await running_campaign(
        session, workspace_id, now, target=Target(kind="rfm_tier", values=["high_value"])
    )
    await create_journey(
        session,
        workspace_id=workspace_id,
        data=JourneyIn(
            campaign_id=campaign.id,
            name="vip",
            trigger={"event": "user_event", "kind": "purchase"},
            steps=[{"type": "issue_coupon"}],
        ),
        now=now,
    )
    await record_states(
        session,
        workspace_id=workspace_id,
        changes=[
            StateChange("vip", now, tier="high_value"),
            StateChange("low", now, tier="low_value"),
        ],
    )
    triggers = [Trigger("user_event", u, now, {"kind": "purchase"}) for u in ("vip", "low")]
    enrolled = await enrol(
        session, workspace_id=workspace_id, triggers=triggers, now=now, freshness=FRESH
    )
    assert [e.user_id for e in enrolled] == ["vip"]


async def test_wait_then_condition_branches(session, workspace_id, now):
    campaign = await running_campaign(session, workspace_id, now)
    journey = await create_journey(
        session,
        workspace_id=workspace_id,
        data=JourneyIn(
            campaign_id=campaign.id,
            name="nudge",
            trigger={"event": "lifecycle_stage_changed", "to_stage": "churned"},
            steps=[
                {"type": "wait", "seconds": 3600},
                {
                    "type": "send_message",
                    "channel": "sms",
                    "body": "我们想你了",
                    "by_churn_reason": {"delivery": "配送已升级，顺丰次日达"},
                },
                {
                    "type": "condition",
                    "kind": "purchase",
                    "within_seconds": 86400,
                    "if_did": "exit",
                    "if_not": "continue",
                },
                {"type": "issue_coupon"},
            ],
        ),
        now=now,
    )
    triggers = [
        Trigger("lifecycle_stage_changed", u, now, {"to_stage": "churned", "churn_reason": r})
        for u, r in (("buyer", "delivery"), ("idle", "price"))
    ]
    enrolled = await enrol(
        session, workspace_id=workspace_id, triggers=triggers, now=now, freshness=FRESH
    )
    assert {e.state for e in enrolled} == {"waiting"}
    assert await run_due_steps(session, now=now + timedelta(minutes=59), limit=10) == 0

    hour = now + timedelta(hours=1)
    assert await run_due_steps(session, now=hour, limit=10) == 2
    bodies = dict((await session.execute(select(Send.user_id, Send.body))).all())
    assert bodies == {"buyer": "配送已升级，顺丰次日达", "idle": "我们想你了"}

    await record_activity(
        session,
        workspace_id=workspace_id,
        activities=[Activity("e1", "buyer", "purchase", hour + timedelta(hours=2))],
    )
    assert await run_due_steps(session, now=hour + timedelta(days=1), limit=10) == 2
    assert await _coupons(session, "buyer") == 0  # did purchase: exit
    assert await _coupons(session, "idle") == 1  # did not: coupon
    states = await session.execute(select(Send.user_id).where(Send.campaign_id == campaign.id))
    assert len(states.all()) == 2
    assert journey.reentry_days is None
