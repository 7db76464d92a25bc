"""Thin handlers: parse, call the service function, done.

Segmentation's user events (stage, tier, segment) come as batch handlers: a fetched run of one
type is one call of the journey engine per workspace, so trigger evaluation is set-wise.
A payload marked `historical` (an imported history) never enrols anyone; a missing flag means
fresh."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.service import (
    Activity,
    StateChange,
    forget_segment,
    record_activity,
    record_memberships,
    record_segment,
    record_states,
    record_traits_many,
)
from campaigns.clock import utcnow
from campaigns.collaborations.service import collaboration_codes
from campaigns.content.service import record_transition
from campaigns.coupons.codes import normalised
from campaigns.coupons.service import redeem
from campaigns.crisis.service import record_opened, record_resolved
from campaigns.journeys.engine import Trigger, enrol, live_journeys
from campaigns.user_events import apply_user_events
from yunying_shared.bus import PermanentFailure
from yunying_shared.errors import DomainError
from yunying_shared.events import Envelope
from yunying_shared.events.catalogue import (
    CONTENT_ITEM_TRANSITIONED,
    CRISIS_ESCALATED,
    CRISIS_OPENED,
    CRISIS_RESOLVED,
    SEGMENT_CREATED,
    SEGMENT_DELETED,
    SEGMENT_UPDATED,
    USER_EVENT_ACCEPTED,
    USER_LIFECYCLE_STAGE_CHANGED,
    USER_PROFILE_UPDATED,
    USER_SEGMENT_ENTERED,
    USER_SEGMENT_EXITED,
    USER_TIER_CHANGED,
)
from yunying_shared.events.payloads.content import ContentItemTransitioned
from yunying_shared.events.payloads.segmentation import (
    SegmentDeleted,
    SegmentSaved,
    UserEventAccepted,
    UserLifecycleStageChanged,
    UserProfileUpdated,
    UserSegmentEntered,
    UserSegmentExited,
    UserTierChanged,
)
from yunying_shared.events.payloads.sentiment import CrisisCase
from yunying_shared.kit import on, on_batch
from yunying_shared.logging import get_logger

log = get_logger(__name__)
P = TypeVar("P", bound=BaseModel)
# Handlers get a session, not the app: the lifespan sets the window from the settings
# (`trigger_freshness_seconds`); one campaigns app per process, in both modes.
FRESHNESS: dict[str, timedelta] = {"window": timedelta(hours=6)}


def _workspace(envelope: Envelope) -> UUID:
    if envelope.workspace is None:
        raise PermanentFailure(f"{envelope.type} {envelope.id} names no workspace")
    return envelope.workspace


def _historical(envelope: Envelope) -> bool:
    return bool(envelope.data.get("historical", False))


def _by_workspace(events: Sequence[tuple[Envelope, P]]) -> dict[UUID, list[tuple[Envelope, P]]]:
    grouped: dict[UUID, list[tuple[Envelope, P]]] = defaultdict(list)
    for envelope, payload in events:
        grouped[_workspace(envelope)].append((envelope, payload))
    return grouped


async def _trigger(
    session: AsyncSession,
    events: Sequence[tuple[Envelope, P]],
    trigger_event: str,
    to_trigger: Callable[[P], Trigger],
    to_state: Callable[[P], StateChange] | None = None,
) -> None:
    now = utcnow()
    for workspace_id, items in _by_workspace(events).items():
        if to_state is not None:
            await record_states(
                session, workspace_id=workspace_id, changes=[to_state(p) for _, p in items]
            )
        current = [p for envelope, p in items if not _historical(envelope)]
        if not current:
            continue
        # Asked first: most batches (purchases, shares while segmentation ingests) can start
        # no journey, and then no trigger is built.
        journeys = await live_journeys(session, workspace_id, {trigger_event}, now)
        if not journeys:
            continue
        triggers = [to_trigger(p) for p in current]
        await enrol(
            session,
            workspace_id=workspace_id,
            triggers=triggers,
            now=now,
            freshness=FRESHNESS["window"],
            journeys=journeys,
        )


async def on_stage_changed(
    session: AsyncSession, events: Sequence[tuple[Envelope, UserLifecycleStageChanged]]
) -> None:
    await _trigger(
        session,
        events,
        "lifecycle_stage_changed",
        lambda p: Trigger(
            "lifecycle_stage_changed",
            p.user_id,
            p.changed_at,
            {"from_stage": p.from_stage, "to_stage": p.to_stage, "churn_reason": p.churn_reason},
        ),
        lambda p: StateChange(
            p.user_id, p.changed_at, stage=p.to_stage, churn_reason=p.churn_reason
        ),
    )


async def on_tier_changed(
    session: AsyncSession, events: Sequence[tuple[Envelope, UserTierChanged]]
) -> None:
    await _trigger(
        session,
        events,
        "tier_changed",
        lambda p: Trigger("tier_changed", p.user_id, p.changed_at, {"to_tier": p.to_tier}),
        lambda p: StateChange(p.user_id, p.changed_at, tier=p.to_tier),
    )


def _memberships(items: Sequence[tuple[Envelope, Any]]) -> list[tuple[str, str]]:
    return [(p.segment_id, p.user_id) for _, p in items]


async def on_segment_entered(
    session: AsyncSession, events: Sequence[tuple[Envelope, UserSegmentEntered]]
) -> None:
    for workspace_id, items in _by_workspace(events).items():
        await record_memberships(
            session, workspace_id=workspace_id, pairs=_memberships(items), member=True
        )
    await _trigger(
        session,
        events,
        "segment_entered",
        lambda p: Trigger("segment_entered", p.user_id, p.entered_at, {"segment_id": p.segment_id}),
    )


async def on_segment_exited(
    session: AsyncSession, events: Sequence[tuple[Envelope, UserSegmentExited]]
) -> None:
    for workspace_id, items in _by_workspace(events).items():
        await record_memberships(
            session, workspace_id=workspace_id, pairs=_memberships(items), member=False
        )


async def on_segment_saved(
    session: AsyncSession, envelope: Envelope, payload: SegmentSaved
) -> None:
    await record_segment(
        session,
        workspace_id=_workspace(envelope),
        segment_id=payload.segment_id,
        name=payload.name,
        at=payload.saved_at,
    )


async def on_segment_deleted(
    session: AsyncSession, envelope: Envelope, payload: SegmentDeleted
) -> None:
    await forget_segment(session, workspace_id=_workspace(envelope), segment_id=payload.segment_id)


async def on_user_events(
    session: AsyncSession, events: Sequence[tuple[Envelope, UserEventAccepted]]
) -> None:
    """CRM events segmentation accepted: activity for conditions, triggers, redemptions."""
    for workspace_id, items in _by_workspace(events).items():
        await record_activity(
            session,
            workspace_id=workspace_id,
            activities=[Activity(p.event_id, p.user_id, p.kind, p.occurred_at) for _, p in items],
        )
        # A creator's code is not a coupon: the creator step attributes it, redemption skips it.
        creator_codes = await collaboration_codes(
            session,
            workspace_id=workspace_id,
            codes={normalised(p.coupon_code) for _, p in items if p.coupon_code},
        )
        for _, payload in items:
            code = payload.coupon_code
            if payload.kind == "purchase" and code and normalised(code) not in creator_codes:
                await _redeem_from_purchase(session, workspace_id, payload)
        # Referral sign-ups, refunds, shares, funnel outcomes, experiment conversions.
        await apply_user_events(session, workspace_id, [p for _, p in items])
    await _trigger(
        session,
        events,
        "user_event",
        lambda p: Trigger("user_event", p.user_id, p.occurred_at, {"kind": p.kind}),
    )


async def _redeem_from_purchase(
    session: AsyncSession, workspace_id: UUID, payload: UserEventAccepted
) -> None:
    try:
        async with session.begin_nested():
            await redeem(
                session,
                workspace_id=workspace_id,
                code=payload.coupon_code or "",
                order_id=payload.order_id or payload.event_id,
                user_id=payload.user_id,
                now=payload.occurred_at,
            )
    except DomainError as exc:
        # The purchase happened either way; the code was not honoured, and the log says why.
        log.warning(
            "coupon not redeemed from purchase",
            event_id=payload.event_id,
            reason=exc.detail,
            status=exc.status_code,
        )


async def on_profile_updated(
    session: AsyncSession, events: Sequence[tuple[Envelope, UserProfileUpdated]]
) -> None:
    for workspace_id, items in _by_workspace(events).items():
        await record_traits_many(session, workspace_id=workspace_id, profiles=[p for _, p in items])


async def on_content(
    session: AsyncSession, envelope: Envelope, payload: ContentItemTransitioned
) -> None:
    await record_transition(session, workspace_id=_workspace(envelope), event=payload)


async def on_crisis_opened(session: AsyncSession, envelope: Envelope, payload: CrisisCase) -> None:
    await record_opened(session, workspace_id=_workspace(envelope), case=payload)


async def on_crisis_resolved(
    session: AsyncSession, envelope: Envelope, payload: CrisisCase
) -> None:
    await record_resolved(session, workspace_id=_workspace(envelope), case=payload, now=utcnow())


HANDLERS: tuple[Any, ...] = (
    on_batch(USER_LIFECYCLE_STAGE_CHANGED, on_stage_changed),
    on_batch(USER_TIER_CHANGED, on_tier_changed),
    on_batch(USER_SEGMENT_ENTERED, on_segment_entered),
    on_batch(USER_SEGMENT_EXITED, on_segment_exited),
    on_batch(USER_PROFILE_UPDATED, on_profile_updated),
    on(SEGMENT_CREATED, on_segment_saved),
    on(SEGMENT_UPDATED, on_segment_saved),
    on(SEGMENT_DELETED, on_segment_deleted),
    on_batch(USER_EVENT_ACCEPTED, on_user_events),
    on(CONTENT_ITEM_TRANSITIONED, on_content),
    on(CRISIS_OPENED, on_crisis_opened),
    on(CRISIS_ESCALATED, on_crisis_opened),
    on(CRISIS_RESOLVED, on_crisis_resolved),
)
