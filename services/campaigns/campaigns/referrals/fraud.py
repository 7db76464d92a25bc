"""Fraud checks on a referral sign-up, in the order they are applied; the first that fails is
the recorded reason. Device and phone come from the event's `properties` (`device_id`,
`phone_hash`): the CRM hashes phones, campaigns never sees the number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.referrals.models import InviteCode, ReferralAttribution, ReferralProgram

VELOCITY_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    per_device: int = 3
    per_phone: int = 1
    per_inviter_per_hour: int = 10

    @classmethod
    def of(cls, program: ReferralProgram | None) -> Limits:
        if program is None:
            return cls()
        return cls(
            program.max_signups_per_device,
            program.max_signups_per_phone,
            program.max_signups_per_inviter_per_hour,
        )


@dataclass(frozen=True)
class SignUp:
    workspace_id: UUID
    invitee_user_id: str
    event_id: str
    signed_up_at: datetime
    device_id: str | None
    phone_hash: str | None

    @staticmethod
    def identity(properties: dict[str, Any], name: str) -> str | None:
        value = properties.get(name)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()[:128]
        return None


@dataclass(frozen=True)
class Verdict:
    reason: str
    detail: str


async def _accepted_count(session: AsyncSession, workspace_id: UUID, *criteria: Any) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ReferralAttribution)
        .where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.status == "accepted",
            *criteria,
        )
    )
    return int(count or 0)


async def check(
    session: AsyncSession, *, signup: SignUp, code: InviteCode, limits: Limits
) -> Verdict | None:
    """None when the sign-up may be attributed, else why not."""
    if signup.invitee_user_id == code.user_id:
        return Verdict("self_referral", "The invitee is the inviter.")
    if signup.device_id is not None and signup.device_id == code.device_id:
        return Verdict("self_referral", "The invitee signed up on the inviter's device.")
    if signup.phone_hash is not None and signup.phone_hash == code.phone_hash:
        return Verdict("self_referral", "The invitee signed up with the inviter's phone.")
    ws = signup.workspace_id
    if signup.device_id is not None:
        seen = await _accepted_count(session, ws, ReferralAttribution.device_id == signup.device_id)
        if seen >= limits.per_device:
            return Verdict("device_reuse", f"The device is behind {seen} referral sign-ups.")
    if signup.phone_hash is not None:
        seen = await _accepted_count(
            session, ws, ReferralAttribution.phone_hash == signup.phone_hash
        )
        if seen >= limits.per_phone:
            return Verdict("phone_reuse", f"The phone is behind {seen} referral sign-ups.")
    recent = await _accepted_count(
        session,
        ws,
        ReferralAttribution.inviter_user_id == code.user_id,
        ReferralAttribution.signed_up_at > signup.signed_up_at - VELOCITY_WINDOW,
        ReferralAttribution.signed_up_at <= signup.signed_up_at,
    )
    if recent >= limits.per_inviter_per_hour:
        return Verdict(
            "velocity", f"The inviter already brought {recent} sign-ups within the hour."
        )
    return None
