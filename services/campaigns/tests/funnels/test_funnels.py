"""The funnel: touches batch, outcomes attributed from accepted events, the read per variant and
platform with referral sign-ups, coupon cost and incrementality, on both dialects."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from campaigns.coupons.schemas import TemplateIn
from campaigns.coupons.service import create_template, issue_coupon, redeem
from campaigns.experiments import service as experiments
from campaigns.experiments.schemas import ExperimentIn
from campaigns.funnels.read import read_funnel
from campaigns.funnels.service import Purchase, count_purchases, record_touches
from campaigns.referrals.models import ReferralAttribution
from campaigns.user_events import apply_user_event
from yunying_shared.errors import NotFound
from yunying_shared.events.payloads.segmentation import UserEventAccepted


def _event(user_id, kind, at, event_id, amount=None):
    return UserEventAccepted(
        event_id=event_id, user_id=user_id, kind=kind, occurred_at=at, amount=amount
    )


async def test_touches_are_judged_alone_and_counted_once_per_touch_id(
    session, workspace_id, campaign_id, now
):
    result = await record_touches(
        session,
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        items=[
            {"user_id": "u1", "kind": "exposure", "platform": "WeChat", "touch_id": "t1"},
            {"user_id": "u1", "kind": "exposure", "platform": "wechat", "touch_id": "t1"},
            {"user_id": "u2", "kind": "impression"},
            {"user_id": "u2", "kind": "click", "occurred_at": "yesterday"},
        ],
        now=now,
    )
    assert [r.status for r in result.results] == ["recorded", "duplicate", "rejected", "rejected"]
    assert result.results[2].errors[0].field == "kind"
    assert result.results[3].errors[0].field == "occurred_at"


async def test_funnel_by_variant_and_platform(session, workspace_id, campaign_id, now):
    touches = [
        {"user_id": "u1", "kind": "exposure", "platform": "wechat", "variant": "A"},
        {"user_id": "u1", "kind": "click", "platform": "wechat", "variant": "A"},
        {"user_id": "u2", "kind": "exposure", "platform": "wechat", "variant": "A"},
        {"user_id": "u3", "kind": "exposure", "platform": "douyin", "variant": "B"},
        {"user_id": "u3", "kind": "click", "platform": "douyin", "variant": "B"},
        {"user_id": "u4", "kind": "exposure", "platform": "douyin", "variant": "B"},
    ]
    await record_touches(
        session, workspace_id=workspace_id, campaign_id=campaign_id, items=touches, now=now
    )
    later = now + timedelta(hours=2)
    for event in [
        _event("u1", "purchase", later, "o1", "100.00"),  # first order
        _event("u1", "purchase", later, "o2", "50.00"),  # repurchase
        _event("u3", "purchase", later, "o3", "80.00"),
        _event("u3", "share", later, "s1"),
        _event("u2", "purchase", now + timedelta(days=8), "o4", "10.00"),  # outside the window
        _event("u9", "purchase", later, "o5", "10.00"),  # never touched
    ]:
        await apply_user_event(session, workspace_id, event)

    template = await create_template(
        session,
        workspace_id=workspace_id,
        data=TemplateIn(name="立减20", kind="amount_off", amount_off=Decimal("20")),
        now=now,
    )
    for user in ("u1", "u3"):
        issued = await issue_coupon(
            session,
            workspace_id=workspace_id,
            template_id=template.id,
            user_id=user,
            campaign_id=campaign_id,
            reason="journey",
            now=now,
        )
        if user == "u1":
            await redeem(session, workspace_id=workspace_id, code=issued.coupon.code, now=now)
    session.add(
        ReferralAttribution(
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            invitee_user_id="new-1",
            inviter_user_id="u1",
            invite_code="CODE",
            event_id="e",
            level=1,
            status="accepted",
            signed_up_at=now,
            attributed_at=now,
        )
    )
    await session.flush()

    funnel = await read_funnel(session, workspace_id=workspace_id, campaign_id=campaign_id)
    rows = {(r.variant, r.platform): r for r in funnel.rows}
    a, b = rows[("A", "wechat")], rows[("B", "douyin")]
    assert (a.exposed_users, a.clicked_users, a.ctr) == (2, 1, 0.5)
    assert (a.converted_users, a.first_order_conversions, a.repurchases) == (1, 1, 1)
    assert a.revenue == Decimal("150.00")
    assert (b.converted_users, b.sharing_users, b.share_rate) == (1, 1, 0.5)
    assert funnel.total.exposed_users == 4 and funnel.total.converted_users == 2
    assert funnel.total.conversion_rate == pytest.approx(0.5)
    assert funnel.referral_signups == 1
    assert (funnel.coupons_issued, funnel.coupons_redeemed) == (2, 1)
    assert funnel.coupon_cost == Decimal("20.00")


async def test_incremental_conversions_against_the_holdout(session, workspace_id, campaign_id, now):
    design = ExperimentIn(
        name="push time",
        campaign_id=campaign_id,
        element="push_time",
        variants=[{"key": "20:00", "control": True}, {"key": "12:00"}],
        holdout_percent=20,
    )
    experiment = await experiments.create_experiment(
        session, workspace_id=workspace_id, data=design, now=now
    )
    await experiments.start_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment.id, now=now
    )
    users = [f"u{i}" for i in range(600)]
    result = await record_touches(
        session,
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        items=[{"user_id": u, "kind": "exposure", "platform": "app"} for u in users],
        now=now,
    )
    # With no variant given, the touch carries the user's arm in the running experiment.
    assert {r.variant for r in result.results} == {"holdout", "20:00", "12:00"}
    arms = {u: experiments.arm_for(experiment, u) for u in users}
    # Treated users convert every 5th, the holdout every 20th.
    for i, user in enumerate(users):
        if i % (20 if arms[user] == "holdout" else 5) == 0:
            event = _event(user, "purchase", now + timedelta(hours=1), f"o{i}", "10.00")
            await apply_user_event(session, workspace_id, event)

    funnel = await read_funnel(session, workspace_id=workspace_id, campaign_id=campaign_id)
    (lift,) = funnel.incrementality
    treated = [u for u in users if arms[u] != "holdout"]
    held = [u for u in users if arms[u] == "holdout"]
    assert lift.treated_exposures == len(treated) and lift.holdout_exposures == len(held)
    expected = lift.treated_conversions - len(treated) * lift.holdout_conversions / len(held)
    assert lift.incremental_conversions == pytest.approx(expected)
    assert lift.incremental_conversions > 0
    low, high = lift.incremental_interval
    assert low < lift.incremental_conversions < high


async def test_a_foreign_campaign_has_no_funnel(session, workspace_id):
    with pytest.raises(NotFound):
        await read_funnel(session, workspace_id=workspace_id, campaign_id=uuid4())


async def test_first_orders_are_told_per_batch_in_the_batch_order(session, workspace_id, now):
    first = [
        Purchase("p1", "u1", now),
        Purchase("p2", "u2", now),
        Purchase("p3", "u1", now + timedelta(minutes=1)),  # u1's second in the same batch
    ]
    assert await count_purchases(session, workspace_id=workspace_id, purchases=first) == {
        "p1",
        "p2",
    }
    later = [Purchase("p4", "u2", now), Purchase("p5", "u3", now)]
    assert await count_purchases(session, workspace_id=workspace_id, purchases=later) == {"p5"}
    other = await count_purchases(session, workspace_id=uuid4(), purchases=[later[0]])
    assert other == {"p4"}  # counts are per workspace
