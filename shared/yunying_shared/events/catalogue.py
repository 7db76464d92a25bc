"""Every event type Yunying knows: its topic, payload model and key. The one place for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from structlog.contextvars import get_contextvars

from yunying_shared.events.envelope import Envelope
from yunying_shared.events.inbound import ATTRIBUTE_PREFIX, NotAnEvent, event_fields
from yunying_shared.events.payloads import (
    campaigns,
    content,
    crm,
    gateway,
    listening,
    segmentation,
    sentiment,
)

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class EventSpec(Generic[P]):
    name: str
    version: int
    topic: str
    payload: type[P]
    key_field: str
    description: str

    @property
    def type(self) -> str:
        return f"yunying.{self.name}.v{self.version}"

    def key_of(self, payload: P) -> str:
        return str(getattr(payload, self.key_field))


WORKSPACE_CREATED = EventSpec(
    name="workspace.created",
    version=1,
    topic="gateway.workspace.v1",
    payload=gateway.WorkspaceCreated,
    key_field="workspace_id",
    description="A workspace (one brand or business unit) was created; every service records it.",
)

AUDIT_RECORDED = EventSpec(
    name="audit.recorded",
    version=1,
    topic="gateway.audit.v1",
    payload=gateway.AuditRecorded,
    key_field="entry_id",
    description="The gateway recorded an admin action (members, roles, API keys, workspaces, "
    "sessions, login locks, a workspace setting a service keeps) or a login attempt, successful "
    "or not. For SIEM and compliance "
    "consumers; workspace admins read the same entries at `GET /v1/workspaces/{id}/audit`.",
)

CRM_EVENT_RECORDED = EventSpec(
    name="crm.event_recorded",
    version=1,
    topic="crm.events.v1",
    payload=crm.CrmEventRecorded,
    key_field="user_id",
    description="A CRM system recorded a user event (registered, login, purchase, refund, ...; "
    "the `kind` field says which).",
)

USER_LIFECYCLE_STAGE_CHANGED = EventSpec(
    name="user.lifecycle_stage_changed",
    version=1,
    topic="segmentation.user.v1",
    payload=segmentation.UserLifecycleStageChanged,
    key_field="user_id",
    description="A user moved to another lifecycle stage (potential, new, active, loyal, churned).",
)

USER_TIER_CHANGED = EventSpec(
    name="user.tier_changed",
    version=1,
    topic="segmentation.user.v1",
    payload=segmentation.UserTierChanged,
    key_field="user_id",
    description="A user's RFM value tier changed.",
)

FEEDBACK_CLASSIFIED = EventSpec(
    name="feedback.classified",
    version=1,
    topic="sentiment.feedback.v1",
    payload=sentiment.FeedbackClassified,
    key_field="user_id",
    description="A user's message was classified as feedback with a reason category.",
)

REFERRAL_SIGNUP_ATTRIBUTED = EventSpec(
    name="referral.signup_attributed",
    version=1,
    topic="campaigns.referral.v1",
    payload=campaigns.ReferralSignupAttributed,
    key_field="invitee_user_id",
    description="A new user's sign-up was attributed to an inviter's referral.",
)

USER_SEGMENT_ENTERED = EventSpec(
    name="user.segment_entered",
    version=1,
    topic="segmentation.user.v1",
    payload=segmentation.UserSegmentEntered,
    key_field="user_id",
    description="A user started matching a live segment (published once per actual change).",
)

USER_SEGMENT_EXITED = EventSpec(
    name="user.segment_exited",
    version=1,
    topic="segmentation.user.v1",
    payload=segmentation.UserSegmentExited,
    key_field="user_id",
    description="A user stopped matching a live segment (events, an expired window or a rule "
    "change).",
)

USER_PROFILE_UPDATED = EventSpec(
    name="user.profile_updated",
    version=1,
    topic="segmentation.user.v1",
    payload=segmentation.UserProfileUpdated,
    key_field="user_id",
    description="A user's audience attributes (gender, age band, region, interests) were set; "
    "campaigns keeps them for segments' make-up.",
)

SEGMENT_CREATED = EventSpec(
    name="segment.created",
    version=1,
    topic="segmentation.segment.v1",
    payload=segmentation.SegmentSaved,
    key_field="segment_id",
    description="A segment was created; its initial members follow as user.segment_entered.",
)

SEGMENT_UPDATED = EventSpec(
    name="segment.updated",
    version=1,
    topic="segmentation.segment.v1",
    payload=segmentation.SegmentSaved,
    key_field="segment_id",
    description="A segment's name, rule or liveness changed; membership changes follow.",
)

SEGMENT_DELETED = EventSpec(
    name="segment.deleted",
    version=1,
    topic="segmentation.segment.v1",
    payload=segmentation.SegmentDeleted,
    key_field="segment_id",
    description="A segment and its memberships were deleted.",
)

USER_EVENT_ACCEPTED = EventSpec(
    name="user_event.accepted",
    version=1,
    topic="segmentation.event.v1",
    payload=segmentation.UserEventAccepted,
    key_field="user_id",
    description="Segmentation accepted a CRM event that other services act on (registered, "
    "purchase, refund, share, referral_signup), whether it came over HTTP or crm.events.v1; "
    "published once per event id.",
)

CONTENT_ITEM_TRANSITIONED = EventSpec(
    name="content.item_transitioned",
    version=1,
    topic="content.item.v1",
    payload=content.ContentItemTransitioned,
    key_field="content_id",
    description="A content item moved through review (draft, submitted, scanned, operator "
    "checked, approved, scheduled, published, expired, held).",
)

MENTION_RECEIVED = EventSpec(
    name="mention.received",
    version=1,
    topic="listening.mentions.v1",
    payload=listening.MentionReceived,
    key_field="platform_id",
    description="A listening crawler found a mention or comment on a platform.",
)

MENTION_SCORED = EventSpec(
    name="mention.scored",
    version=1,
    topic="sentiment.mention.v1",
    payload=sentiment.MentionScored,
    key_field="mention_id",
    description="A mention was stored, its sentiment scored and matched to monitoring rules.",
)

CRISIS_OPENED = EventSpec(
    name="crisis.opened",
    version=1,
    topic="sentiment.crisis.v1",
    payload=sentiment.CrisisCase,
    key_field="case_id",
    description="A crisis case was opened (an orange or red alert, or a manual report): "
    "promotional sends pause and ads are held in its workspace.",
)

CRISIS_ESCALATED = EventSpec(
    name="crisis.escalated",
    version=1,
    topic="sentiment.crisis.v1",
    payload=sentiment.CrisisCase,
    key_field="case_id",
    description="An open crisis case reached a higher alert level.",
)

CRISIS_STATEMENT_PUBLISHED = EventSpec(
    name="crisis.statement_published",
    version=1,
    topic="sentiment.crisis.v1",
    payload=sentiment.CrisisCase,
    key_field="case_id",
    description="The public statement of a crisis case was published.",
)

CRISIS_RESOLVED = EventSpec(
    name="crisis.resolved",
    version=1,
    topic="sentiment.crisis.v1",
    payload=sentiment.CrisisCase,
    key_field="case_id",
    description="A crisis case was closed: promotional sends and held ads resume.",
)

CAMPAIGN_STATE_CHANGED = EventSpec(
    name="campaign.state_changed",
    version=1,
    topic="campaigns.campaign.v1",
    payload=campaigns.CampaignStateChanged,
    key_field="campaign_id",
    description="A campaign moved between draft, scheduled, running, paused and finished.",
)

COUPON_ISSUED = EventSpec(
    name="coupon.issued",
    version=1,
    topic="campaigns.coupon.v1",
    payload=campaigns.CouponChanged,
    key_field="coupon_id",
    description="A coupon was issued to a user (once per campaign, user and reason).",
)

COUPON_REDEEMED = EventSpec(
    name="coupon.redeemed",
    version=1,
    topic="campaigns.coupon.v1",
    payload=campaigns.CouponChanged,
    key_field="coupon_id",
    description="A coupon was redeemed (exactly once).",
)

EXPERIMENT_CONCLUDED = EventSpec(
    name="experiment.concluded",
    version=1,
    topic="campaigns.experiment.v1",
    payload=campaigns.ExperimentConcluded,
    key_field="experiment_id",
    description="An experiment reached its decision; the winner is rolled out.",
)

CATALOGUE: dict[str, EventSpec[Any]] = {
    spec.type: spec
    for spec in (
        WORKSPACE_CREATED,
        AUDIT_RECORDED,
        CRM_EVENT_RECORDED,
        USER_LIFECYCLE_STAGE_CHANGED,
        USER_TIER_CHANGED,
        FEEDBACK_CLASSIFIED,
        REFERRAL_SIGNUP_ATTRIBUTED,
        USER_SEGMENT_ENTERED,
        USER_SEGMENT_EXITED,
        USER_PROFILE_UPDATED,
        SEGMENT_CREATED,
        SEGMENT_UPDATED,
        SEGMENT_DELETED,
        USER_EVENT_ACCEPTED,
        CONTENT_ITEM_TRANSITIONED,
        MENTION_RECEIVED,
        MENTION_SCORED,
        CRISIS_OPENED,
        CRISIS_ESCALATED,
        CRISIS_STATEMENT_PUBLISHED,
        CRISIS_RESOLVED,
        CAMPAIGN_STATE_CHANGED,
        COUPON_ISSUED,
        COUPON_REDEEMED,
        EXPERIMENT_CONCLUDED,
    )
}


class InvalidEvent(ValueError):
    """An event whose envelope or payload does not validate: never retried, dead-lettered."""


def topics() -> list[str]:
    return sorted({spec.topic for spec in CATALOGUE.values()})


def spec_for(event_type: str) -> EventSpec[Any]:
    try:
        return CATALOGUE[event_type]
    except KeyError as exc:
        raise InvalidEvent(f"unknown event type {event_type!r}") from exc


def make_event(
    spec: EventSpec[P],
    payload: P,
    *,
    source: str,
    workspace: UUID | None,
    correlationid: str | None = None,
    causationid: str | None = None,
) -> Envelope:
    """The envelope of one event. Without explicit ids it carries those of what is being handled
    (`causation`): the request's correlation id, or the consumed event's correlation id and id,
    so one request can be followed through every event it causes."""
    context_correlation, context_causation = causation()
    return Envelope(
        source=source,
        type=spec.type,
        subject=spec.key_of(payload),
        workspace=workspace,
        correlationid=correlationid or context_correlation,
        causationid=causationid or context_causation,
        data=payload.model_dump(mode="json"),
    )


def causation() -> tuple[str | None, str | None]:
    """(correlation id, causing event id) bound in the logging context by the request
    middleware and the consumer, or None each outside them."""
    bound = get_contextvars()
    correlation, cause = bound.get("correlation_id"), bound.get("event_id")
    return (
        str(correlation) if correlation else None,
        str(cause) if cause else None,
    )


def parse_event(
    raw: bytes, headers: Sequence[tuple[str, bytes]] = ()
) -> tuple[Envelope, BaseModel | None]:
    """Envelope and typed payload, from a structured- or binary-mode CloudEvent; the payload is
    None for types outside the catalogue."""
    envelope = _plain_structured(raw, headers)
    if envelope is None:
        envelope = _general(raw, headers)
    spec = CATALOGUE.get(envelope.type)
    if spec is None:
        return envelope, None
    try:
        return envelope, spec.payload.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {envelope.type} payload: {_summary(exc)}") from exc


def _plain_structured(raw: bytes, headers: Sequence[tuple[str, bytes]]) -> Envelope | None:
    """The common case read in one pass (pydantic parses and validates the JSON together, about
    half the CPU of `json.loads` and then validating the dict): a structured-mode event with a
    UUID id and a bare `application/json`, as Yunying's own producers write them. None for
    anything else, which the general path reads as before (binary mode, a foreign id, a
    content type with parameters, any error: its messages stay the same)."""
    if headers and any(name.lower().startswith(ATTRIBUTE_PREFIX) for name, _ in headers):
        return None  # (most records carry no headers: no generator for them)
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError:
        return None


def _general(raw: bytes, headers: Sequence[tuple[str, bytes]]) -> Envelope:
    try:
        return Envelope.model_validate(event_fields(raw, headers))
    except NotAnEvent as exc:
        raise InvalidEvent(f"invalid envelope: {exc}") from exc
    except ValidationError as exc:
        raise InvalidEvent(f"invalid envelope: {_summary(exc)}") from exc


def _summary(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )
