"""Trigger events in, enrolments out: match every active journey of a running campaign, keep
users inside the campaign's target, enrol each at most once per period (a unique constraint),
and run the new enrolments' steps at once, in the consumer's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.service import targeted
from campaigns.campaigns.models import Campaign
from campaigns.campaigns.service import target_of
from campaigns.clock import as_utc
from campaigns.journeys.effects import Effects
from campaigns.journeys.models import Enrollment, Journey
from campaigns.journeys.steps import advance
from yunying_shared.db import cast_table, sql_dialect


@dataclass(frozen=True)
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


async def _live_journeys(
    session: AsyncSession, workspace_id: UUID, events: set[str], now: datetime
) -> list[tuple[Journey, Campaign]]:
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


async def enrol(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    triggers: Sequence[Trigger],
    now: datetime,
    freshness: timedelta,
) -> list[Enrollment]:
    """The enrolments these triggers created (their first steps already run)."""
    fresh = [t for t in triggers if as_utc(t.at) >= now - freshness]
    if not fresh:
        return []
    journeys = await _live_journeys(session, workspace_id, {t.event for t in fresh}, now)
    rows: list[dict[str, Any]] = []
    owners: dict[UUID, tuple[Journey, Campaign]] = {}
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
        seen: set[tuple[str, int]] = set()
        for trigger in candidates:
            key = (trigger.user_id, period_of(journey, trigger.at))
            if trigger.user_id not in inside or key in seen:
                continue
            seen.add(key)
            enrollment_id = uuid4()
            owners[enrollment_id] = (journey, campaign)
            rows.append(
                {
                    "id": enrollment_id,
                    "workspace_id": workspace_id,
                    "journey_id": journey.id,
                    "campaign_id": campaign.id,
                    "user_id": trigger.user_id,
                    "period": key[1],
                    "state": "active",
                    "step_index": 0,
                    "due_at": None,
                    "context": {
                        "trigger": trigger.event,
                        **{k: v for k, v in trigger.attributes.items() if v is not None},
                    },
                    "outcome": None,
                    "enrolled_at": now,
                    "updated_at": now,
                }
            )
    if not rows:
        return []
    inserted = await session.execute(
        sql_dialect(session)
        .insert(Enrollment.__table__)
        .on_conflict_do_nothing()
        .returning(Enrollment.__table__.c.id),
        rows,
    )
    created = set(inserted.scalars())
    # Built from the rows just inserted, not read back: the steps run on these, and their final
    # state goes back in one executemany UPDATE.
    enrollments = [Enrollment(**row) for row in rows if row["id"] in created]
    effects = Effects()
    for enrollment in enrollments:
        journey, campaign = owners[enrollment.id]
        await advance(session, enrollment, journey, campaign, now=now, effects=effects)
    await effects.apply(session, now=now)
    await _store_progress(session, enrollments)
    return enrollments


async def _store_progress(session: AsyncSession, enrollments: Sequence[Enrollment]) -> None:
    if not enrollments:
        return
    table = cast_table(Enrollment.__table__)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("enrollment_id"))
        .values(
            state=bindparam("state"),
            step_index=bindparam("step_index"),
            due_at=bindparam("due_at"),
            context=bindparam("context"),
            outcome=bindparam("outcome"),
            updated_at=bindparam("updated_at"),
        ),
        [
            {
                "enrollment_id": e.id,
                "state": e.state,
                "step_index": e.step_index,
                "due_at": e.due_at,
                "context": e.context,
                "outcome": e.outcome,
                "updated_at": e.updated_at,
            }
            for e in enrollments
        ],
    )
