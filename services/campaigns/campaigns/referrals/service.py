"""Referral programs and invite codes; sign-ups attributed (or rejected with the reason);
revocation on refund or fraud with reward claw-back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.clock import as_utc, utcnow
from campaigns.db import BUS, SOURCE
from campaigns.errors import naming
from campaigns.referrals.codes import new_invite_code, normalised
from campaigns.referrals.fraud import Limits, SignUp, Verdict, check
from campaigns.referrals.models import (
    InviteCode,
    ReferralAttribution,
    ReferralProgram,
    RejectedAttribution,
)
from campaigns.referrals.rewards import claw_back_after_revocation, reward_signup
from campaigns.referrals.schemas import InviteCodeIn, ProgramIn
from yunying_shared.bus import publish
from yunying_shared.db import sql_dialect
from yunying_shared.errors import Conflict, NotFound
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import REFERRAL_SIGNUP_ATTRIBUTED
from yunying_shared.events.payloads.campaigns import ReferralSignupAttributed


async def get_program(
    session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID
) -> ReferralProgram | None:
    program: ReferralProgram | None = await session.scalar(
        select(ReferralProgram).where(
            ReferralProgram.workspace_id == workspace_id,
            ReferralProgram.campaign_id == campaign_id,
        )
    )
    return program


async def put_program(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    campaign_id: UUID,
    data: ProgramIn,
    now: datetime | None = None,
) -> ReferralProgram:
    now = now or utcnow()
    program = await get_program(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if program is None:
        program = ReferralProgram(
            workspace_id=workspace_id, campaign_id=campaign_id, created_at=now
        )
        session.add(program)
    program.inviter_rewards = [t.model_dump(mode="json") for t in data.inviter_rewards]
    program.invitee_template_id = data.invitee_template_id
    program.max_signups_per_device = data.max_signups_per_device
    program.max_signups_per_phone = data.max_signups_per_phone
    program.max_signups_per_inviter_per_hour = data.max_signups_per_inviter_per_hour
    program.claw_back_on_refund = data.claw_back_on_refund
    program.active = data.active
    program.updated_at = now
    await session.flush()
    return program


async def invite_code_for(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    campaign_id: UUID,
    data: InviteCodeIn,
    now: datetime | None = None,
) -> InviteCode:
    """The user's code for the campaign: created on first request, the same one afterwards."""
    existing = await _code_of(session, workspace_id, campaign_id, data.user_id)
    if existing is not None:
        return existing
    inserted = await session.execute(
        sql_dialect(session)
        .insert(InviteCode.__table__)
        .values(
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            user_id=data.user_id,
            code=new_invite_code(),
            device_id=data.device_id,
            phone_hash=data.phone_hash,
            shares=0,
            created_at=now or utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(InviteCode.__table__.c.id)
    )
    if inserted.first() is None:
        # A concurrent request created it first (or, at odds of 2**-50, the code collided).
        raced = await _code_of(session, workspace_id, campaign_id, data.user_id)
        if raced is None:
            raise Conflict("Invite code collision; retry.")
        return raced
    created = await _code_of(session, workspace_id, campaign_id, data.user_id)
    assert created is not None
    return created


async def _code_of(
    session: AsyncSession, workspace_id: UUID, campaign_id: UUID, user_id: str
) -> InviteCode | None:
    code: InviteCode | None = await session.scalar(
        select(InviteCode).where(
            InviteCode.workspace_id == workspace_id,
            InviteCode.campaign_id == campaign_id,
            InviteCode.user_id == user_id,
        )
    )
    return code


async def find_code(
    session: AsyncSession, *, workspace_id: UUID, code: str, lock: bool = False
) -> InviteCode | None:
    """With `lock`, the code's row stays locked until the transaction ends (PostgreSQL; SQLite
    has one writer anyway): an inviter's sign-ups arrive keyed by invitee, so on several
    partitions at once, and each must count the others before judging a reward threshold."""
    query = select(InviteCode).where(
        InviteCode.workspace_id == workspace_id, InviteCode.code == normalised(code)
    )
    found: InviteCode | None = await session.scalar(query.with_for_update() if lock else query)
    return found


async def record_shares(
    session: AsyncSession, *, workspace_id: UUID, shares: Sequence[tuple[str, UUID | None]]
) -> None:
    """A batch's shares, each (user, campaign or None), counted on the sharer's invite codes (in
    that campaign, or all of theirs). One query finds the sharers holding codes, so shares by
    users without one (most of them) cost nothing more."""
    if not shares:
        return
    holders = set(
        await session.scalars(
            select(InviteCode.user_id)
            .where(
                InviteCode.workspace_id == workspace_id,
                InviteCode.user_id.in_({user_id for user_id, _ in shares}),
            )
            .distinct()
        )
    )
    counted = Counter(share for share in shares if share[0] in holders)
    for (user_id, campaign_id), count in counted.items():
        statement = update(InviteCode).where(
            InviteCode.workspace_id == workspace_id, InviteCode.user_id == user_id
        )
        if campaign_id is not None:
            statement = statement.where(InviteCode.campaign_id == campaign_id)
        await session.execute(statement.values(shares=InviteCode.shares + count))


async def _reject(
    session: AsyncSession, signup: SignUp, code: str | None, found: InviteCode | None, why: Verdict
) -> None:
    session.add(
        RejectedAttribution(
            workspace_id=signup.workspace_id,
            campaign_id=found.campaign_id if found else None,
            invitee_user_id=signup.invitee_user_id,
            inviter_user_id=found.user_id if found else None,
            invite_code=code[:128] if code else None,
            event_id=signup.event_id,
            reason=why.reason,
            detail=why.detail[:500],
            signed_up_at=signup.signed_up_at,
            recorded_at=utcnow(),
        )
    )
    await session.flush()


async def _level_below(session: AsyncSession, workspace_id: UUID, inviter: str) -> int:
    parent = await session.scalar(
        select(ReferralAttribution.level).where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.invitee_user_id == inviter,
        )
    )
    return int(parent or 0) + 1


