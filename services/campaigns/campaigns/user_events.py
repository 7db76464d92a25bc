"""What referrals, funnels and experiments do with an accepted user event
(`user_event.accepted` on `segmentation.event.v1`): referral sign-ups are attributed, refunds
revoke referred sign-ups, shares count for invite codes, purchases and shares are attributed to
the campaigns that touched the user, conversions are recorded in running experiments, and
purchases and sign-ups carrying a creator's code are attributed to that creator.

The kit takes one handler per event type, so the service's `user_event.accepted` batch handler
calls `apply_user_events` with each workspace's run of events, in the handler's transaction (the
inbox makes a redelivery a no-op for every step).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import as_utc
from campaigns.collaborations.service import attribute as attribute_to_creators
from campaigns.experiments.service import ConversionEvent, convert_from_events
from campaigns.funnels.service import Outcome, Purchase, attribute_outcomes, count_purchases
from campaigns.referrals.fraud import SignUp
from campaigns.referrals.service import attribute_signup, record_shares, revoke_on_refund
from yunying_shared.events.payloads.segmentation import UserEventAccepted


def _amount(event: UserEventAccepted) -> Decimal | None:
    try:
        return Decimal(event.amount) if event.amount is not None else None
    except InvalidOperation:
        return None


def _campaign_of(event: UserEventAccepted) -> UUID | None:
    try:
        return UUID(str(event.properties.get("campaign_id")))
    except ValueError:
        return None


async def referrals_step(
    session: AsyncSession, workspace_id: UUID, event: UserEventAccepted
) -> None:
    at = as_utc(event.occurred_at)
    if event.kind == "referral_signup":
        signup = SignUp(
            workspace_id=workspace_id,
            invitee_user_id=event.user_id,
            event_id=event.event_id,
            signed_up_at=at,
            device_id=SignUp.identity(event.properties, "device_id"),
            phone_hash=SignUp.identity(event.properties, "phone_hash"),
        )
        await attribute_signup(session, signup=signup, invite_code=event.invite_code)
    elif event.kind == "refund":
        await revoke_on_refund(
            session,
            workspace_id=workspace_id,
            user_id=event.user_id,
            order_id=event.order_id,
            at=at,
        )


async def measure(
    session: AsyncSession, workspace_id: UUID, events: Sequence[UserEventAccepted]
) -> None:
    """Funnel outcomes (purchases, shares) and experiment conversions for a run of events.
    A handful of statements per batch, whatever its size: the purchase counts, the batch's
    users' touches and one outcome insert, their exposures and one conversion insert."""
    outcomes = [e for e in events if e.kind in ("purchase", "share")]
    first_orders = await count_purchases(
        session,
        workspace_id=workspace_id,
        purchases=[
            Purchase(e.event_id, e.user_id, as_utc(e.occurred_at))
            for e in outcomes
            if e.kind == "purchase"
        ],
    )
    await attribute_outcomes(
        session,
        workspace_id=workspace_id,
        outcomes=[
            Outcome(
                e.user_id,
                e.kind,
                e.event_id,
                _amount(e),
                as_utc(e.occurred_at),
                first_order=e.event_id in first_orders,
            )
            for e in outcomes
        ],
    )
    await convert_from_events(
        session,
        workspace_id=workspace_id,
        events=[
            ConversionEvent(e.user_id, e.kind, e.event_id, _amount(e), as_utc(e.occurred_at))
            for e in events
        ],
    )


async def apply_user_events(
    session: AsyncSession, workspace_id: UUID, events: Sequence[UserEventAccepted]
) -> None:
    """A run of one workspace's accepted events, in order."""
    for event in events:
        if event.kind in ("referral_signup", "refund"):
            await referrals_step(session, workspace_id, event)
    await record_shares(
        session,
        workspace_id=workspace_id,
        shares=[(e.user_id, _campaign_of(e)) for e in events if e.kind == "share"],
    )
    await measure(session, workspace_id, events)
    await attribute_to_creators(session, workspace_id=workspace_id, events=events)


async def apply_user_event(
    session: AsyncSession, workspace_id: UUID, event: UserEventAccepted
) -> None:
    await apply_user_events(session, workspace_id, [event])
