"""Referrals through the service functions and accepted user events, on both dialects."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from campaigns.coupons.models import Coupon
from campaigns.coupons.schemas import TemplateIn
from campaigns.coupons.service import create_template
from campaigns.db import BUS
from campaigns.referrals import analytics, service
from campaigns.referrals.codes import ALPHABET, LENGTH
from campaigns.referrals.models import ReferralAttribution, RejectedAttribution
from campaigns.referrals.schemas import InviteCodeIn, ProgramIn
from campaigns.user_events import apply_user_event, apply_user_events
from yunying_shared.events.payloads.segmentation import UserEventAccepted


@pytest.fixture
async def program(session, workspace_id, campaign_id, now):
    inviter = await create_template(
        session,
        workspace_id=workspace_id,
        data=TemplateIn(name="邀3得50", kind="amount_off", amount_off=Decimal("50")),
        now=now,
    )
    invitee = await create_template(
        session,
        workspace_id=workspace_id,
        data=TemplateIn(name="新人10元", kind="amount_off", amount_off=Decimal("10")),
        now=now,
    )
    return await service.put_program(
        session,
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        data=ProgramIn(
            inviter_rewards=[{"threshold": 3, "template_id": inviter.id}],
            invitee_template_id=invitee.id,
            max_signups_per_inviter_per_hour=5,
        ),
        now=now,
    )


async def _code(session, workspace_id, campaign_id, user_id, **identity):
    issued = await service.invite_code_for(
        session,
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        data=InviteCodeIn(user_id=user_id, **identity),
    )
    return issued.code


def _signup(user_id, code, at, event_id=None, **properties):
    return UserEventAccepted(
        event_id=event_id or f"signup-{user_id}",
        user_id=user_id,
        kind="referral_signup",
        occurred_at=at,
        invite_code=code,
        properties=properties,
    )


async def _coupons(session):
    rows = await session.scalars(select(Coupon).order_by(Coupon.issued_at, Coupon.user_id))
    return [(c.user_id, c.reason, c.clawed_back_at is not None) for c in rows]


async def _rejections(session):
    rows = await session.scalars(select(RejectedAttribution).order_by(RejectedAttribution.id))
    return [(r.invitee_user_id, r.reason) for r in rows]


async def test_one_unguessable_code_per_user_and_campaign(session, workspace_id, campaign_id):
    first = await _code(session, workspace_id, campaign_id, "alice")
    assert first == await _code(session, workspace_id, campaign_id, "alice")
    other = await _code(session, workspace_id, campaign_id, "bob")
    assert other != first
    assert len(first) == LENGTH and set(first) <= set(ALPHABET)


async def test_third_friend_earns_the_inviter_reward_exactly_once(
    session, workspace_id, campaign_id, program, now
):
    code = await _code(session, workspace_id, campaign_id, "alice")
    for i, friend in enumerate(["f1", "f2", "f3", "f4"]):
        at = now + timedelta(minutes=i)
        await apply_user_event(session, workspace_id, _signup(friend, code.lower(), at))
    # The same sign-up again (a CRM resending it under a new id) changes nothing.
    await apply_user_event(session, workspace_id, _signup("f3", code, now, event_id="again"))

    coupons = await _coupons(session)
    assert [c for c in coupons if c[0] == "alice"] == [("alice", "referral:invited_3", False)]
    assert sorted(c[0] for c in coupons if c[1] == "referral:welcome") == ["f1", "f2", "f3", "f4"]
    assert await _rejections(session) == [("f3", "already_attributed")]
    outbox = await session.execute(select(BUS.outbox.c.headers))
    attributed = [h for (h,) in outbox if h["ce_type"] == "yunying.referral.signup_attributed.v1"]
    assert len(attributed) == 4


async def test_fraudulent_signups_are_rejected_with_their_reason(
    session, workspace_id, campaign_id, program, now
):
    code = await _code(
        session, workspace_id, campaign_id, "alice", device_id="dev-alice", phone_hash="ph-a"
    )
    events = [
        _signup("alice", code, now),  # self
        _signup("x1", code, now, device_id="dev-alice"),  # the inviter's own device
        _signup("x2", "NOSUCHCODE", now),
        _signup("p1", code, now, phone_hash="ph-shared"),
        _signup("p2", code, now, phone_hash="ph-shared"),  # one phone, one sign-up
        _signup("d1", code, now, device_id="farm"),
        _signup("d2", code, now, device_id="farm"),
        _signup("d3", code, now, device_id="farm"),
        _signup("d4", code, now, device_id="farm"),  # a fourth account on one device
        _signup("v1", code, now + timedelta(minutes=1)),
        _signup("v2", code, now + timedelta(minutes=2)),  # sixth within the hour
        _signup("v3", code, now + timedelta(hours=2)),  # the next hour is fine again
    ]
    for event in events:
        await apply_user_event(session, workspace_id, event)
    assert await _rejections(session) == [
        ("alice", "self_referral"),
        ("x1", "self_referral"),
        ("x2", "unknown_code"),
        ("p2", "phone_reuse"),
        ("d4", "device_reuse"),
        ("v2", "velocity"),
    ]
    accepted = await session.scalars(select(ReferralAttribution.invitee_user_id))
    assert sorted(accepted) == ["d1", "d2", "d3", "p1", "v1", "v3"]
    stats = await analytics.referral_stats(
        session, workspace_id=workspace_id, campaign_id=campaign_id
    )
    assert stats.rejected == {
        "self_referral": 2,
        "phone_reuse": 1,
        "device_reuse": 1,
        "velocity": 1,
    }  # the unknown code names no campaign


async def test_invite_tree_levels_share_rate_and_k_factor(
    session, workspace_id, campaign_id, program, now
):
    alice = await _code(session, workspace_id, campaign_id, "alice")
    await _code(session, workspace_id, campaign_id, "carol")  # holds a code, never shares
    await apply_user_event(session, workspace_id, _signup("bob", alice, now))
    bob = await _code(session, workspace_id, campaign_id, "bob")
    await apply_user_event(session, workspace_id, _signup("dan", bob, now))
    dan = await _code(session, workspace_id, campaign_id, "dan")
    await apply_user_event(session, workspace_id, _signup("eve", dan, now))
    shares = [
        UserEventAccepted(
            event_id=f"share-{n}",
            user_id=user,
            kind="share",
            occurred_at=now,
            properties={"campaign_id": str(campaign_id)},
        )
        for n, user in enumerate(("bob", "alice", "frank", "alice"))  # frank holds no code
    ]
    await apply_user_events(session, workspace_id, shares[:1])
    await apply_user_events(session, workspace_id, shares[1:])  # alice twice in one batch

    tree = await analytics.invite_tree(session, workspace_id=workspace_id, user_id="alice", depth=5)
    assert tree.level == 0
    assert [n.user_id for n in tree.invitees] == ["bob"]
    assert tree.invitees[0].invitees[0].user_id == "dan"
    assert tree.invitees[0].invitees[0].invitees[0].user_id == "eve"
    assert tree.invitees[0].invitees[0].invitees[0].level == 3
    shallow = await analytics.invite_tree(
        session, workspace_id=workspace_id, user_id="alice", depth=1
    )
    assert shallow.invitees[0].invitees == []

    stats = await analytics.referral_stats(
        session, workspace_id=workspace_id, campaign_id=campaign_id
    )
    assert stats.participants == 4  # alice, carol, bob, dan
    assert stats.sharers == 2 and stats.shares == 3
    assert stats.share_rate == pytest.approx(0.5)
    assert stats.signups == 3 and stats.k_factor == pytest.approx(3 / 4)
    assert stats.by_level == {1: 1, 2: 1, 3: 1}


async def test_fraud_or_refund_claws_back_what_the_signup_earned(
    session, workspace_id, campaign_id, program, now
):
    code = await _code(session, workspace_id, campaign_id, "alice")
    for i, friend in enumerate(["f1", "f2", "f3"]):
        await apply_user_event(
            session, workspace_id, _signup(friend, code, now + timedelta(minutes=i))
        )
    assert ("alice", "referral:invited_3", False) in await _coupons(session)

    refund = UserEventAccepted(
        event_id="refund-1",
        user_id="f2",
        kind="refund",
        occurred_at=now + timedelta(days=1),
        order_id="o-9",
        amount="20.00",
    )
    await apply_user_event(session, workspace_id, refund)
    coupons = await _coupons(session)
    assert ("alice", "referral:invited_3", True) in coupons  # below the threshold again
    assert ("f2", "referral:welcome", True) in coupons
    assert ("f1", "referral:welcome", False) in coupons

    revoked = await service.revoke(
        session,
        workspace_id=workspace_id,
        invitee_user_id="f1",
        status="fraud",
        reason="bought accounts",
    )
    assert revoked.status == "fraud"
    assert ("f1", "referral:welcome", True) in await _coupons(session)
    # A new friend brings alice back to 2 standing invitees: the tier is not re-earned.
    await apply_user_event(session, workspace_id, _signup("f5", code, now + timedelta(hours=3)))
    stats = await analytics.referral_stats(
        session, workspace_id=workspace_id, campaign_id=campaign_id
    )
    assert stats.signups == 2 and stats.revoked == 2
    assert stats.rewards_clawed_back == 3
