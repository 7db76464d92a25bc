"""Profiles: reading them whole, patching attributes, and what other services tell us."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.afterwrite import Touched, after_write
from segmentation.clock import utcnow
from segmentation.db import BUS
from segmentation.profiles.exceptions import ProfileExtraTooLarge, ProfileNotFound
from segmentation.profiles.schemas import MAX_EXTRA_BYTES, ProfilePatch
from segmentation.records.models import Profile
from yunying_shared.bus import publish
from yunying_shared.db import sql_dialect
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import USER_PROFILE_UPDATED
from yunying_shared.events.payloads.campaigns import ReferralSignupAttributed
from yunying_shared.events.payloads.segmentation import MAX_INTERESTS, UserProfileUpdated
from yunying_shared.events.payloads.sentiment import FeedbackClassified

MAX_COMPLAINTS = 20
SOURCE = "/yunying/segmentation"
# What campaigns' audience match reads; a patch touching none of them publishes nothing.
AUDIENCE_FIELDS = ("gender", "age_band", "region")
MAX_INTEREST_LENGTH = 32


async def get_profile(session: AsyncSession, *, workspace_id: UUID, user_id: str) -> Profile:
    profile = await session.scalar(
        select(Profile).where(Profile.workspace_id == workspace_id, Profile.user_id == user_id)
    )
    if profile is None:
        raise ProfileNotFound(f"No profile for user {user_id!r} in this workspace.")
    return profile


async def ensure_profile(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, now: datetime | None = None
) -> Profile:
    """The profile, created empty when other services name a user before the CRM does."""
    now = now or utcnow()
    await session.execute(
        sql_dialect(session)
        .insert(Profile.__table__)
        .values(
            workspace_id=workspace_id,
            user_id=user_id,
            identities={},
            extra={},
            complaint_reasons=[],
            order_count=0,
            refund_count=0,
            monetary_total=0,
            source="organic",
            stage="potential",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "user_id"])
    )
    profile = await session.scalar(
        select(Profile)
        .where(Profile.workspace_id == workspace_id, Profile.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert profile is not None
    return profile


async def patch_profile(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, patch: ProfilePatch
) -> Profile:
    profile = await get_profile(session, workspace_id=workspace_id, user_id=user_id)
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    for name in ("gender", "age_band", "region"):
        if name in changes:
            setattr(profile, name, changes[name])
    if changes.get("identities"):
        profile.identities = {**profile.identities, **changes["identities"]}
    if changes.get("extra"):
        merged = {**profile.extra, **changes["extra"]}
        if len(json.dumps(merged, default=str)) > MAX_EXTRA_BYTES:
            raise ProfileExtraTooLarge(f"extra would exceed {MAX_EXTRA_BYTES} bytes.")
        profile.extra = merged
    profile.updated_at = utcnow()
    await session.flush()
    await after_write(session, workspace_id=workspace_id, touched=Touched(users=[profile.user_id]))
    touched_interests = "interests" in (changes.get("extra") or {})
    if touched_interests or any(name in changes for name in AUDIENCE_FIELDS):
        await _publish_audience(session, workspace_id=workspace_id, profile=profile)
    return profile


def interests_of(extra: dict[str, Any]) -> list[str]:
    """`extra.interests` as the event carries it: strings only, trimmed, bounded."""
    raw = extra.get("interests")
    if not isinstance(raw, list):
        return []
    names = [v.strip()[:MAX_INTEREST_LENGTH] for v in raw if isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(names))[:MAX_INTERESTS]


async def _publish_audience(session: AsyncSession, *, workspace_id: UUID, profile: Profile) -> None:
    payload = UserProfileUpdated(
        user_id=profile.user_id,
        gender=profile.gender,
        age_band=profile.age_band,
        region=profile.region,
        interests=interests_of(profile.extra),
        updated_at=profile.updated_at,
    )
    event = make_event(USER_PROFILE_UPDATED, payload, source=SOURCE, workspace=workspace_id)
    await publish(session, BUS, event)


async def record_feedback(
    session: AsyncSession, *, workspace_id: UUID, feedback: FeedbackClassified
) -> Profile:
    """Keep the latest complaints; a churn-related one (or any from a churned user) is the
    churn reason recall campaigns answer."""
    profile = await ensure_profile(session, workspace_id=workspace_id, user_id=feedback.user_id)
    entry = {
        "reason": feedback.reason,
        "excerpt": feedback.excerpt[:200],
        "churn_related": feedback.churn_related,
        "at": (feedback.classified_at or utcnow()).isoformat(),
    }
    profile.complaint_reasons = [*profile.complaint_reasons, entry][-MAX_COMPLAINTS:]
    if feedback.churn_related or profile.stage == "churned":
        profile.churn_reason = feedback.reason
    profile.updated_at = utcnow()
    await session.flush()
    await after_write(session, workspace_id=workspace_id, touched=Touched(users=[profile.user_id]))
    return profile


async def record_referral(
    session: AsyncSession, *, workspace_id: UUID, referral: ReferralSignupAttributed
) -> Profile:
    profile = await ensure_profile(
        session, workspace_id=workspace_id, user_id=referral.invitee_user_id
    )
    profile.source = "referral"
    profile.referred_by = referral.inviter_user_id
    profile.source_campaign = referral.campaign_id
    profile.updated_at = utcnow()
    await session.flush()
    await after_write(session, workspace_id=workspace_id, touched=Touched(users=[profile.user_id]))
    return profile
