"""What referrals, funnels and experiments do with an accepted user event
(`user_event.accepted` on `segmentation.event.v1`): referral sign-ups are attributed, refunds
revoke referred sign-ups, shares count for invite codes, purchases and shares are attributed to
the campaigns that touched the user, and conversions are recorded in running experiments.

The kit takes one handler per event type, so the service's `user_event.accepted` handler calls
`apply_user_event` for each event, in the handler's transaction (the inbox makes a redelivery a
no-op for every step).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import as_utc
from campaigns.experiments.service import convert_from_event
from campaigns.funnels.service import attribute_outcome
from campaigns.referrals.fraud import SignUp
from campaigns.referrals.service import attribute_signup, record_share, revoke_on_refund
from yunying_shared.events.payloads.segmentation import UserEventAccepted

Step = Callable[[AsyncSession, UUID, UserEventAccepted], Awaitable[None]]


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
    elif event.kind == "share":
        await record_share(
            session,
            workspace_id=workspace_id,
            user_id=event.user_id,
            campaign_id=_campaign_of(event),
        )


async def measurement_step(
    session: AsyncSession, workspace_id: UUID, event: UserEventAccepted
) -> None:
    """Funnel outcomes (purchases, shares) and experiment conversions."""
    at = as_utc(event.occurred_at)
    if event.kind in ("purchase", "share"):
        await attribute_outcome(
            session,
            workspace_id=workspace_id,
            user_id=event.user_id,
            kind=event.kind,
            event_id=event.event_id,
            amount=_amount(event),
            at=at,
        )
    await convert_from_event(
        session,
        workspace_id=workspace_id,
        user_id=event.user_id,
        kind=event.kind,
        event_id=event.event_id,
        value=_amount(event),
        at=at,
    )


USER_EVENT_STEPS: tuple[Step, ...] = (referrals_step, measurement_step)


async def apply_user_event(
    session: AsyncSession, workspace_id: UUID, event: UserEventAccepted
) -> None:
    for step in USER_EVENT_STEPS:
        await step(session, workspace_id, event)
