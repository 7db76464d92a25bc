"""Trigger events in, enrolments out: match every active journey of a running campaign, keep
users inside the campaign's target, enrol each at most once per period (a unique constraint),
and run the new enrolments' steps at once, in the consumer's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import String, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.service import targeted
from campaigns.campaigns.models import Campaign
from campaigns.campaigns.service import target_of
from campaigns.clock import as_utc
from campaigns.journeys.effects import Effects
from campaigns.journeys.models import Enrollment, Journey, NewEnrollment
from campaigns.journeys.steps import advance
from campaigns.journeys.storage import STORAGE
from yunying_shared.db import sql_dialect


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs ~1 µs a field
class Trigger:
    event: str  # lifecycle_stage_changed, segment_entered, tier_changed, user_event
    user_id: str
    at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


def matches(journey_trigger: dict[str, Any], trigger: Trigger) -> bool:
    """Every attribute the journey names must equal the event's; unnamed ones match anything."""
    for name, wanted in journey_trigger.items():
        if name == "event" or wanted is None:
            continue
        if trigger.attributes.get(name) != wanted:
            return False
    return True


def period_of(journey: Journey, at: datetime) -> int:
    if journey.reentry_days is None:
        return 0
    return int(as_utc(at).timestamp() // (journey.reentry_days * 86400))


async def live_journeys(
    session: AsyncSession, workspace_id: UUID, events: set[str], now: datetime
) -> list[tuple[Journey, Campaign]]:
    """The active journeys of running campaigns that these trigger events can start."""
    rows = await session.execute(
        select(Journey, Campaign)
        .join(Campaign, Campaign.id == Journey.campaign_id)
        .where(
            Journey.workspace_id == workspace_id,
            Journey.active.is_(True),
            Journey.trigger_event.in_(events),
            Campaign.state == "running",
        )
    )
    return [
        (journey, campaign)
        for journey, campaign in rows.all()
        if campaign.ends_at is None or as_utc(campaign.ends_at) > now
    ]


async def _taken(
    session: AsyncSession, keys: set[tuple[UUID, str, int]]
) -> set[tuple[UUID, str, int]]:
    """Which (journey, user, period) already have their enrolment: one indexed query."""
    if not keys:
        return set()
    sql = sql_dialect(session)
    journeys, users = list({k[0] for k in keys}), sorted({k[1] for k in keys})
    rows = await session.execute(
        select(Enrollment.journey_id, Enrollment.user_id, Enrollment.period).where(
            sql.in_list(Enrollment.journey_id, "journeys", Uuid(), journeys),
            sql.in_list(Enrollment.user_id, "users", String(), users),
        )
    )
    return {(journey, user, period) for journey, user, period in rows} & keys


async def enrol(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    triggers: Sequence[Trigger],
    now: datetime,
    freshness: timedelta,
    journeys: list[tuple[Journey, Campaign]] | None = None,
) -> list[NewEnrollment]:
    """The enrolments these triggers created, inserted with their first steps already run.

    Set-wise: the journeys, each target and the enrolments already taken are one query each;
    the new enrolments' steps run in memory, their coupons and messages are applied together,
    and the enrolments are inserted once, in their final state. A (journey, user, period)
    taken by a concurrent transaction since the lookup loses nothing and doubles nothing: its
    coupon is unique per reason and its message per dedupe key, both derived from that key,
    and the insert skips it. `journeys`: what `live_journeys` returned for these triggers'
    events, when the caller asked it first (to skip building triggers nothing can use)."""
    fresh = [t for t in triggers if as_utc(t.at) >= now - freshness]
    if not fresh:
        return []
    if journeys is None:
        journeys = await live_journeys(session, workspace_id, {t.event for t in fresh}, now)
    wanted: dict[tuple[UUID, str, int], tuple[Trigger, Journey, Campaign]] = {}
    for journey, campaign in journeys:
        candidates = [
            t for t in fresh if t.event == journey.trigger_event and matches(journey.trigger, t)
        ]
        if not candidates:
            continue
        inside = await targeted(
            session,
            workspace_id=workspace_id,
            target=target_of(campaign),
            user_ids=[t.user_id for t in candidates],
        )
        for trigger in candidates:
            if trigger.user_id in inside:
                key = (journey.id, trigger.user_id, period_of(journey, trigger.at))
                wanted.setdefault(key, (trigger, journey, campaign))
    taken = await _taken(session, set(wanted))
    effects = Effects()
    enrollments: list[NewEnrollment] = []
    for key, (trigger, journey, campaign) in wanted.items():
        if key in taken:
            continue
        enrollment = NewEnrollment(
            workspace_id=workspace_id,
            journey_id=journey.id,
            campaign_id=campaign.id,
            user_id=trigger.user_id,
            period=key[2],
            context={
                "trigger": trigger.event,
                **{k: v for k, v in trigger.attributes.items() if v is not None},
            },
            enrolled_at=now,
            updated_at=now,
        )
        await advance(session, enrollment, journey, campaign, now=now, effects=effects)
        enrollments.append(enrollment)
    if not enrollments:
        return []
    await effects.apply(session, now=now)
    created = await STORAGE.of(session).insert(session, enrollments, now)
    return [e for e in enrollments if e.id in created]
