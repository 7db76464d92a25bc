"""Events the segmentation service publishes: `segmentation.user.v1` (key: user id) and
`segmentation.segment.v1` (key: segment id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

LIFECYCLE_STAGES = ("potential", "new", "active", "loyal", "churned")
VALUE_TIERS = ("high_value", "potential_high_value", "general", "low_value")


class UserLifecycleStageChanged(BaseModel):
    """A user moved between lifecycle stages (either direction: churned -> active happens)."""

    user_id: str = Field(description="The CRM's user id")
    from_stage: str | None = Field(description="None when the profile was just created")
    to_stage: str = Field(description="One of LIFECYCLE_STAGES")
    reason: str = Field(description="Which rule placed the user, e.g. 'purchase after churn'")
    changed_at: datetime
    churn_reason: str | None = Field(default=None, description="Last recorded complaint reason")
    historical: bool = Field(
        default=False,
        description="True when the move was derived from the past (an imported history or late "
        "events) and happened at `changed_at`, longer ago than the workspace's "
        "`history_after_hours` (24 by default). Act on a transition only within your own "
        "freshness window: campaigns' journeys never enrol on a historical one.",
    )


class UserTierChanged(BaseModel):
    """A user's RFM value tier changed (after a re-score)."""

    user_id: str
    from_tier: str | None
    to_tier: str | None = Field(description="One of VALUE_TIERS; None when no longer scored")
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    rfm_class: str | None = Field(default=None, description="The 8-class model, e.g. 重要价值")
    changed_at: datetime


class UserSegmentEntered(BaseModel):
    """A user now matches a live segment's rule and did not before (`segmentation.user.v1`)."""

    user_id: str
    segment_id: str
    segment_name: str
    entered_at: datetime
    reason: str = Field(description="What re-evaluated the user: events, sweep, segment_saved")


class UserSegmentExited(BaseModel):
    """A user no longer matches a live segment's rule (`segmentation.user.v1`)."""

    user_id: str
    segment_id: str
    segment_name: str
    entered_at: datetime | None = Field(default=None, description="When the membership began")
    exited_at: datetime
    reason: str = Field(description="What re-evaluated the user: events, sweep, segment_saved")


MAX_INTERESTS = 20


class UserProfileUpdated(BaseModel):
    """A user's audience attributes as they now are, after an operator or CRM set them
    (`segmentation.user.v1`). Campaigns keeps them to know a segment's make-up (gender, age
    band, region, interests) when it ranks creators by audience match."""

    user_id: str
    gender: str | None = Field(description="female, male, other, unknown, or None when not set")
    age_band: str | None = Field(description="As the CRM spells it, e.g. 25-34")
    region: str | None = Field(description="As the CRM spells it, e.g. 上海")
    interests: list[str] = Field(
        default_factory=list,
        max_length=MAX_INTERESTS,
        description="The profile's `extra.interests` (strings, at most 20, each at most 32 "
        "characters); empty when the profile has none",
    )
    updated_at: datetime


class SegmentSaved(BaseModel):
    """A segment was created or its definition changed (`segmentation.segment.v1`)."""

    segment_id: str
    name: str
    description: str = ""
    rule: dict[str, Any] = Field(description="The rule tree as saved (and / or / not / leaves)")
    live: bool = Field(description="Membership is kept current as events arrive and windows pass")
    member_count: int = Field(description="Members right after the save")
    saved_at: datetime


class SegmentDeleted(BaseModel):
    """A segment was deleted with its memberships; no per-user exit events follow."""

    segment_id: str
    name: str
    deleted_at: datetime


# The kinds segmentation republishes on `segmentation.event.v1` once accepted (the others only
# feed profiles): whichever way a CRM sent them (HTTP or `crm.events.v1`), they reach the other
# services once, after deduplication by event id.
REPUBLISHED_KINDS = ("registered", "purchase", "refund", "share", "referral_signup")


class UserEventAccepted(BaseModel):
    """A CRM event segmentation accepted (new, valid, not a duplicate), for campaigns' coupon
    redemptions, referral sign-ups and conversions."""

    event_id: str
    user_id: str
    kind: str = Field(description="One of REPUBLISHED_KINDS")
    occurred_at: datetime
    amount: str | None = Field(default=None, description="Decimal as a string (purchase, refund)")
    currency: str | None = None
    order_id: str | None = None
    coupon_code: str | None = None
    invite_code: str | None = None
    properties: dict[str, Any] = Field(
        default_factory=dict, description="The event's own properties (device, phone hash, ...)"
    )