async def attribute_signup(
    session: AsyncSession, *, signup: SignUp, invite_code: str | None, now: datetime | None = None
) -> ReferralAttribution | None:
    """Attributes a `referral_signup` to the code's owner, rewards it and publishes
    `referral.signup_attributed`; or records why it was rejected and returns None."""
    now = now or utcnow()
    ws = signup.workspace_id
    found = (
        await find_code(session, workspace_id=ws, code=invite_code, lock=True)
        if invite_code
        else None
    )
    if found is None:
        await _reject(session, signup, invite_code, None, Verdict("unknown_code", "No such code."))
        return None
    earlier = await session.scalar(
        select(ReferralAttribution).where(
            ReferralAttribution.workspace_id == ws,
            ReferralAttribution.invitee_user_id == signup.invitee_user_id,
        )
    )
    if earlier is not None:
        why = Verdict("already_attributed", f"Already referred by {earlier.inviter_user_id}.")
        await _reject(session, signup, invite_code, found, why)
        return None
    program = await get_program(session, workspace_id=ws, campaign_id=found.campaign_id)
    if program is not None and not program.active:
        why = Verdict("program_inactive", "The campaign's referral program is not active.")
        await _reject(session, signup, invite_code, found, why)
        return None
    verdict = await check(session, signup=signup, code=found, limits=Limits.of(program))
    if verdict is not None:
        await _reject(session, signup, invite_code, found, verdict)
        return None
    attribution = ReferralAttribution(
        workspace_id=ws,
        campaign_id=found.campaign_id,
        invitee_user_id=signup.invitee_user_id,
        inviter_user_id=found.user_id,
        invite_code=found.code,
        event_id=signup.event_id,
        level=await _level_below(session, ws, found.user_id),
        device_id=signup.device_id,
        phone_hash=signup.phone_hash,
        status="accepted",
        signed_up_at=signup.signed_up_at,
        attributed_at=now,
    )
    session.add(attribution)
    await session.flush()
    payload = ReferralSignupAttributed(
        invitee_user_id=attribution.invitee_user_id,
        inviter_user_id=attribution.inviter_user_id,
        campaign_id=str(attribution.campaign_id),
        invite_code=attribution.invite_code,
        attributed_at=now,
    )
    await publish(
        session, BUS, make_event(REFERRAL_SIGNUP_ATTRIBUTED, payload, source=SOURCE, workspace=ws)
    )
    if program is not None:
        await reward_signup(session, program, attribution=attribution, now=now)
    return attribution


async def get_attribution(
    session: AsyncSession, *, workspace_id: UUID, invitee_user_id: str
) -> ReferralAttribution:
    attribution = await session.scalar(
        select(ReferralAttribution).where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.invitee_user_id == invitee_user_id,
        )
    )
    if attribution is None:
        raise naming(NotFound, "invitee_user_id", f"{invitee_user_id!r} was not referred.")
    return attribution


async def revoke(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    invitee_user_id: str,
    status: str,
    reason: str,
    now: datetime | None = None,
) -> ReferralAttribution:
    """Marks an accepted sign-up refunded or fraudulent: it stops counting, and the rewards it
    earned are clawed back. A second revocation changes nothing."""
    attribution = await get_attribution(
        session, workspace_id=workspace_id, invitee_user_id=invitee_user_id
    )
    if attribution.status != "accepted":
        return attribution
    # Serialised with the inviter's concurrent sign-ups (see find_code).
    await find_code(session, workspace_id=workspace_id, code=attribution.invite_code, lock=True)
    now = now or utcnow()
    attribution.status = status
    attribution.revoked_at = now
    attribution.revoked_reason = reason[:200]
    await session.flush()
    await claw_back_after_revocation(
        session, attribution=attribution, reason=f"referral {status}: {reason}", now=now
    )
    return attribution


async def revoke_on_refund(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, order_id: str | None, at: datetime
) -> bool:
    """A refund by a referred user revokes their sign-up when the program says so (sign up,
    buy, refund is how referral rewards get farmed)."""
    attribution = await session.scalar(
        select(ReferralAttribution).where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.invitee_user_id == user_id,
            ReferralAttribution.status == "accepted",
        )
    )
    if attribution is None:
        return False
    program = await get_program(
        session, workspace_id=workspace_id, campaign_id=attribution.campaign_id
    )
    if program is None or not program.claw_back_on_refund:
        return False
    await revoke(
        session,
        workspace_id=workspace_id,
        invitee_user_id=user_id,
        status="refunded",
        reason=f"refund of order {order_id or 'unknown'} at {as_utc(at).isoformat()}",
    )
    return True
